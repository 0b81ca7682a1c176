package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
	"github.com/iotauth/iotauth/store/storetest"
)

// clusterClient is a Cluster client with go-redis's default options: a
// slot map reloaded every 60 s, contexts' deadlines not applied to
// commands (the store bounds its calls itself).
func clusterClient(t *testing.T, c *redistest.Cluster) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestCluster_Conformance(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a Redis Cluster; skipped with -short")
	}
	c := redistest.StartCluster(t, 3, 0, time.Second)
	storetest.Run(t, func(t *testing.T) iotauth.Store { return newStore(t, clusterClient(t, c)) })
}

func TestCluster_MasterOfTheCredentialKilled_StoreWorksSoonAfterThePromotion(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a Redis Cluster; skipped with -short")
	}
	c := redistest.StartCluster(t, 3, 1, time.Second)
	s := newStore(t, clusterClient(t, c))
	key := storetest.Key(t)
	ctx := ctxFor(t, time.Minute)
	require.NoError(t, s.Save(ctx, key, storetest.Token(1, time.Hour)))
	l, err := s.Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	got, _ := watch(t, s, key)

	old := c.MasterOf(tagged(key))
	require.NoError(t, old.WaitReplicated(5*time.Second), "the replica has the token and the lock before the master dies")
	old.Kill()
	require.Eventually(t, func() bool { return c.MasterOf(tagged(key)) != old }, 20*time.Second, 20*time.Millisecond, "no replica promoted")
	promoted := time.Now()

	// The client's slot map still names the dead master; its own reload
	// comes after 60 s. The store's failed calls make it reload at once.
	var tok *iotauth.Token
	require.Eventually(t, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		tok, err = s.Load(cctx, key)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the store never reached the promoted replica")
	t.Logf("store answering %v after the promotion", time.Since(promoted).Round(time.Millisecond))
	assert.Less(t, time.Since(promoted), 5*time.Second)
	require.NotNil(t, tok, "the replica had the token")
	assert.Equal(t, "access-1-SECRET", tok.AccessToken)

	// The token, its lock and its channel moved together.
	require.NoError(t, l.Renew(ctx, time.Minute), "the lock is on the promoted replica")
	_, err = s.Lock(ctx, key, time.Second)
	require.ErrorIs(t, err, iotauth.ErrLockHeld)
	saveUntilDelivered(t, s, key, got)
	t.Logf("watch delivering %v after the promotion", time.Since(promoted).Round(time.Millisecond))
	require.NoError(t, l.Unlock(ctx))
}

// saveUntilDelivered saves tokens under key until the watch got delivers
// one. Tokens saved before go-redis has resubscribed after a failover are
// not delivered (a watcher also loads the store).
func saveUntilDelivered(t *testing.T, s *redisstore.Store, key string, got <-chan *iotauth.Token) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 2; time.Now().Before(deadline); i++ {
		require.NoError(t, s.Save(ctxFor(t, 5*time.Second), key, storetest.Token(i, time.Hour)))
		select {
		case tok := <-got:
			require.Equal(t, fmt.Sprintf("access-%d-SECRET", i), tok.AccessToken)
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Fatal("the watch never resubscribed")
}

func TestCluster_MasterDown_SlotMapReloadsAtMostOnceASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a Redis Cluster; skipped with -short")
	}
	c := redistest.StartCluster(t, 3, 0, time.Second) // no replica: the slot stays down
	s := newStore(t, clusterClient(t, c))
	key := storetest.Key(t)
	dead := c.MasterOf(tagged(key))
	dead.Kill()
	var live []*redistest.Server
	for _, n := range c.Nodes() {
		if n != dead {
			require.NoError(t, n.ResetStats())
			live = append(live, n)
		}
	}

	// Many failing calls at once, as a busy fleet makes them.
	const run = 2 * time.Second
	var wg sync.WaitGroup
	var failed atomic.Int64
	until := time.Now().Add(run)
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(until) {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				if _, err := s.Load(ctx, key); err != nil {
					failed.Add(1)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	var reloads int64
	for _, n := range live {
		stats, err := n.CommandStats()
		require.NoError(t, err)
		reloads += stats["cluster|slots"] + stats["cluster|shards"]
	}
	t.Logf("%d failed calls, %d slot map reloads in %v", failed.Load(), reloads, run)
	require.Positive(t, failed.Load())
	assert.Positive(t, reloads, "no reload asked for")
	assert.LessOrEqual(t, reloads, int64(run/time.Second)+1, "reloads are rate-limited")
}
