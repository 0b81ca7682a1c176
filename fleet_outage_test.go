package iotauth_test

import (
	"context"
	"log/slog"
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

// switchStore is a store.Memory that can be taken down (every call fails at
// once, or hangs until its context ends when slow) and counts the calls
// that reach it.
type switchStore struct {
	*store.Memory
	down, slow atomic.Bool
	calls      atomic.Int64
	locks      atomic.Int64
}

func newSwitchStore() *switchStore { return &switchStore{Memory: store.NewMemory()} }

func (s *switchStore) fail(ctx context.Context) error {
	s.calls.Add(1)
	if !s.down.Load() {
		return nil
	}
	if s.slow.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return errDown
}

func (s *switchStore) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := s.fail(ctx); err != nil {
		return nil, err
	}
	return s.Memory.Load(ctx, key)
}

func (s *switchStore) Save(ctx context.Context, key string, t *iotauth.Token) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Memory.Save(ctx, key, t)
}

func (s *switchStore) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	s.locks.Add(1)
	if err := s.fail(ctx); err != nil {
		return nil, err
	}
	return s.Memory.Lock(ctx, key, lease)
}

func (s *switchStore) Announce(ctx context.Context, key string) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Memory.Announce(ctx, key)
}

// lastTokenPlatform issues tokens of life and, like OceanConnect, kills every
// older token the moment it issues one. Every replica's source shares it.
type lastTokenPlatform struct {
	mu      sync.Mutex
	n       int
	current string
	life    time.Duration
}

func (p *lastTokenPlatform) valid(tok string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return tok == p.current
}

func (p *lastTokenPlatform) issued() int { p.mu.Lock(); defer p.mu.Unlock(); return p.n }

// replica is one process's source on the platform.
type replica struct{ p *lastTokenPlatform }

func (r replica) Token(context.Context) (*iotauth.Token, error) {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	r.p.n++
	r.p.current = "tok-" + time.Now().Format("150405.000000000")
	return &iotauth.Token{AccessToken: r.p.current, Expiry: time.Now().Add(r.p.life)}, nil
}

func (replica) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "last", LastTokenOnly: true, StoreKey: fleetKey}
}

// send is one request: it fails when the token is not the platform's
// current one, and is resent once with a fresh token, as the Transport does.
func send(c *iotauth.Cache, p *lastTokenPlatform) (rejected, failed bool) {
	for try := range 2 {
		tok, err := c.Token(context.Background())
		if err != nil {
			return try > 0, true
		}
		if p.valid(tok.AccessToken) {
			return try > 0, false
		}
		c.Invalidate(tok)
	}
	return true, true
}

// fleetLoad runs n replicas sharing st against p for d, each sending a
// request every step, and returns the rejected-and-resent and failed counts.
func fleetLoad(t *testing.T, p *lastTokenPlatform, st iotauth.Store, n int, d, step time.Duration, opts ...iotauth.CacheOption) (rejected, failed int64) {
	t.Helper()
	var wg sync.WaitGroup
	var rej, fail atomic.Int64
	for range n {
		c := iotauth.NewCache(replica{p}, append([]iotauth.CacheOption{iotauth.WithStore(st), iotauth.WithLogger(discard)}, opts...)...)
		t.Cleanup(func() { c.Close() })
		wg.Go(func() {
			for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(step) {
				r, f := send(c, p)
				if r {
					rej.Add(1)
				}
				if f {
					fail.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return rej.Load(), fail.Load()
}

func TestFleet_StoreDownWhileTheTokenIsValid_ServesItAndDoesNotLogIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		healthy := &lastTokenPlatform{life: 12 * time.Second}
		fleetLoad(t, healthy, newSwitchStore(), 4, 20*time.Second, 100*time.Millisecond, iotauth.WithRefreshWindow(6*time.Second))

		p := &lastTokenPlatform{life: 12 * time.Second}
		st := newSwitchStore()
		go func() {
			time.Sleep(4 * time.Second)
			st.down.Store(true)
			time.Sleep(5 * time.Second)
			st.down.Store(false)
		}()
		// 12 s tokens refreshed 6 s ahead, the store down from 4 s to 9 s.
		_, failed := fleetLoad(t, p, st, 4, 20*time.Second, 100*time.Millisecond, iotauth.WithRefreshWindow(6*time.Second))
		assert.Zero(t, failed)
		assert.LessOrEqual(t, p.issued(), healthy.issued(), "more tokens than a healthy run")
	})
}

func TestFleet_StoreDownPastTheTokensLife_LocklessLoginsAreSpaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &lastTokenPlatform{life: 3 * time.Second}
		st := newSwitchStore()
		go func() {
			time.Sleep(time.Second)
			st.down.Store(true)
			time.Sleep(20 * time.Second)
			st.down.Store(false)
		}()
		_, failed := fleetLoad(t, p, st, 4, 30*time.Second, 100*time.Millisecond)
		// Without spacing, four replicas killing each other's token log in on
		// every rejected request: thousands of tokens.
		assert.Less(t, p.issued(), 80, "a tug-of-war between replicas did not die out")
		t.Logf("store down 20 s with 3 s tokens: %d tokens issued, %d failed requests", p.issued(), failed)
	})
}

func TestFleet_BreakerOpen_ACacheMissDoesNotWaitForTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newSwitchStore()
		st.down.Store(true)
		st.slow.Store(true) // every call hangs until its store timeout
		var logins atomic.Int64
		c := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey),
			iotauth.WithStoreTimeout(5*time.Second), iotauth.WithLogger(discard))
		defer c.Close()
		start := time.Now()
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.LessOrEqual(t, time.Since(start), 5*time.Second, "more than one store timeout for a token")

		locks := st.locks.Load()
		c.Invalidate(tok)
		start = time.Now()
		_, err = c.Token(context.Background())
		require.NoError(t, err)
		// Only the spacing of logins without the lock (1 s ± 20%), no store timeout.
		assert.LessOrEqual(t, time.Since(start), 1200*time.Millisecond, "a cache miss waited for the store while the breaker was open")
		assert.Equal(t, locks, st.locks.Load(), "the lock was tried while the breaker was open")
		assert.Equal(t, int64(2), logins.Load())
	})
}

func TestFleet_Rotation_OneReplicaTriesTheLockAndRequestsAreHeldNotRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &lastTokenPlatform{life: 10 * time.Second}
		st := newSwitchStore()
		const n = 8
		rejected, failed := fleetLoad(t, p, st, n, 40*time.Second, 50*time.Millisecond, iotauth.WithRefreshWindow(2*time.Second))
		rotations := int64(p.issued())
		assert.Zero(t, failed)
		// 10 s tokens served 9 s and refreshed 2 s before: one every 7 s.
		assert.LessOrEqual(t, rotations, int64(40/7+1), "more than one login per rotation")
		// A cold start has every replica try the lock once; after it, one per rotation.
		assert.LessOrEqual(t, st.locks.Load(), n+rotations-1, "more than one replica tried the lock per rotation")
		assert.LessOrEqual(t, rejected, rotations, "requests sent with a killed token")
		t.Logf("%d replicas, %d rotations: %d lock attempts, %d store calls, %d rejected-and-resent", n, rotations, st.locks.Load(), st.calls.Load(), rejected)
	})
}

var discard = slog.New(slog.DiscardHandler)

// A process spacing its logins without the lock stops spacing them when the
// store returns: its requests are served within a probe of the repair, not
// when its backoff (which grew through the outage) runs out.
func TestFleet_StoreBackWhileSpacingLocklessLogins_NoFailureAfterAProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &lastTokenPlatform{life: 3 * time.Second}
		st := newSwitchStore()
		var repaired atomic.Int64
		go func() {
			time.Sleep(time.Second)
			st.down.Store(true)
			time.Sleep(20 * time.Second) // long enough for the backoff to reach 16 s
			st.down.Store(false)
			repaired.Store(time.Now().UnixNano())
		}()
		var (
			wg   sync.WaitGroup
			last atomic.Int64 // the latest failure after the repair
		)
		for range 4 {
			c := iotauth.NewCache(replica{p}, iotauth.WithStore(st), iotauth.WithLogger(discard))
			t.Cleanup(func() { c.Close() })
			wg.Go(func() {
				for end := time.Now().Add(40 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
					if _, failed := send(c, p); failed && repaired.Load() != 0 {
						last.Store(time.Now().UnixNano())
					}
				}
			})
		}
		wg.Wait()
		if last.Load() != 0 {
			// The probe reaches the store within 250 ms; a rotation holds
			// requests at most a second.
			assert.Less(t, time.Duration(last.Load()-repaired.Load()), 1250*time.Millisecond,
				"a request failed after the store returned")
		}
	})
}

// pausedStore is a store.Memory that can be paused like a SIGSTOPped Redis:
// while paused every call hangs until its context ends, and a Lock sent
// meanwhile runs when the store continues, after its caller gave up on it.
type pausedStore struct {
	*store.Memory
	mu      sync.Mutex
	paused  chan struct{} // closed when the store continues; nil while it runs
	pending []func()
}

func (s *pausedStore) pause() { s.mu.Lock(); s.paused = make(chan struct{}); s.mu.Unlock() }

func (s *pausedStore) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, run := range s.pending {
		run()
	}
	close(s.paused)
	s.paused, s.pending = nil, nil
}

// hang waits while the store is paused, until ctx ends: ctx's error, or nil
// when the store runs.
func (s *pausedStore) hang(ctx context.Context) error {
	s.mu.Lock()
	p := s.paused
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *pausedStore) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := s.hang(ctx); err != nil {
		return nil, err
	}
	return s.Memory.Load(ctx, key)
}

func (s *pausedStore) Save(ctx context.Context, key string, t *iotauth.Token) error {
	if err := s.hang(ctx); err != nil {
		return err
	}
	return s.Memory.Save(ctx, key, t)
}

// lateLease is a lock sent while the store was paused: held once the store
// continued and ran it.
type lateLease struct {
	s   *pausedStore
	got iotauth.Lease // nil until the store ran the lock, or when it was held
}

func (l *lateLease) inner() iotauth.Lease { l.s.mu.Lock(); defer l.s.mu.Unlock(); return l.got }

func (l *lateLease) Renew(ctx context.Context, d time.Duration) error {
	if err := l.s.hang(ctx); err != nil {
		return err
	}
	if in := l.inner(); in != nil {
		return in.Renew(ctx, d)
	}
	return iotauth.ErrLockHeld
}

func (l *lateLease) Unlock(ctx context.Context) error {
	if err := l.s.hang(ctx); err != nil {
		return err
	}
	if in := l.inner(); in != nil {
		return in.Unlock(ctx)
	}
	return nil
}

func (s *pausedStore) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	s.mu.Lock()
	if s.paused == nil {
		s.mu.Unlock()
		return s.Memory.Lock(ctx, key, lease)
	}
	l := &lateLease{s: s}
	s.pending = append(s.pending, func() { l.got, _ = s.Memory.Lock(context.Background(), key, lease) })
	s.mu.Unlock()
	<-ctx.Done()
	return l, ctx.Err() // as redisstore does: the lease it tried to take, with the error
}

// A Redis paused for 3 s runs, when it continues, the lock command a process
// sent meanwhile and gave up on. With the Cache's default options and 12 s
// tokens refreshed 6 s ahead, that lock must not hold the fleet off for a
// lease (15 s): the process that sent it releases it when the store answers,
// and no request fails or waits past a store timeout and a rotation's hold.
func TestFleet_PausedStoreRunsALockItsSenderGaveUpOn_NoFailureNoExtraLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &lastTokenPlatform{life: 12 * time.Second}
		st := &pausedStore{Memory: store.NewMemory()}
		go func() {
			time.Sleep(4 * time.Second)
			st.pause()
			time.Sleep(3 * time.Second)
			st.resume()
		}()
		var (
			wg              sync.WaitGroup
			failed, longest atomic.Int64
		)
		for range 4 {
			c := iotauth.NewCache(replica{p}, iotauth.WithStore(st), iotauth.WithLogger(discard),
				iotauth.WithRefreshWindow(6*time.Second))
			t.Cleanup(func() { c.Close() })
			for range 5 {
				wg.Go(func() {
					for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						began := time.Now()
						tok, err := c.Token(ctx)
						cancel()
						if d := int64(time.Since(began)); d > longest.Load() {
							longest.Store(d)
						}
						if err != nil || !p.valid(tok.AccessToken) {
							failed.Add(1)
						}
					}
				})
			}
		}
		wg.Wait()
		assert.Zero(t, failed.Load(), "failed requests")
		// A token at 0 s, then one per refresh period (12 s less 10% less
		// 6 s: 4.8 s) and the random wait before a rotation: at most 5.
		assert.LessOrEqual(t, p.issued(), 5, "tokens issued")
		assert.Less(t, time.Duration(longest.Load()), 2*time.Second+time.Second, "the longest wait for a token")
	})
}

// viewStore is one process's view of a shared switchStore's Memory, without
// its watch: its own down switch decides whether this process reaches it.
type viewStore struct{ s *switchStore }

func (v viewStore) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	return v.s.Load(ctx, key)
}

func (v viewStore) Save(ctx context.Context, key string, t *iotauth.Token) error {
	return v.s.Save(ctx, key, t)
}

func (v viewStore) Delete(ctx context.Context, key string) error { return v.s.Memory.Delete(ctx, key) }

func (v viewStore) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	return v.s.Lock(ctx, key, lease)
}

// After a failover, processes reach the store again at different moments (a
// go-redis pool that failed to dial retries once a second). One that is
// still cut off when another rotates finds its token rejected: it must give
// the store a store timeout to come back before logging in without the lock,
// or its login kills the rotated token and the fleet logs in again and
// again.
func TestFleet_RejectedWhileOnlyThisProcessIsCutOff_AdoptsTheRotatedTokenNoExtraLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &lastTokenPlatform{life: 12 * time.Second}
		mem := store.NewMemory()
		fast, slow := &switchStore{Memory: mem}, &switchStore{Memory: mem}
		go func() {
			time.Sleep(4 * time.Second)
			fast.down.Store(true)
			slow.down.Store(true)
			time.Sleep(3 * time.Second)
			fast.down.Store(false)
			time.Sleep(900 * time.Millisecond) // the slow process's pool dials again
			slow.down.Store(false)
		}()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for _, st := range []*switchStore{fast, slow} {
			c := iotauth.NewCache(replica{p}, iotauth.WithStore(viewStore{st}), iotauth.WithLogger(discard),
				iotauth.WithRefreshWindow(6*time.Second))
			t.Cleanup(func() { c.Close() })
			for range 5 {
				wg.Go(func() {
					for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
						if _, f := send(c, p); f {
							failed.Add(1)
						}
					}
				})
			}
		}
		wg.Wait()
		assert.Zero(t, failed.Load(), "failed requests")
		// A token at 0 s, then one per refresh period (4.8 s) and the
		// random wait before a rotation: at most 5 in 20 s.
		assert.LessOrEqual(t, p.issued(), 5, "tokens issued")
	})
}
