package iotauth_test

import (
	"context"
	"errors"
	"fmt"
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

// fleetSource is one process's login to a shared platform: every login
// anywhere in the fleet counts in logins.
type fleetSource struct {
	logins *atomic.Int64
	life   time.Duration
	delay  time.Duration
}

func (s fleetSource) Token(context.Context) (*iotauth.Token, error) {
	n := s.logins.Add(1)
	time.Sleep(s.delay)
	now := time.Now()
	return &iotauth.Token{AccessToken: fmt.Sprintf("fleet-%d", n), IssuedAt: now, Expiry: now.Add(s.life)}, nil
}

const fleetKey = "iotauth:v1:test:fleet"

func TestFleet_ColdStartOfFourProcessesSharingAStore_LogsInOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logins atomic.Int64
		st := store.NewMemory()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 4 {
			c := iotauth.NewCache(fleetSource{&logins, time.Hour, time.Second}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
			defer c.Close()
			for range 100 {
				wg.Go(func() {
					tok, err := c.Token(context.Background())
					if err != nil || tok.AccessToken != "fleet-1" {
						failed.Add(1)
					}
				})
			}
		}
		wg.Wait()
		assert.Equal(t, int64(1), logins.Load())
		assert.Zero(t, failed.Load())
	})
}

func TestFleet_RestartedProcess_AdoptsTheStoredTokenInsteadOfLoggingIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logins atomic.Int64
		st := store.NewMemory()
		first := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		_, err := first.Token(context.Background())
		require.NoError(t, err)
		first.Close()

		second := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		defer second.Close()
		tok, err := second.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "fleet-1", tok.AccessToken)
		assert.Equal(t, int64(1), logins.Load())
		assert.Zero(t, second.Stats().Logins)
	})
}

func TestFleet_OneProcessRefreshes_TheOthersSwapToItsTokenWithoutALogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logins atomic.Int64
		st := store.NewMemory()
		a := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		b := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		defer a.Close()
		defer b.Close()
		ta, err := a.Token(context.Background())
		require.NoError(t, err)
		_, err = b.Token(context.Background())
		require.NoError(t, err)

		a.Invalidate(ta) // a's token is rejected: a logs in again
		ta2, err := a.Token(context.Background())
		require.NoError(t, err)
		synctest.Wait() // the store tells b
		tb, err := b.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, ta2.AccessToken, tb.AccessToken, "b did not adopt a's new token")
		assert.Equal(t, int64(2), logins.Load())
		assert.Zero(t, b.Stats().Logins)
	})
}

func TestFleet_LockHolderDiesMidLogin_AnotherProcessTakesOverAfterTheLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logins atomic.Int64
		st := store.NewMemory()
		// A holder that took the lock and died: it never saves nor unlocks.
		_, err := st.Lock(context.Background(), fleetKey, 3*time.Second)
		require.NoError(t, err)
		c := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey),
			iotauth.WithLease(3*time.Second))
		defer c.Close()
		start := time.Now()
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "fleet-1", tok.AccessToken)
		waited := time.Since(start)
		assert.GreaterOrEqual(t, waited, 3*time.Second, "logged in while another held the lock")
		assert.Less(t, waited, 7*time.Second, "waited past the lease")
	})
}

// brokenStore fails every call, slowly when slow is set: Redis down or hung.
type brokenStore struct{ slow bool }

var errDown = errors.New("connection refused")

func (b brokenStore) wait(ctx context.Context) error {
	if b.slow {
		<-ctx.Done()
		return ctx.Err()
	}
	return errDown
}
func (b brokenStore) Load(ctx context.Context, _ string) (*iotauth.Token, error) {
	return nil, b.wait(ctx)
}
func (b brokenStore) Save(ctx context.Context, _ string, _ *iotauth.Token) error { return b.wait(ctx) }
func (b brokenStore) Delete(ctx context.Context, _ string) error                 { return b.wait(ctx) }
func (b brokenStore) Lock(ctx context.Context, _ string, _ time.Duration) (iotauth.Lease, error) {
	return nil, b.wait(ctx)
}

func TestFleet_StoreDownOrSlow_FallsBackToInProcessSingleFlightWithinTheStoreTimeout(t *testing.T) {
	for name, st := range map[string]brokenStore{"down": {}, "slow": {slow: true}} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logins atomic.Int64
				c := iotauth.NewCache(fleetSource{&logins, time.Hour, 0}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey),
					iotauth.WithStoreTimeout(200*time.Millisecond))
				defer c.Close()
				var wg sync.WaitGroup
				start := time.Now()
				for range 50 {
					wg.Go(func() {
						_, err := c.Token(context.Background())
						assert.NoError(t, err)
					})
				}
				wg.Wait()
				assert.Equal(t, int64(1), logins.Load())
				// load + lock + save, each bounded by the store timeout
				assert.LessOrEqual(t, time.Since(start), 600*time.Millisecond)
			})
		})
	}
}

func TestFleet_WithStoreWithoutAKey_Panics(t *testing.T) {
	assert.PanicsWithValue(t, "iotauth: NewCache: WithStore needs a key: the source's Describe has no StoreKey, so add WithStoreKey(iotauth.StoreKey(...))", func() {
		iotauth.NewCache(fleetSource{}, iotauth.WithStore(store.NewMemory()))
	})
}

// closingSource records whether it was closed (OceanConnect logs out).
type closingSource struct {
	fleetSource
	closed atomic.Bool
}

func (s *closingSource) Close() error { s.closed.Store(true); return nil }

func TestFleet_CloseWithAStore_DoesNotCloseTheSourceWhoseTokenOthersUse(t *testing.T) {
	var logins atomic.Int64
	alone := &closingSource{fleetSource: fleetSource{logins: &logins, life: time.Hour}}
	require.NoError(t, iotauth.NewCache(alone).Close())
	assert.True(t, alone.closed.Load(), "without a store, Close must close the source")

	shared := &closingSource{fleetSource: fleetSource{logins: &logins, life: time.Hour}}
	require.NoError(t, iotauth.NewCache(shared, iotauth.WithStore(store.NewMemory()), iotauth.WithStoreKey(fleetKey)).Close())
	assert.False(t, shared.closed.Load(), "a replica's Close logged out the fleet's token")
}
