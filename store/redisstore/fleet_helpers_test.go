package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store/redisstore"
)

// devicesPath is the emulator's protected OceanConnect call: 200 with the
// current token, 403 error_code 1010005 with a stale one.
const devicesPath = "/iocm/app/dm/v1.4.0/devices"

// newStore returns a Store on rdb, failing tb when New fails.
func newStore(tb testing.TB, rdb redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.New(rdb, opts...)
	require.NoError(tb, err)
	return s
}

// replica is one member of a fleet: its own Redis connection and store, a
// cache over its own OceanConnect provider, and an HTTP client whose
// requests the cache authorizes. Replicas share nothing but Redis and the
// platform, as the processes of a fleet do.
type replica struct {
	rdb    redis.UniversalClient
	cache  *iotauth.Cache
	base   *http.Transport
	client *http.Client
	url    string
}

// newClient connects to the Redis topology named by spec: a host:port, or
// "cluster:" and the nodes' addresses, or "sentinel:" the master's name and
// the sentinels' addresses, comma-separated; a spec starting "defaults:"
// gets go-redis's default options whatever the topology. Cluster and
// Sentinel clients have go-redis's default options, as a user who read
// nothing would build them. A single server's client has
// ContextTimeoutEnabled, as the package documentation recommends: go-redis
// then ends each command at the store timeout the cache sets.
func newClient(spec string) redis.UniversalClient {
	if addr, ok := strings.CutPrefix(spec, "defaults:"); ok {
		if !strings.HasPrefix(addr, "cluster:") && !strings.HasPrefix(addr, "sentinel:") {
			return redis.NewClient(&redis.Options{Addr: addr})
		}
		return newClient(addr) // Cluster and Sentinel clients have the defaults already
	}
	if addrs, ok := strings.CutPrefix(spec, "cluster:"); ok {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	}
	if rest, ok := strings.CutPrefix(spec, "sentinel:"); ok {
		name, addrs, _ := strings.Cut(rest, ",")
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: name, SentinelAddrs: strings.Split(addrs, ",")})
	}
	return redis.NewClient(&redis.Options{Addr: spec, ContextTimeoutEnabled: true})
}

// newReplica connects a replica to the emulator at platformURL and the
// Redis topology redisSpec (see newClient). opts come after the store, so
// they may override the defaults.
func newReplica(platformURL, redisSpec string, opts ...iotauth.CacheOption) (*replica, error) {
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: platformURL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  iotauth.Secret(iotauthtest.OceanConnectSecret),
	})
	if err != nil {
		return nil, err
	}
	rdb := newClient(redisSpec)
	s, err := redisstore.New(rdb)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	cache := iotauth.NewCache(p, append([]iotauth.CacheOption{iotauth.WithStore(s)}, opts...)...)
	// One idle connection per goroutine: the default two would make every
	// other request dial, and a busy fleet run out of ephemeral ports.
	base := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	return &replica{
		rdb:    rdb,
		cache:  cache,
		base:   base,
		client: &http.Client{Transport: iotauth.NewTransport(cache, base), Timeout: 10 * time.Second},
		url:    platformURL + devicesPath,
	}, nil
}

// call makes one protected request. It fails on a transport error or any
// status but 200.
func (r *replica) call(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// close closes the cache (which logs the provider out), the Redis
// connection and the idle HTTP connections. A fleet worker does not call
// it: the logout would end the token the rest of the fleet still uses.
func (r *replica) close() {
	_ = r.cache.Close()
	_ = r.rdb.Close()
	r.base.CloseIdleConnections()
}

// load counts what a replica's goroutines did.
type load struct {
	Requests    int64         `json:"requests"`
	Failures    int64         `json:"failures"`
	Longest     time.Duration `json:"longest_ns"` // the slowest request
	LastFailure time.Time     `json:"last_failure"`
	FirstErrors []string      `json:"first_errors,omitempty"`
}

// maxErrors is how many failure messages a load keeps, for the test log.
const maxErrors = 5

// hammer sends requests through r from n goroutines until stop is closed
// or until is reached, whichever comes first.
func hammer(r *replica, n int, until time.Time, stop <-chan struct{}) load {
	var (
		requests, failures atomic.Int64
		mu                 sync.Mutex
		first              []string
		longest            time.Duration
		lastFailure        time.Time
		wg                 sync.WaitGroup
	)
	ctx, cancel := context.WithDeadline(context.Background(), until)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				// Each request has its own deadline, so a request that
				// is in flight when the run ends is not counted as failed.
				rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
				start := time.Now()
				err := r.call(rctx)
				took := time.Since(start)
				rcancel()
				requests.Add(1)
				if err != nil {
					failures.Add(1)
				}
				mu.Lock()
				longest = max(longest, took)
				if err != nil {
					lastFailure = time.Now()
					if len(first) < maxErrors {
						first = append(first, lastFailure.Format("15:04:05.000")+" "+err.Error())
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return load{Requests: requests.Load(), Failures: failures.Load(), Longest: longest, LastFailure: lastFailure, FirstErrors: first}
}

// add sums loads.
func (l *load) add(o load) {
	l.Requests += o.Requests
	l.Failures += o.Failures
	l.Longest = max(l.Longest, o.Longest)
	if o.LastFailure.After(l.LastFailure) {
		l.LastFailure = o.LastFailure
	}
	for _, e := range o.FirstErrors {
		if len(l.FirstErrors) < maxErrors {
			l.FirstErrors = append(l.FirstErrors, e)
		}
	}
}

// timeline records the cache's logins, refreshes and adoptions with their
// times, to explain a failed count.
type timeline struct {
	mu     sync.Mutex
	events []string
}

func (tl *timeline) hook(e iotauth.Event) {
	outcome := "ok"
	if e.Err != nil {
		outcome = "error: " + e.Err.Error()
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.events = append(tl.events, fmt.Sprintf("%s %s %s (%s)", time.Now().Format("15:04:05.000"), e.Op, outcome, e.Duration.Round(time.Millisecond)))
}

func (tl *timeline) list() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]string(nil), tl.events...)
}
