package redisstore_test

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
)

// The outage tests run a fleet of worker processes under load against the
// OceanConnect emulator while the store fails: a single redis-server killed
// or stopped, the master of a Redis Cluster or of a Sentinel group killed.
// They take about two minutes together, so they run only with -long or
// under CI=true; -measure adds the healthy baseline run, against which the
// others then compare:
//
//	go test -race -run TestFleetOutage -long -measure -v ./store/redisstore/
//
// Each logs one row of the reliability table (RELIABILITY.md).

var (
	long    = flag.Bool("long", false, "run the fleet outage tests (always on under CI=true)")
	measure = flag.Bool("measure", false, "run the healthy baseline too, for the reliability table")
)

// requireLong skips t unless long tests were asked for.
func requireLong(t *testing.T) {
	t.Helper()
	if !*long && os.Getenv("CI") != "true" {
		t.Skip("a long fleet test; run with -long (always run under CI=true)")
	}
}

// The scenario: 12 s tokens refreshed 6 s ahead, the store down
// from 4 s to 9 s after the first token was issued, so the first refresh
// falls inside the outage while the token stays valid through it.
const (
	outageTokenTTL = 12 * time.Second
	outageFrom     = 4 * time.Second
	outageTo       = 9 * time.Second
	outageRun      = 15 * time.Second // of load after the first token
	outageWorkers  = 4
	outageRoutines = 20
	outageLease    = 2 * time.Second
	outageStoreTO  = time.Second
	// rotationHold is how long iotauth holds requests at a rotation notice
	// on a platform that keeps only the last token (at most the lease).
	rotationHold = time.Second
)

// outageOptions are the cache options of an outage worker.
func outageOptions() []iotauth.CacheOption {
	return []iotauth.CacheOption{
		iotauth.WithRefreshWindow(6 * time.Second),
		iotauth.WithLease(outageLease),
		iotauth.WithStoreTimeout(outageStoreTO),
	}
}

// fault is a store failure: down starts it, up ends it (either may be nil).
type fault struct {
	spec     string // the topology, as newClient reads it
	down, up func()
}

// outageResult is one row of the reliability table.
type outageResult struct {
	name     string
	total    load
	tokens   int64 // logins + refreshes the platform served
	rejected int64 // requests the platform refused with a stale token
	// tokensAfter counts tokens issued from one lease after the store
	// returned to the end of the run.
	tokensAfter int64
	repaired    time.Time // when the fault ended
	reports     []workerReport
}

// explain logs the workers' timelines, to read a failed run.
func (r outageResult) explain(t *testing.T) {
	t.Helper()
	for i, w := range r.reports {
		tl := w.Timeline
		if len(tl) > 40 {
			tl = tl[:40]
		}
		t.Logf("worker %d timeline:\n  %s", i, strings.Join(tl, "\n  "))
	}
}

func (r outageResult) row() string {
	return fmt.Sprintf("| %s | %d | %d | %d | %v |", r.name, r.total.Requests-r.total.Failures, r.total.Failures, r.tokens, r.total.Longest.Round(time.Millisecond))
}

// runOutage runs the fleet against the topology that start builds, with
// the fault from `from` to `to` after the first token, for `run` after it.
func runOutage(t *testing.T, name string, from, to, run time.Duration, start func(t *testing.T, lockKey string) fault) outageResult {
	t.Helper()
	emu := iotauthtest.NewServer(iotauthtest.WithTokenTTL(outageTokenTTL))
	t.Cleanup(emu.Close)
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: emu.URL, AppID: iotauthtest.OceanConnectAppID, Secret: iotauth.Secret(iotauthtest.OceanConnectSecret),
	})
	require.NoError(t, err)
	f := start(t, "{"+p.Describe().StoreKey+"}:lock")

	until := time.Now().Add(2*time.Second + run) // worker start-up, then the run
	w := startWorkers(t, outageWorkers, func(int) []string {
		return []string{
			envWorker + "=load",
			envProfile + "=outage",
			envRedis + "=" + f.spec,
			envPlatform + "=" + emu.URL,
			envUntil + "=" + strconv.FormatInt(until.UnixNano(), 10),
			envGoroutines + "=" + strconv.Itoa(outageRoutines),
		}
	})
	tokens := func() int64 { return emu.OceanConnect.Logins() + emu.OceanConnect.Refreshes() }
	require.Eventually(t, func() bool { return tokens() > 0 }, 10*time.Second, 5*time.Millisecond, "no token issued")
	t0 := time.Now()
	var (
		issuedAtBack int64
		repaired     time.Time
	)
	if f.down != nil {
		time.Sleep(time.Until(t0.Add(from)))
		t.Logf("%s: fault at +%v", name, time.Since(t0).Round(time.Millisecond))
		f.down()
		time.Sleep(time.Until(t0.Add(to)))
		t.Logf("%s: repair at +%v", name, time.Since(t0).Round(time.Millisecond))
		if f.up != nil {
			f.up()
		}
		repaired = time.Now()
		time.Sleep(time.Until(t0.Add(to + outageLease)))
		issuedAtBack = tokens()
	}
	reports := collectWorkers(t, w)
	res := outageResult{name: name, tokens: tokens(), rejected: emu.OceanConnect.Rejected(), tokensAfter: tokens() - issuedAtBack, repaired: repaired, reports: reports}
	for i, r := range reports {
		t.Logf("worker %d: %d requests, %d failed, longest %v; cache %+v", i, r.Requests, r.Failures, r.Longest, r.Stats)
		res.total.add(r.load)
	}
	t.Logf("%s: %d requests, %d failed, %d tokens, %d rejected, longest %v; first errors %q",
		name, res.total.Requests, res.total.Failures, res.tokens, res.rejected, res.total.Longest, res.total.FirstErrors)
	if res.total.Failures > 0 || t.Failed() {
		res.explain(t)
	}
	require.Len(t, reports, outageWorkers)
	require.Positive(t, res.total.Requests)
	return res
}

// singleServer is a redis-server with the fault that act applies to it.
func singleServer(down func(*redistest.Server), up func(*redistest.Server)) func(*testing.T, string) fault {
	return func(t *testing.T, _ string) fault {
		rs := redistest.Start(t)
		f := fault{spec: rs.Addr()}
		if down != nil {
			f.down = func() { down(rs) }
		}
		if up != nil {
			f.up = func() { up(rs) }
		}
		return f
	}
}

// clusterLockMasterKilled is a Cluster of 3 masters and 3 replicas whose
// master holding the lock key (and, since they share a slot, the token
// key and channel) is killed, and restarted at the repair.
func clusterLockMasterKilled(t *testing.T, lockKey string) fault {
	c := redistest.StartCluster(t, 3, 1, 2*time.Second)
	var killed *redistest.Server
	return fault{
		spec: "cluster:" + strings.Join(c.Addrs(), ","),
		down: func() { killed = c.MasterOf(lockKey); killed.Kill() },
		up:   func() { killed.Restart() },
	}
}

// sentinelMasterKilled is a master, a replica and three sentinels; the
// master is killed, and restarted at the repair (it rejoins as a replica).
func sentinelMasterKilled(t *testing.T, _ string) fault {
	g := redistest.StartSentinel(t, 1, 3, 2*time.Second)
	var killed *redistest.Server
	return fault{
		spec: "sentinel:" + g.MasterName() + "," + strings.Join(g.SentinelAddrs(), ","),
		down: func() { killed = g.Master(); killed.Kill() },
		up:   func() { killed.Restart() },
	}
}

// outageHealthy is the baseline: the number of tokens a fleet without a
// fault needs in the run, which no fault may exceed.
var outageHealthy struct {
	tokens int64
	ok     bool
}

func TestFleetOutage_Healthy_Baseline(t *testing.T) {
	requireLong(t)
	if !*measure {
		t.Skip("the baseline row of the reliability table: run with -measure (the other tests then compare with it)")
	}
	res := runOutage(t, "none (single redis-server)", 0, 0, outageRun, singleServer(nil, nil))
	t.Log(res.row())
	assert.Zero(t, res.total.Failures)
	outageHealthy.tokens, outageHealthy.ok = res.tokens, true
}

// healthyTokens is the baseline's token count, or the schedule's when the
// baseline did not run: four in a 15 s run (measured: a token at 0 s, then
// one about every 5 s, the refresh window being 6 s of a 12 s life less the skew).
func healthyTokens() int64 {
	if outageHealthy.ok {
		return outageHealthy.tokens
	}
	return int64(outageRun/(outageTokenTTL/2)) + 2
}

// checkOutage asserts the goal for an outage shorter than a
// token's life: no failed request, no more tokens than a healthy run, no
// request waiting for a token past one store timeout, and a rotation
// notice's hold, plus the platform call.
func checkOutage(t *testing.T, res outageResult) {
	t.Helper()
	t.Log(res.row())
	assert.Zero(t, res.total.Failures, "failed requests; first ones: %q", res.total.FirstErrors)
	assert.LessOrEqual(t, res.tokens, healthyTokens(), "tokens issued, against a healthy run")
	assert.Less(t, res.total.Longest, outageStoreTO+rotationHold+time.Second, "the longest request")
	if t.Failed() {
		res.explain(t)
	}
}

func TestFleetOutage_SingleRedisKilledAndRestarted_NoFailureNoExtraLogin(t *testing.T) {
	requireLong(t)
	checkOutage(t, runOutage(t, "single redis-server killed at 4 s, restarted at 9 s", outageFrom, outageTo, outageRun,
		singleServer((*redistest.Server).Kill, (*redistest.Server).Restart)))
}

func TestFleetOutage_SingleRedisStoppedAndContinued_NoFailureNoExtraLogin(t *testing.T) {
	requireLong(t)
	checkOutage(t, runOutage(t, "single redis-server SIGSTOP at 4 s, SIGCONT at 9 s", outageFrom, outageTo, outageRun,
		singleServer((*redistest.Server).Pause, (*redistest.Server).Resume)))
}

func TestFleetOutage_ClusterLockMasterKilled_NoFailureNoExtraLogin(t *testing.T) {
	requireLong(t)
	checkOutage(t, runOutage(t, "Cluster 3+3: master of the credential's slot killed at 4 s (node timeout 2 s), restarted at 9 s", outageFrom, outageTo, outageRun,
		clusterLockMasterKilled))
}

func TestFleetOutage_SentinelMasterKilled_NoFailureNoExtraLogin(t *testing.T) {
	requireLong(t)
	checkOutage(t, runOutage(t, "Sentinel 1+1+3: master killed at 4 s (down-after 2 s), restarted at 9 s", outageFrom, outageTo, outageRun,
		sentinelMasterKilled))
}

func TestFleetOutage_LongerThanATokensLife_NoFailureALeaseAfterTheStoreReturnsThenOneTokenPerRefresh(t *testing.T) {
	requireLong(t)
	const to = 4*time.Second + outageTokenTTL + 2*time.Second // the token expires mid-outage
	const run = to + outageLease + 8*time.Second              // a refresh period and more
	res := runOutage(t, "single redis-server killed at 4 s, restarted at 18 s (longer than a token's life)", outageFrom, to, run,
		singleServer((*redistest.Server).Kill, (*redistest.Server).Restart))
	t.Log(res.row())
	// From a lease after the store returned, the fleet is back to a token
	// per refresh period (about 5 s: a 12 s life less its 10% skew less the
	// 6 s window), plus the one in flight.
	after := run - to - outageLease
	assert.LessOrEqual(t, res.tokensAfter, int64(after/(4500*time.Millisecond))+1, "tokens issued after the store returned")
	// While the store is down and the token has expired, replicas log in
	// on their own, spaced by their backoff, and requests may fail; from a
	// lease after the store returned, none does.
	assert.True(t, res.total.LastFailure.Before(res.repaired.Add(outageLease)),
		"a request failed %v after the store returned", res.total.LastFailure.Sub(res.repaired))
}
