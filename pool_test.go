package iotauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
)

// tenantSource is one tenant's login: tokens named after the tenant, an
// optional delay, origins it declares and a count of its logins and closes.
type tenantSource struct {
	key     string
	delay   time.Duration
	origins []string
	err     error
	logins  atomic.Int64
	closes  atomic.Int64
}

func (s *tenantSource) Token(ctx context.Context) (*iotauth.Token, error) {
	n := s.logins.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return &iotauth.Token{AccessToken: fmt.Sprintf("%s-%d", s.key, n), Expiry: time.Now().Add(time.Hour)}, nil
}

func (s *tenantSource) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "tenant", Origins: s.origins}
}

func (s *tenantSource) Close() error { s.closes.Add(1); return nil }

// tenants is a load function over tenantSources, counting its calls and
// keeping every source it made.
type tenants struct {
	mu      sync.Mutex
	made    map[string][]*tenantSource
	loads   atomic.Int64
	delay   time.Duration // of each login
	loadErr map[string]error
	origins map[string][]string
}

func newTenants() *tenants { return &tenants{made: map[string][]*tenantSource{}} }

func (ts *tenants) load(ctx context.Context, key string) (iotauth.TokenSource, error) {
	ts.loads.Add(1)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if err := ts.loadErr[key]; err != nil {
		return nil, err
	}
	s := &tenantSource{key: key, delay: ts.delay, origins: ts.origins[key]}
	ts.made[key] = append(ts.made[key], s)
	return s, nil
}

func (ts *tenants) sources(key string) []*tenantSource {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]*tenantSource(nil), ts.made[key]...)
}

func TestPool_ConcurrentFirstUse_OneLoadOneLogin(t *testing.T) {
	for run := range 20 {
		synctest.Test(t, func(t *testing.T) {
			ts := newTenants()
			ts.delay = time.Second // every goroutine arrives while the login runs
			p := iotauth.NewPool(ts.load)
			defer p.Close()
			key := fmt.Sprintf("tenant-%d", run)
			var wg sync.WaitGroup
			toks := make([]*iotauth.Token, 1000)
			for i := range toks {
				wg.Go(func() {
					tok, err := p.Token(context.Background(), key)
					assert.NoError(t, err)
					toks[i] = tok
				})
			}
			wg.Wait()
			assert.EqualValues(t, 1, ts.loads.Load(), "loads")
			require.Len(t, ts.sources(key), 1)
			assert.EqualValues(t, 1, ts.sources(key)[0].logins.Load(), "logins")
			for _, tok := range toks {
				assert.Same(t, toks[0], tok)
			}
			assert.Equal(t, 1, p.Len())
		})
	}
}

func TestPool_KeysAreServedByTheirOwnCache(t *testing.T) {
	ts := newTenants()
	p := iotauth.NewPool(ts.load)
	defer p.Close()
	ctx := context.Background()
	for range 3 {
		for _, k := range []string{"a", "b", "c"} {
			tok, err := p.Token(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, k+"-1", tok.AccessToken)
		}
	}
	assert.EqualValues(t, 3, ts.loads.Load())
	assert.Equal(t, 3, p.Len())
	_, err := p.Token(ctx, "")
	assert.ErrorIs(t, err, iotauth.ErrBadRequest)
}

func TestPool_ManyKeys_TableGrowsAndShrinks(t *testing.T) {
	ts := newTenants()
	p := iotauth.NewPool(ts.load)
	defer p.Close()
	ctx := context.Background()
	const n = 5000
	for i := range n {
		_, err := p.Token(ctx, fmt.Sprint("k", i))
		require.NoError(t, err)
	}
	require.Equal(t, n, p.Len())
	for i := 0; i < n; i += 2 {
		p.Forget(fmt.Sprint("k", i))
	}
	require.Equal(t, n/2, p.Len())
	for i := range n {
		tok, err := p.Token(ctx, fmt.Sprint("k", i))
		require.NoError(t, err)
		want := "1"
		if i%2 == 0 {
			want = "1" // a forgotten key loads a new source, whose first login is 1
			assert.Len(t, ts.sources(fmt.Sprint("k", i)), 2)
		}
		assert.Equal(t, fmt.Sprintf("k%d-%s", i, want), tok.AccessToken)
	}
	assert.EqualValues(t, n+n/2, ts.loads.Load())
}

func TestPool_IdleTimeout_DropsAndStopsIdleCachesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		var evicted []string
		var caches []*iotauth.Cache
		var mu sync.Mutex
		p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute),
			iotauth.WithEvictionHook(func(e iotauth.PoolEviction) {
				mu.Lock()
				evicted = append(evicted, e.Key+":"+e.Reason)
				caches = append(caches, e.Cache)
				mu.Unlock()
			}))
		defer p.Close()
		ctx := context.Background()
		for i := range 100 {
			_, err := p.Token(ctx, fmt.Sprint("idle-", i))
			require.NoError(t, err)
		}
		_, err := p.Token(ctx, "busy")
		require.NoError(t, err)
		// "busy" is used every 10 s; the others never again.
		for range 6 {
			time.Sleep(10 * time.Second)
			_, err := p.Token(ctx, "busy")
			require.NoError(t, err)
		}
		synctest.Wait()
		assert.Equal(t, 101, p.Len(), "nothing is dropped before the idle timeout")
		for range 2 {
			time.Sleep(10 * time.Second)
			_, err := p.Token(ctx, "busy")
			require.NoError(t, err)
		}
		// 80 s: more than a minute plus a quarter since the idle keys' last use.
		synctest.Wait()
		assert.Equal(t, 1, p.Len(), "only the busy key is left")
		mu.Lock()
		assert.Len(t, evicted, 100)
		assert.Contains(t, evicted, "idle-7:idle")
		for _, c := range caches {
			_, err := c.Token(ctx)
			assert.ErrorIs(t, err, iotauth.ErrClosed, "the dropped Cache is stopped")
		}
		mu.Unlock()
		for i := range 100 {
			assert.Zero(t, ts.sources(fmt.Sprint("idle-", i))[0].closes.Load(), "its source is not closed")
		}
		assert.Zero(t, ts.sources("busy")[0].closes.Load())
		assert.EqualValues(t, 100, p.Stats().Evictions)

		// A dropped key is built again at its next use.
		tok, err := p.Token(ctx, "idle-7")
		require.NoError(t, err)
		assert.Equal(t, "idle-7-1", tok.AccessToken)
		assert.Len(t, ts.sources("idle-7"), 2)
		assert.Equal(t, 2, p.Len())
	})
}

func TestPool_IdleTimeout_OneSweeperGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute))
		ctx := context.Background()
		for i := range 1000 {
			_, err := p.Token(ctx, fmt.Sprint("k", i))
			require.NoError(t, err)
		}
		synctest.Wait()
		// The Caches' tokens live an hour: their timers run no goroutine.
		// Only the sweeper waits in the bubble: Close ends it, and the
		// bubble's end fails the test if anything is left.
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		assert.Zero(t, p.Len())
		p.Close()
	})
}

// A Pool with an idle timeout runs its sweeper only while it holds Caches:
// an empty one, never used or emptied by the sweep, runs no goroutine, so a
// program (or a provider keeping a Pool inside) that forgets Close leaks
// nothing once its keys went idle. The bubble's end fails the test if a
// goroutine is left.
func TestPool_IdleTimeout_NoGoroutineWhileEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		unused := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute))
		_ = unused // never used, never closed
		p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute))
		for round := range 2 {
			for i := range 10 {
				_, err := p.Token(context.Background(), fmt.Sprint("k", i))
				require.NoError(t, err)
			}
			assert.Equal(t, 10, p.Len())
			time.Sleep(2 * time.Minute)
			synctest.Wait()
			assert.Zero(t, p.Len(), "round %d: idle Caches left", round)
		}
	})
}

func TestPool_MaxCaches_DropsTheLeastRecentlyUsed(t *testing.T) {
	ts := newTenants()
	var evicted []string
	p := iotauth.NewPool(ts.load, iotauth.WithMaxCaches(3),
		iotauth.WithEvictionHook(func(e iotauth.PoolEviction) { evicted = append(evicted, e.Key+":"+e.Reason) }))
	defer p.Close()
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "a", "d"} {
		_, err := p.Token(ctx, k)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"b:max"}, evicted)
	assert.Equal(t, 3, p.Len())
	assert.Zero(t, ts.sources("b")[0].closes.Load(), "stopped, its source not closed")
	for _, k := range []string{"c", "e"} {
		_, err := p.Token(ctx, k)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"b:max", "a:max"}, evicted)
	for i := range 100 {
		_, err := p.Token(ctx, fmt.Sprint("k", i))
		require.NoError(t, err)
		require.LessOrEqual(t, p.Len(), 3)
	}
}

func TestPool_LoadFailure_IsTheKeysAloneAndBackedOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		boom := errors.New("tenant config unreadable")
		ts.loadErr = map[string]error{"broken": boom}
		p := iotauth.NewPool(ts.load, iotauth.WithPoolCacheOptions(iotauth.WithBackoff(time.Second, 4*time.Second)))
		defer p.Close()
		ctx := context.Background()
		for range 50 {
			_, err := p.Token(ctx, "broken")
			require.ErrorIs(t, err, boom)
			tok, err := p.Token(ctx, "fine")
			require.NoError(t, err)
			assert.Equal(t, "fine-1", tok.AccessToken)
		}
		assert.EqualValues(t, 2, ts.loads.Load(), "one load of each key: the failure is backed off")
		time.Sleep(1300 * time.Millisecond) // past the first backoff (1 s ± 20%)
		_, err := p.Token(ctx, "broken")
		require.ErrorIs(t, err, boom)
		assert.EqualValues(t, 3, ts.loads.Load())
		_, err = p.Token(ctx, "broken")
		require.ErrorIs(t, err, boom)
		assert.EqualValues(t, 3, ts.loads.Load(), "the second backoff is longer")

		ts.mu.Lock()
		delete(ts.loadErr, "broken")
		ts.mu.Unlock()
		time.Sleep(3 * time.Second)
		tok, err := p.Token(ctx, "broken")
		require.NoError(t, err)
		assert.Equal(t, "broken-1", tok.AccessToken)
		assert.EqualValues(t, 2, p.Stats().LoadFailures)
	})
}

func TestPool_LoadCredentialFailure_HeldOffAndForgetRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		ts.loadErr = map[string]error{"locked": iotauth.ErrInvalidCredentials}
		p := iotauth.NewPool(ts.load, iotauth.WithPoolCacheOptions(iotauth.WithHoldOff(time.Hour)))
		defer p.Close()
		ctx := context.Background()
		_, err := p.Token(ctx, "locked")
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		time.Sleep(30 * time.Minute)
		_, err = p.Token(ctx, "locked")
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		assert.EqualValues(t, 1, ts.loads.Load(), "held off")
		// The secret was fixed: Forget lets the next use load afresh.
		ts.mu.Lock()
		delete(ts.loadErr, "locked")
		ts.mu.Unlock()
		p.Forget("locked")
		_, err = p.Token(ctx, "locked")
		require.NoError(t, err)
		assert.EqualValues(t, 2, ts.loads.Load())
	})
}

// One tenant's latched bad password never delays another.
func TestPool_LatchedTenant_DoesNotDelayOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		p := iotauth.NewPool(func(ctx context.Context, key string) (iotauth.TokenSource, error) {
			s, _ := ts.load(ctx, key)
			if key == "bad" {
				s.(*tenantSource).err = &iotauth.Error{Platform: "tenant", Op: "login", Kind: iotauth.ErrInvalidCredentials}
				s.(*tenantSource).delay = 10 * time.Second
			}
			return s, nil
		})
		defer p.Close()
		ctx := context.Background()
		start := time.Now()
		go func() { _, _ = p.Token(ctx, "bad") }()
		synctest.Wait()
		tok, err := p.Token(ctx, "good")
		require.NoError(t, err)
		assert.Equal(t, "good-1", tok.AccessToken)
		assert.Zero(t, time.Since(start), "served while the other tenant's login runs")
		time.Sleep(11 * time.Second)
		_, err = p.Token(ctx, "bad")
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		_, err = p.Token(ctx, "good")
		require.NoError(t, err)
		assert.EqualValues(t, 1, ts.sources("bad")[0].logins.Load(), "latched")
	})
}

func TestPool_LoadPanicsOrReturnsNil_ErrorForThatKey(t *testing.T) {
	p := iotauth.NewPool(func(ctx context.Context, key string) (iotauth.TokenSource, error) {
		switch key {
		case "panic":
			panic("config parser bug")
		case "nil":
			return nil, nil
		}
		return &tenantSource{key: key}, nil
	})
	defer p.Close()
	ctx := context.Background()
	_, err := p.Token(ctx, "panic")
	assert.ErrorIs(t, err, iotauth.ErrServer)
	_, err = p.Token(ctx, "nil")
	assert.ErrorIs(t, err, iotauth.ErrServer)
	_, err = p.Token(ctx, "ok")
	assert.NoError(t, err)
}

func TestPool_CallerContext_EndsTheWaitNotTheLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTenants()
		ts.delay = 5 * time.Second
		p := iotauth.NewPool(ts.load)
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := p.Token(ctx, "slow")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		tok, err := p.Token(context.Background(), "slow")
		require.NoError(t, err)
		assert.Equal(t, "slow-1", tok.AccessToken)
		assert.EqualValues(t, 1, ts.loads.Load())
	})
}

func TestPool_Close(t *testing.T) {
	ts := newTenants()
	p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Hour))
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		_, err := p.Token(ctx, k)
		require.NoError(t, err)
	}
	p.Close()
	p.Close()
	assert.Zero(t, p.Len())
	for _, k := range []string{"a", "b"} {
		assert.EqualValues(t, 1, ts.sources(k)[0].closes.Load())
	}
	_, err := p.Token(ctx, "a")
	assert.ErrorIs(t, err, iotauth.ErrClosed)
}

// With a Store, each key's Cache gets its own store key, even when the
// Pool's options name one.
func TestPool_WithStore_DerivesAStoreKeyPerKey(t *testing.T) {
	rec := &recordingStore{Store: store.NewMemory()}
	p := iotauth.NewPool(func(ctx context.Context, key string) (iotauth.TokenSource, error) {
		return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
			return &iotauth.Token{AccessToken: key, Expiry: time.Now().Add(time.Hour)}, nil
		}), nil
	}, iotauth.WithPoolCacheOptions(iotauth.WithStore(rec), iotauth.WithStoreKey("shared-by-mistake")))
	defer p.Close()
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		tok, err := p.Token(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, k, tok.AccessToken)
	}
	want := []string{iotauth.StoreKey("custom", "iotauth.Pool", "a"), iotauth.StoreKey("custom", "iotauth.Pool", "b")}
	sort.Strings(want)
	assert.Equal(t, want, rec.saved())
}

type recordingStore struct {
	iotauth.Store
	mu   sync.Mutex
	keys map[string]bool
}

func (r *recordingStore) Save(ctx context.Context, key string, t *iotauth.Token) error {
	r.mu.Lock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	r.keys[key] = true
	r.mu.Unlock()
	return r.Store.Save(ctx, key, t)
}

func (r *recordingStore) saved() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k := range r.keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// originServer records the Authorization header of every request.
func originServer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestPoolTransport_EachKeyToItsOwnOrigins(t *testing.T) {
	srvA, seenA := originServer(t)
	srvB, seenB := originServer(t)
	ts := newTenants()
	ts.origins = map[string][]string{"a": {srvA.URL}, "b": {srvB.URL}}
	p := iotauth.NewPool(ts.load)
	defer p.Close()
	hc := &http.Client{Transport: iotauth.NewPoolTransport(p, nil)}
	get := func(key, url string) {
		t.Helper()
		req, err := http.NewRequestWithContext(iotauth.WithPoolKey(context.Background(), key), http.MethodGet, url, nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	get("a", srvA.URL)
	get("b", srvB.URL)
	get("a", srvB.URL)                  // a's credentials never go to b's origin
	get("a", srvA.URL+"/?to="+srvB.URL) // nor through a redirect
	assert.Equal(t, []string{"Bearer a-1", "Bearer a-1"}, seenA())
	assert.Equal(t, []string{"Bearer b-1", "", ""}, seenB())

	req, err := http.NewRequest(http.MethodGet, srvA.URL, nil)
	require.NoError(t, err)
	_, err = hc.Do(req)
	assert.ErrorIs(t, err, iotauth.ErrBadRequest, "a request without a key is refused")
	assert.Len(t, seenA(), 2, "and not sent")
}

// A Cache is never closed under a request using it: Forget during a
// request closes the Cache once the request has ended.
func TestPoolTransport_CacheStaysOpenUntilTheRequestEnds(t *testing.T) {
	entered, unblock := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-unblock
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	ts := newTenants()
	p := iotauth.NewPool(ts.load)
	defer p.Close()
	hc := &http.Client{Transport: iotauth.NewPoolTransport(p, nil)}
	done := make(chan string)
	go func() {
		req, _ := http.NewRequestWithContext(iotauth.WithPoolKey(context.Background(), "t"), http.MethodGet, srv.URL, nil)
		resp, err := hc.Do(req)
		if !assert.NoError(t, err) {
			done <- ""
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	<-entered
	p.Forget("t")
	assert.Zero(t, p.Len())
	src := ts.sources("t")[0]
	assert.Zero(t, src.closes.Load(), "not closed while the request runs")
	close(unblock)
	assert.Equal(t, "Bearer t-1", <-done)
	p.Close() // waits for the sources being closed in the background
	assert.EqualValues(t, 1, src.closes.Load(), "closed when it ended")
}

// A rejected token is replaced for its key only.
func TestPoolTransport_RejectionRefreshesThatKeyOnly(t *testing.T) {
	var mu sync.Mutex
	valid := map[string]bool{"Bearer a-1": true, "Bearer b-1": true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		h := r.Header.Get("Authorization")
		if h == "Bearer a-2" {
			valid[h] = true
		}
		if !valid[h] {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	ts := newTenants()
	p := iotauth.NewPool(ts.load, iotauth.WithPoolCacheOptions(iotauth.WithBackoff(time.Millisecond, time.Millisecond)))
	defer p.Close()
	hc := &http.Client{Transport: iotauth.NewPoolTransport(p, nil)}
	do := func(key string) int {
		req, _ := http.NewRequestWithContext(iotauth.WithPoolKey(context.Background(), key), http.MethodGet, srv.URL, nil)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, do("a"))
	assert.Equal(t, 200, do("b"))
	mu.Lock()
	delete(valid, "Bearer a-1")
	mu.Unlock()
	assert.Equal(t, 200, do("a"))
	assert.EqualValues(t, 2, ts.sources("a")[0].logins.Load())
	assert.EqualValues(t, 1, ts.sources("b")[0].logins.Load())
}

func TestPool_NilArguments_Panic(t *testing.T) {
	assert.Panics(t, func() { iotauth.NewPool(nil) })
	load := func(context.Context, string) (iotauth.TokenSource, error) { return nil, nil }
	assert.Panics(t, func() { iotauth.NewPool(load, nil) })
	assert.Panics(t, func() { iotauth.NewPool(load, iotauth.WithPoolCacheOptions(nil)) })
	assert.Panics(t, func() { iotauth.NewPoolTransport(nil, nil) })
}

// WithPoolHook hooks add up, with WithEvictionHook among them, and see
// every load and eviction with the key's platform.
func TestPool_WithPoolHook_LoadsAndEvictionsAddUp(t *testing.T) {
	ts := newTenants()
	boom := errors.New("no such tenant")
	ts.loadErr = map[string]error{"broken": boom}
	var mu sync.Mutex
	var first, second, evictions []string
	record := func(to *[]string) func(iotauth.PoolEvent) {
		return func(ev iotauth.PoolEvent) {
			mu.Lock()
			defer mu.Unlock()
			s := ev.Op + ":" + ev.Key + ":" + ev.Platform + ":" + ev.Reason
			if errors.Is(ev.Err, boom) {
				s += ":boom"
			}
			if ev.Op == "load" && ev.Err == nil && ev.Cache == nil {
				s += ":no Cache"
			}
			*to = append(*to, s)
		}
	}
	p := iotauth.NewPool(ts.load, iotauth.WithMaxCaches(1),
		iotauth.WithPoolHook(record(&first)),
		iotauth.WithEvictionHook(func(e iotauth.PoolEviction) {
			mu.Lock()
			evictions = append(evictions, e.Key+":"+e.Reason)
			mu.Unlock()
		}),
		iotauth.WithPoolHook(func(iotauth.PoolEvent) { panic("a broken hook") }),
		iotauth.WithPoolHook(record(&second)),
		iotauth.WithPoolHook(nil))
	ctx := context.Background()
	for _, k := range []string{"a", "b", "broken"} {
		_, _ = p.Token(ctx, k)
	}
	p.Forget("b")
	_, _ = p.Token(ctx, "c")
	p.Close()
	want := []string{
		"load:a:tenant:", "load:b:tenant:", "evict:a:tenant:max",
		"load:broken:::boom",
		"evict:b:tenant:forget", "load:c:tenant:", "evict:c:tenant:close",
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, first)
	assert.Equal(t, want, second, "a panicking hook does not stop the next")
	assert.Equal(t, []string{"a:max", "b:forget", "c:close"}, evictions)
}
