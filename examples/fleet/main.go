// Command fleet runs a small fleet against the OceanConnect emulator: a few
// replicas, each with its own Redis connection, cache and HTTP client, as
// separate processes would have, sharing one application's token through
// Redis. It prints how many requests the fleet made and how few logins it
// took.
//
//	redis-server --port 6379 --save "" --appendonly no &
//	IOTAUTH_REDIS_ADDR=127.0.0.1:6379 go run ./examples/fleet -replicas 4 -duration 10s
//
// OceanConnect keeps only the last token valid, so replicas that logged in
// on their own would keep invalidating each other; with the Redis store one
// replica logs in or refreshes, and the others adopt its token.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store/redisstore"
)

// config is what the flags set.
type config struct {
	redisAddr  string
	replicas   int
	goroutines int
	duration   time.Duration
	tokenTTL   time.Duration
}

func main() {
	cfg := config{redisAddr: os.Getenv("IOTAUTH_REDIS_ADDR")}
	flag.IntVar(&cfg.replicas, "replicas", 4, "replicas sharing the token")
	flag.IntVar(&cfg.goroutines, "goroutines", 10, "goroutines sending requests in each replica")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the fleet sends requests")
	flag.DurationVar(&cfg.tokenTTL, "ttl", 3*time.Second, "lifetime of the tokens the emulator issues")
	flag.Parse()
	if cfg.redisAddr == "" {
		fmt.Println(`examples/fleet shares tokens through Redis. Start a server and point IOTAUTH_REDIS_ADDR at it:

    redis-server --port 6379 --save "" --appendonly no &
    IOTAUTH_REDIS_ADDR=127.0.0.1:6379 go run ./examples/fleet`)
		return
	}
	if err := run(context.Background(), os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// replica is one member of the fleet.
type replica struct {
	rdb      *redis.Client
	cache    *iotauth.Cache
	client   *http.Client
	requests atomic.Int64
	failures atomic.Int64
}

// run starts the emulator and the replicas, lets them send requests for
// cfg.duration and prints the counts to out.
func run(ctx context.Context, out io.Writer, cfg config) error {
	probe := redis.NewClient(&redis.Options{Addr: cfg.redisAddr})
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := probe.Ping(pctx).Err()
	cancel()
	probe.Close()
	if err != nil {
		return fmt.Errorf("no Redis at %s: %w", cfg.redisAddr, err)
	}

	platform := iotauthtest.NewServer(iotauthtest.WithTokenTTL(cfg.tokenTTL))
	defer platform.Close()

	fleet := make([]*replica, cfg.replicas)
	for i := range fleet {
		r, err := newReplica(platform.URL, cfg.redisAddr, cfg.tokenTTL)
		if err != nil {
			return err
		}
		defer r.close()
		fleet[i] = r
	}

	fmt.Fprintf(out, "%d replicas x %d goroutines for %v, tokens living %v\n",
		cfg.replicas, cfg.goroutines, cfg.duration, cfg.tokenTTL)
	rctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range fleet {
		for range cfg.goroutines {
			wg.Go(func() { r.send(rctx, platform.URL) })
		}
	}
	wg.Wait()

	var requests, failures int64
	for i, r := range fleet {
		st := r.cache.Stats()
		fmt.Fprintf(out, "replica %d: %d requests, %d failed, %d logins, %d refreshes\n",
			i+1, r.requests.Load(), r.failures.Load(), st.Logins, st.Refreshes)
		requests += r.requests.Load()
		failures += r.failures.Load()
	}
	oc := platform.OceanConnect
	fmt.Fprintf(out, "fleet: %d requests, %d failed; the platform issued %d tokens (%d logins, %d refreshes)\n",
		requests, failures, oc.Logins()+oc.Refreshes(), oc.Logins(), oc.Refreshes())
	return nil
}

// newReplica builds a replica: its own provider, Redis connection, store,
// cache and HTTP client.
func newReplica(platformURL, redisAddr string, ttl time.Duration) (*replica, error) {
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: platformURL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  iotauth.Secret(iotauthtest.OceanConnectSecret),
	})
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
	// For a Redis Cluster or Sentinel, build the client with
	// redis.NewClusterClient or redis.NewFailoverClient instead; the
	// redisstore package documentation lists the settings that matter.
	s, err := redisstore.New(rdb, redisstore.WithPrefix("iotauth-example:"))
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	cache := iotauth.NewCache(p,
		iotauth.WithStore(s),
		// Tokens this short are refreshed shortly before they expire; the
		// default rule (10% of the lifetime, at least 10 s, at most half)
		// suits real lifetimes of an hour.
		iotauth.WithRefreshWindow(ttl/20),
	)
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	return &replica{
		rdb:    rdb,
		cache:  cache,
		client: &http.Client{Transport: iotauth.NewTransport(cache, base), Timeout: 10 * time.Second},
	}, nil
}

// send calls the platform's device list until ctx ends.
func (r *replica) send(ctx context.Context, platformURL string) {
	for ctx.Err() == nil {
		r.requests.Add(1)
		if err := r.get(platformURL + "/iocm/app/dm/v1.4.0/devices"); err != nil {
			r.failures.Add(1)
		}
	}
}

// get makes one request; any status but 200 is a failure.
func (r *replica) get(url string) error {
	resp, err := r.client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// close logs the replica out and closes its connections.
func (r *replica) close() {
	_ = r.cache.Close()
	_ = r.rdb.Close()
}
