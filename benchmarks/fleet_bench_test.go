package benchmarks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store/redisstore"
)

// The cost of a fleet rotation: N replicas, each with its own Redis
// connection, store, cache and HTTP client, share one OceanConnect token
// through a real redis-server while they send requests. One iteration is
// one rotation (the platform issues a token); per rotation it reports the
// Redis commands all replicas sent (cmds: counted by a go-redis hook, an
// EVALSHA being one), the commands Redis ran (calls: from INFO
// commandstats, which also counts the commands a Lua script calls), the
// logins and refreshes, the requests the platform rejected with a stale
// token (the Transport resends those) and the requests that failed. Run it with a
// fixed count of rotations:
//
//	cd benchmarks && go test -run '^$' -bench FleetRotation -benchtime 8x

const (
	fleetTokenTTL   = 2 * time.Second
	fleetGoroutines = 4 // requests in flight per replica
)

func BenchmarkFleetRotation(b *testing.B) {
	addr := startRedis(b)
	if addr == "" {
		b.Skip("redis-server is not installed")
	}
	for _, n := range []int{2, 4, 8, 16} {
		b.Run("replicas="+strconv.Itoa(n), func(b *testing.B) { fleetRotation(b, addr, n) })
	}
}

func fleetRotation(b *testing.B, addr string, n int) {
	emu := iotauthtest.NewServer(iotauthtest.WithTokenTTL(fleetTokenTTL))
	b.Cleanup(emu.Close)
	admin := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	if err := admin.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}

	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		failures atomic.Int64
		requests atomic.Int64
	)
	var sent atomic.Int64
	for range n {
		client := fleetReplica(b, emu.URL, addr, &sent)
		for range fleetGoroutines {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					requests.Add(1)
					if err := fleetCall(client, emu.URL); err != nil {
						failures.Add(1)
					}
				}
			})
		}
	}
	defer func() { close(stop); wg.Wait() }()

	tokens := func() int64 { return emu.OceanConnect.Logins() + emu.OceanConnect.Refreshes() }
	// Let the fleet get its first token and the watches start, then count
	// from the first rotation on.
	waitFor(b, func() bool { return tokens() >= 2 })
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	startTokens, startRejected, startFailures := tokens(), emu.OceanConnect.Rejected(), failures.Load()
	startLogins, startSent := emu.OceanConnect.Logins(), sent.Load()

	rotations := 0
	for b.Loop() {
		last := tokens()
		waitFor(b, func() bool { return tokens() > last })
		rotations++
	}
	// Let the last rotation's adoptions finish before reading the counts.
	time.Sleep(fleetTokenTTL / 4)
	b.StopTimer()

	stats, err := commandStats(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	var cmds int64
	var names []string
	for name, calls := range stats {
		if name == "info" || strings.HasPrefix(name, "config") {
			continue // this benchmark's own
		}
		cmds += calls
		names = append(names, fmt.Sprintf("%s=%d", name, calls))
	}
	sort.Strings(names)
	r := float64(rotations)
	issued := tokens() - startTokens
	b.ReportMetric(float64(sent.Load()-startSent)/r, "cmds/rotation")
	b.ReportMetric(float64(cmds)/r, "calls/rotation")
	b.ReportMetric(float64(issued)/r, "tokens/rotation")
	b.ReportMetric(float64(emu.OceanConnect.Logins()-startLogins)/r, "logins/rotation")
	b.ReportMetric(float64(emu.OceanConnect.Rejected()-startRejected)/r, "resent/rotation")
	b.ReportMetric(float64(failures.Load()-startFailures)/r, "failed/rotation")
	b.ReportMetric(0, "ns/op") // a rotation's length is the token's lifetime, not a cost
	b.Logf("N=%d: %d rotations, %d requests; commands %s", n, rotations, requests.Load(), strings.Join(names, " "))
}

// fleetReplica builds one replica and returns its HTTP client; everything
// is closed when b ends. The cache is not closed: with a store, closing
// does not log out, but a replica's logout would end the others' token.
func fleetReplica(b *testing.B, platformURL, addr string, sent *atomic.Int64) *http.Client {
	b.Helper()
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: platformURL, AppID: iotauthtest.OceanConnectAppID, Secret: iotauth.Secret(iotauthtest.OceanConnectSecret),
	})
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	b.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(countHook{sent})
	s, err := redisstore.New(rdb)
	if err != nil {
		b.Fatal(err)
	}
	cache := iotauth.NewCache(p, iotauth.WithStore(s), iotauth.WithLease(time.Second))
	b.Cleanup(func() { _ = cache.Close() })
	base := &http.Transport{MaxIdleConnsPerHost: fleetGoroutines}
	b.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: iotauth.NewTransport(cache, base), Timeout: 10 * time.Second}
}

// countHook counts the commands a client sends, one per command of a
// pipeline; connection set-up (HELLO, CLIENT SETINFO) is not counted.
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// fleetCall makes one protected OceanConnect request; any status but 200 is
// a failure.
func fleetCall(c *http.Client, platformURL string) error {
	resp, err := c.Get(platformURL + "/iocm/app/dm/v1.4.0/devices")
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

// waitFor polls cond for up to ten token lifetimes.
func waitFor(b *testing.B, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(10 * fleetTokenTTL)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("the fleet did not rotate its token")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// commandStats reads how many times each command ran from INFO
// commandstats ("cmdstat_get:calls=12,usec=40,...").
func commandStats(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	stats := make(map[string]int64)
	for line := range strings.Lines(info) {
		name, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
		if name, ok2 := strings.CutPrefix(name, "cmdstat_"); ok && ok2 {
			calls, _, _ := strings.Cut(strings.TrimPrefix(fields, "calls="), ",")
			if v, err := strconv.ParseInt(calls, 10, 64); err == nil {
				stats[name] = v
			}
		}
	}
	return stats, nil
}
