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

// The scenarios: tokens that outlive the fault, refreshed so far ahead
// that the first refresh falls inside it. 12 s tokens refreshed 6 s ahead
// are due 4.8 s after they were issued and stop being served at 10.8 s;
// the store fails at 4 s and comes back at 7 s or 9 s. 30 s tokens
// refreshed 12 s ahead are due at 15 s and dead at 27 s; the store fails
// at 13 s and comes back at 23 s.
const (
	outageTokenTTL = 12 * time.Second
	outageWindow   = 6 * time.Second
	outageFrom     = 4 * time.Second
	outageTo       = 9 * time.Second
	outageRun      = 15 * time.Second // of load after the first token
	outageWorkers  = 4
	outageRoutines = 20
	// The tuned profile's lease and store timeout; the defaults profile
	// has the Cache's (15 s and 2 s).
	outageLease   = 2 * time.Second
	outageStoreTO = time.Second
	defaultLease  = 15 * time.Second
	defaultStore  = 2 * time.Second
	// rotationHold is how long iotauth holds requests at a rotation notice
	// on a platform that keeps only the last token (at most the lease).
	rotationHold = time.Second
)

// scenario is the token life, refresh window and fault times of a run.
type scenario struct {
	ttl, window, from, to, run time.Duration
}

var (
	// shortFault is a 5 s fault of a 12 s token's life.
	shortFault = scenario{ttl: outageTokenTTL, window: outageWindow, from: outageFrom, to: outageTo, run: outageRun}
	// pause3s is a 3 s SIGSTOP in a 12 s token's life.
	pause3s = scenario{ttl: outageTokenTTL, window: outageWindow, from: outageFrom, to: 7 * time.Second, run: outageRun}
	// pause10s is a 10 s SIGSTOP in a 30 s token's life.
	pause10s = scenario{ttl: 30 * time.Second, window: 12 * time.Second, from: 13 * time.Second, to: 23 * time.Second, run: 30 * time.Second}
)

// profile is the options a run's workers have: tuned (the Cache's
// WithLease(2s), WithStoreTimeout(1s), and a single server's client with
// ContextTimeoutEnabled) or go-redis's and the Cache's defaults; both with
// the scenario's refresh window.
type profile struct {
	tuned bool
}

var (
	tuned    = profile{tuned: true}
	defaults = profile{}
)

// String names the profile in the reliability table.
func (p profile) String() string {
	if p.tuned {
		return "tuned"
	}
	return "defaults"
}

// storeTimeout and lease are the profile's.
func (p profile) storeTimeout() time.Duration {
	if p.tuned {
		return outageStoreTO
	}
	return defaultStore
}

func (p profile) lease() time.Duration {
	if p.tuned {
		return outageLease
	}
	return defaultLease
}

// outageOptions are the cache options of an outage worker.
func outageOptions(tuned bool, window time.Duration) []iotauth.CacheOption {
	if !tuned {
		return []iotauth.CacheOption{iotauth.WithRefreshWindow(window)}
	}
	return []iotauth.CacheOption{
		iotauth.WithRefreshWindow(window),
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
	profile  string // "defaults" or "tuned"
	total    load
	tokens   int64 // logins + refreshes the platform served
	rejected int64 // requests the platform refused with a stale token
	// tokensAfter counts tokens issued from one lease after the store
	// returned to the end of the run, when the run lasts that long (else
	// all of them).
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
	return fmt.Sprintf("| %s | %s | %d | %d | %d | %v |", r.profile, r.name, r.total.Requests-r.total.Failures, r.total.Failures, r.tokens, r.total.Longest.Round(time.Millisecond))
}

// runOutage runs the fleet against the topology that start builds, with
// the fault from `from` to `to` after the first token, for `run` after it.
func runOutage(t *testing.T, name string, p profile, sc scenario, start func(t *testing.T, lockKey string) fault) outageResult {
	t.Helper()
	from, to, run := sc.from, sc.to, sc.run
	emu := iotauthtest.NewServer(iotauthtest.WithTokenTTL(sc.ttl))
	t.Cleanup(emu.Close)
	oc, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: emu.URL, AppID: iotauthtest.OceanConnectAppID, Secret: iotauth.Secret(iotauthtest.OceanConnectSecret),
	})
	require.NoError(t, err)
	f := start(t, "{"+oc.Describe().StoreKey+"}:lock")
	spec, prof := f.spec, "outage"
	if !p.tuned {
		spec, prof = "defaults:"+spec, "outage-defaults"
	}

	until := time.Now().Add(2*time.Second + run) // worker start-up, then the run
	w := startWorkers(t, outageWorkers, func(int) []string {
		return []string{
			envWorker + "=load",
			envProfile + "=" + prof,
			envWindow + "=" + sc.window.String(),
			envRedis + "=" + spec,
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
		// tokensAfter counts from a lease after the repair, in a run that
		// lasts that long (the long outage's); the others end first.
		if back := t0.Add(to + p.lease()); back.Before(until) {
			time.Sleep(time.Until(back))
			issuedAtBack = tokens()
		}
	}
	reports := collectWorkers(t, w)
	res := outageResult{name: name, profile: p.String(), tokens: tokens(), rejected: emu.OceanConnect.Rejected(), tokensAfter: tokens() - issuedAtBack, repaired: repaired, reports: reports}
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

// outageHealthy holds the baselines: the number of tokens a fleet without a
// fault needs in a 12 s-token run, per profile, which no fault may exceed.
var outageHealthy = map[profile]int64{}

// bothProfiles runs test as the subtests "defaults" and "tuned", in that
// order: go-redis's and the Cache's default options first, as users run
// them.
func bothProfiles(t *testing.T, test func(t *testing.T, p profile)) {
	requireLong(t)
	t.Run("defaults", func(t *testing.T) { test(t, defaults) })
	t.Run("tuned", func(t *testing.T) { test(t, tuned) })
}

func TestFleetOutage_Healthy_Baseline(t *testing.T) {
	if !*measure {
		t.Skip("the baseline row of the reliability table: run with -measure (the other tests then compare with it)")
	}
	bothProfiles(t, func(t *testing.T, p profile) {
		res := runOutage(t, "none (single redis-server) — baseline", p, scenario{ttl: outageTokenTTL, window: outageWindow, run: outageRun}, singleServer(nil, nil))
		t.Log(res.row())
		assert.Zero(t, res.total.Failures)
		outageHealthy[p] = res.tokens
	})
}

// healthyTokens is the baseline's token count for 12 s tokens when it ran,
// else the schedule's: a token at the start, then one per refresh period
// (the life less its 10% skew less the window; later, by the random wait
// before a rotation): four in a 15 s run of 12 s tokens, three in a 30 s
// run of 30 s tokens.
func healthyTokens(p profile, sc scenario) int64 {
	if n, ok := outageHealthy[p]; ok && sc.ttl == outageTokenTTL && sc.run == outageRun {
		return n
	}
	period := sc.ttl - sc.ttl/10 - sc.window
	return int64(sc.run/period) + 1
}

// checkOutage asserts the goal for a fault shorter than a token's life: no
// failed request, no more tokens than a healthy run, and no request
// waiting for a token past one store timeout and a rotation notice's hold,
// plus a second for the platform call on a loaded machine.
func checkOutage(t *testing.T, p profile, sc scenario, res outageResult) {
	t.Helper()
	t.Log(res.row())
	assert.Zero(t, res.total.Failures, "failed requests; first ones: %q", res.total.FirstErrors)
	assert.LessOrEqual(t, res.tokens, healthyTokens(p, sc), "tokens issued, against a healthy run")
	assert.Less(t, res.total.Longest, p.storeTimeout()+rotationHold+time.Second, "the longest request")
	if t.Failed() {
		res.explain(t)
	}
}

func TestFleetOutage_SingleRedisKilledAndRestarted_NoFailureNoExtraLogin(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		checkOutage(t, p, shortFault, runOutage(t, "single redis-server killed at 4 s, restarted at 9 s", p, shortFault,
			singleServer((*redistest.Server).Kill, (*redistest.Server).Restart)))
	})
}

func TestFleetOutage_SingleRedisStoppedAndContinued_NoFailureNoExtraLogin(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		checkOutage(t, p, pause3s, runOutage(t, "single redis-server SIGSTOP at 4 s, SIGCONT at 7 s", p, pause3s,
			singleServer((*redistest.Server).Pause, (*redistest.Server).Resume)))
	})
}

func TestFleetOutage_SingleRedisStoppedTenSeconds_NoFailureNoExtraLogin(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		checkOutage(t, p, pause10s, runOutage(t, "30 s tokens: single redis-server SIGSTOP at 13 s, SIGCONT at 23 s", p, pause10s,
			singleServer((*redistest.Server).Pause, (*redistest.Server).Resume)))
	})
}

func TestFleetOutage_ClusterLockMasterKilled_NoFailureNoExtraLogin(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		checkOutage(t, p, shortFault, runOutage(t, "Cluster 3+3: master of the credential's slot killed at 4 s (node timeout 2 s), restarted at 9 s", p, shortFault,
			clusterLockMasterKilled))
	})
}

func TestFleetOutage_SentinelMasterKilled_NoFailureNoExtraLogin(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		checkOutage(t, p, shortFault, runOutage(t, "Sentinel 1+1+3: master killed at 4 s (down-after 2 s), restarted at 9 s", p, shortFault,
			sentinelMasterKilled))
	})
}

func TestFleetOutage_LongerThanATokensLife_NoFailureALeaseAfterTheStoreReturnsThenOneTokenPerRefresh(t *testing.T) {
	bothProfiles(t, func(t *testing.T, p profile) {
		const to = 4*time.Second + outageTokenTTL + 2*time.Second // the token expires mid-outage
		run := to + p.lease() + 8*time.Second                     // a refresh period and more
		res := runOutage(t, "single redis-server killed at 4 s, restarted at 18 s (longer than a token's life)", p,
			scenario{ttl: outageTokenTTL, window: outageWindow, from: outageFrom, to: to, run: run},
			singleServer((*redistest.Server).Kill, (*redistest.Server).Restart))
		t.Log(res.row())
		// From a lease after the store returned, the fleet is back to a token
		// per refresh period (about 5 s: a 12 s life less its 10% skew less the
		// 6 s window), plus the one in flight.
		after := run - to - p.lease()
		assert.LessOrEqual(t, res.tokensAfter, int64(after/(4500*time.Millisecond))+1, "tokens issued after the store returned")
		// While the store is down and the token has expired, replicas log in
		// on their own, spaced by their backoff, and requests may fail; from a
		// lease after the store returned, none does.
		assert.True(t, res.total.LastFailure.Before(res.repaired.Add(p.lease())),
			"a request failed %v after the store returned", res.total.LastFailure.Sub(res.repaired))
	})
}
