package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
	"github.com/iotauth/iotauth/store/storetest"
)

func TestSentinel_MasterKilled_StoreWorksAfterTheFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a Sentinel group; skipped with -short")
	}
	g := redistest.StartSentinel(t, 1, 3, time.Second)
	// go-redis's default options.
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: g.MasterName(), SentinelAddrs: g.SentinelAddrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := newStore(t, rdb)
	key := storetest.Key(t)
	ctx := ctxFor(t, time.Minute)
	require.NoError(t, s.Save(ctx, key, storetest.Token(1, time.Hour)))
	l, err := s.Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	got, _ := watch(t, s, key)
	old := g.Master()
	require.NoError(t, old.WaitReplicated(5*time.Second), "the replica has the token and the lock before the master dies")
	old.Kill()
	require.NoError(t, g.WaitFailover(old, 20*time.Second))
	promoted := time.Now()

	var tok *iotauth.Token
	require.Eventually(t, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		tok, err = s.Load(cctx, key)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the store never reached the new master")
	t.Logf("store answering %v after the failover", time.Since(promoted).Round(time.Millisecond))
	require.NotNil(t, tok)
	assert.Equal(t, "access-1-SECRET", tok.AccessToken)
	require.NoError(t, l.Renew(ctx, time.Minute), "the lock moved with the data")
	saveUntilDelivered(t, s, key, got)
	t.Logf("watch delivering %v after the failover", time.Since(promoted).Round(time.Millisecond))
	require.NoError(t, l.Unlock(ctx))
}
