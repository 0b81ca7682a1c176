package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
)

// The fault tests run replicas as goroutines of the test process: each has
// its own Redis connection, store and cache, so they meet only in Redis and
// on the platform, as processes do.

// faultOptions keep the store timeout and the lease short, so that the
// fallbacks they bound happen within a test.
func faultOptions() []iotauth.CacheOption {
	return []iotauth.CacheOption{
		iotauth.WithStoreTimeout(200 * time.Millisecond),
		iotauth.WithLease(time.Second),
		iotauth.WithBackoff(50*time.Millisecond, 200*time.Millisecond),
	}
}

// replicas starts n replicas of the fleet and closes them when the test ends.
func replicas(t *testing.T, n int, platformURL, redisAddr string, opts ...iotauth.CacheOption) []*replica {
	t.Helper()
	rs := make([]*replica, n)
	for i := range rs {
		r, err := newReplica(platformURL, redisAddr, append(faultOptions(), opts...)...)
		require.NoError(t, err)
		rs[i] = r
	}
	t.Cleanup(func() { closeAll(rs) })
	return rs
}

// faultFleet starts a redis-server, the emulator and n replicas, all
// stopped when the test ends.
func faultFleet(t *testing.T, n int, opts ...iotauth.CacheOption) (*redistest.Server, *iotauthtest.Server, []*replica) {
	t.Helper()
	rs := redistest.Start(t)
	emu := iotauthtest.NewServer()
	t.Cleanup(emu.Close)
	return rs, emu, replicas(t, n, emu.URL, rs.Addr(), opts...)
}

// closeAll closes the replicas.
func closeAll(rs []*replica) {
	for _, r := range rs {
		r.close()
	}
}

// callAll makes perReplica concurrent requests through each replica and
// returns the failures.
func callAll(rs []*replica, perReplica int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, r := range rs {
		for range perReplica {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := r.call(ctx); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return errs
}

// tokensIssued is the number of tokens the platform has issued.
func tokensIssued(emu *iotauthtest.Server) int64 {
	return emu.OceanConnect.Logins() + emu.OceanConnect.Refreshes()
}

// requireRedisUp waits until every replica's connection reaches Redis again.
func requireRedisUp(t *testing.T, rs []*replica) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, r := range rs {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			err := r.rdb.Ping(ctx).Err()
			cancel()
			if err != nil {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "Redis did not come back")
}

func TestFleetFault_RedisKilledAndRestarted_RequestsKeepSucceedingAndTheFleetLockWorksAgain(t *testing.T) {
	// Count the replicas' circuit breakers opening and closing again.
	var opened, closed atomic.Int64
	hook := iotauth.WithHook(func(ev iotauth.Event) {
		switch {
		case ev.Op == "store" && strings.HasPrefix(ev.Message, "token store unreachable; store calls are skipped"):
			opened.Add(1)
		case ev.Op == "store" && ev.Message == "token store reachable again":
			closed.Add(1)
		}
	})
	rs, emu, fleet := faultFleet(t, 3, hook)

	require.Empty(t, callAll(fleet, 10))
	require.EqualValues(t, 1, tokensIssued(emu), "the fleet logs in once")

	rs.Kill()
	assert.Empty(t, callAll(fleet, 20), "valid cached tokens are served while Redis is down")
	assert.EqualValues(t, 1, tokensIssued(emu), "no login while the cached token is valid")

	// The platform drops the token: a replica logs in by itself, its store
	// calls failing within the store timeout.
	emu.OceanConnect.Revoke()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, fleet[0].call(ctx), "the login falls back to the process when Redis is down")
	assert.EqualValues(t, 2, tokensIssued(emu))

	rs.Restart()
	requireRedisUp(t, fleet)
	require.Eventually(t, func() bool { return closed.Load() == opened.Load() }, 5*time.Second, 10*time.Millisecond,
		"a replica's probe did not find Redis back")
	emu.OceanConnect.Revoke()
	before := tokensIssued(emu)
	assert.Empty(t, callAll(fleet, 20), "requests after the restart")
	assert.Equal(t, before+1, tokensIssued(emu), "once Redis is back, one replica logs in for the fleet")
}

func TestFleetFault_RedisSlowerThanTheStoreTimeout_CallersGetATokenWithinTheirContext(t *testing.T) {
	rs, _, fleet := faultFleet(t, 2, iotauth.WithStoreTimeout(100*time.Millisecond))

	// CLIENT PAUSE holds every command of every other client for 2 s; the
	// canary's PING returns when Redis answers again.
	admin := redis.NewClient(&redis.Options{Addr: rs.Addr(), ReadTimeout: -1})
	defer admin.Close()
	require.NoError(t, admin.Do(context.Background(), "CLIENT", "PAUSE", "2000", "ALL").Err())
	awake := make(chan struct{})
	go func() {
		defer close(awake)
		_ = admin.Ping(context.Background()).Err()
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for _, r := range fleet {
		for range 20 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
				defer cancel()
				tok, err := r.cache.Token(ctx)
				if err == nil && !tok.Valid() {
					err = errors.New("invalid token without an error")
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	select {
	case <-awake:
		t.Fatal("callers returned only once Redis answered again: a store call outlived the store timeout")
	default:
	}
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	<-awake
}

func TestFleetFault_LockNeverReleased_TheLeaseExpiryHandsOver(t *testing.T) {
	rs, emu, fleet := faultFleet(t, 1, iotauth.WithLease(500*time.Millisecond))

	// A holder that takes the lock and vanishes without releasing it.
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	_, err := newStore(t, rdb).Lock(context.Background(), fleet[0].cache.Describe().StoreKey, 500*time.Millisecond)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, fleet[0].call(ctx))
	assert.EqualValues(t, 1, tokensIssued(emu))
	assert.EqualValues(t, 1, fleet[0].cache.Stats().Logins, "the waiting replica logged in once the lease ran out")
}

func TestFleetFault_LockKeySetWithoutTTL_AReplicaTakesOverWithinALease(t *testing.T) {
	const lease = 500 * time.Millisecond
	rs, emu, fleet := faultFleet(t, 3, iotauth.WithLease(lease))

	// A lock key left for good: a crashed older version, a manual SET.
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	key := fleet[0].cache.Describe().StoreKey
	require.NoError(t, rdb.Set(context.Background(), "{"+key+"}:lock", "stale", 0).Err())

	start := time.Now()
	require.Empty(t, callAll(fleet, 5), "every replica gets a token")
	took := time.Since(start)
	t.Logf("a token after %v with a %v lease", took, lease)
	assert.Less(t, took, 4*lease, "the stale lock held the fleet back")
	assert.EqualValues(t, 1, tokensIssued(emu), "one replica logged in for the fleet")
}

func TestFleetFault_LockHolderProcessKilledMidLogin_TheLeaseExpiryHandsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a worker process; skipped with -short")
	}
	rs, emu, _ := faultFleet(t, 0)
	// The holder's login is held until the holder dies, so it never
	// completes.
	emu.OceanConnect.SetLatency(time.Minute)

	var out bytes.Buffer
	holder := startWorker(t, []string{
		envWorker + "=hold",
		envRedis + "=" + rs.Addr(),
		envPlatform + "=" + emu.URL,
	}, &out)
	require.Eventually(t, func() bool { return emu.OceanConnect.Requests() > 0 }, 30*time.Second, 5*time.Millisecond,
		"the holder's login did not reach the platform:\n%s", &out)
	require.NoError(t, holder.Process.Kill())
	_ = holder.Wait()
	emu.OceanConnect.SetLatency(0)

	fleet := replicas(t, 1, emu.URL, rs.Addr(), fleetOptions()...)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	_, err := newStore(t, rdb).Lock(context.Background(), fleet[0].cache.Describe().StoreKey, time.Second)
	require.ErrorIs(t, err, iotauth.ErrLockHeld, "the dead holder's lock is still held")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, fleet[0].call(ctx), "a replica logs in once the dead holder's lease runs out")
	st := fleet[0].cache.Stats()
	assert.EqualValues(t, 1, st.Logins, "the replica logged in itself, after waiting")
	assert.EqualValues(t, 1, st.Waits)
	assert.EqualValues(t, 1, emu.OceanConnect.Logins(), "only the replica's login completed")
}

func TestFleetFault_ClosedReplicas_LeaveNoGoroutineBehind(t *testing.T) {
	rs, emu, _ := faultFleet(t, 0)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	fleet := replicas(t, 3, emu.URL, rs.Addr(), iotauth.WithRefreshWindow(time.Second))
	// Every replica has run a flight, a watch and a token's timers.
	require.Empty(t, callAll(fleet, 5))
	for i, r := range fleet {
		_, err := r.cache.Token(context.Background())
		require.NoError(t, err, "replica %d", i)
	}
	closeAll(fleet)
	emu.Close()
}
