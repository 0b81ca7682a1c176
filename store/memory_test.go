package store_test

import (
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"testing"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/storetest"
)

func TestMemory_Conformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) iotauth.Store { return store.NewMemory() })
}

func TestMemory_LeaseAndTokenExpiry_FollowTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemory()
		ctx := t.Context()
		key := iotauth.StoreKey("test", "https://example.invalid", "acct")
		require.NoError(t, m.Save(ctx, key, &iotauth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Minute)}))
		lease, err := m.Lock(ctx, key, 10*time.Second)
		require.NoError(t, err)

		time.Sleep(10*time.Second - time.Nanosecond) // fake time inside the bubble
		_, err = m.Lock(ctx, key, time.Second)
		require.ErrorIs(t, err, iotauth.ErrLockHeld, "the lease holds until its end")
		require.NoError(t, lease.Renew(ctx, 10*time.Second))

		time.Sleep(10 * time.Second)
		next, err := m.Lock(ctx, key, time.Second)
		require.NoError(t, err, "the renewed lease ran out")
		require.ErrorIs(t, lease.Renew(ctx, time.Second), iotauth.ErrLockHeld)
		require.NoError(t, next.Unlock(ctx))

		tok, err := m.Load(ctx, key)
		require.NoError(t, err)
		require.NotNil(t, tok, "the token is valid until its expiry")
		time.Sleep(41 * time.Second)
		tok, err = m.Load(ctx, key)
		require.NoError(t, err)
		require.Nil(t, tok, "the token expired")
	})
}

func TestMemory_SlowWatcher_GetsTheNewestToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemory()
		key := iotauth.StoreKey("test", "https://example.invalid", "acct")
		release := make(chan struct{})
		var got []string
		stop, err := m.Watch(t.Context(), key, func(tok *iotauth.Token) {
			got = append(got, tok.AccessToken)
			<-release
		})
		require.NoError(t, err)
		require.NoError(t, m.Save(t.Context(), key, &iotauth.Token{AccessToken: "first"}))
		synctest.Wait() // the watcher is blocked in fn with "first"
		for _, a := range []string{"second", "third", "newest"} {
			require.NoError(t, m.Save(t.Context(), key, &iotauth.Token{AccessToken: a}))
		}
		close(release)
		synctest.Wait()
		stop()
		require.Equal(t, []string{"first", "newest"}, got)
	})
}
