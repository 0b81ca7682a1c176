package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// Option adjusts the suite to a store.
type Option func(*config)

type config struct {
	leaseExpires bool
}

// WithoutLeaseExpiry skips the checks that a lock is released when its
// lease runs out, for stores whose locks are released when their holder
// process dies instead (store.File).
func WithoutLeaseExpiry() Option { return func(c *config) { c.leaseExpires = false } }

// Run runs the suite against stores made by newStore, which is called once
// per check. Keys are unique per check, so stores may share their backing
// (one directory, one Redis database).
func Run(t *testing.T, newStore func(t *testing.T) iotauth.Store, opts ...Option) {
	cfg := config{leaseExpires: true}
	for _, o := range opts {
		o(&cfg)
	}
	t.Run("Store", func(t *testing.T) { runStore(t, newStore) })
	t.Run("Locker", func(t *testing.T) {
		if _, ok := newStore(t).(iotauth.Locker); !ok {
			t.Skip("store is not an iotauth.Locker")
		}
		runLocker(t, func(t *testing.T) iotauth.Locker { return newStore(t).(iotauth.Locker) }, cfg)
	})
	t.Run("Watcher", func(t *testing.T) {
		s := newStore(t)
		if _, ok := s.(iotauth.Watcher); !ok {
			t.Skip("store is not an iotauth.Watcher")
		}
		runWatcher(t, newStore)
	})
}

// Key returns a key unique to this run, shaped like iotauth.StoreKey's.
func Key(t *testing.T) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return iotauth.StoreKey("storetest", t.Name(), hex.EncodeToString(b[:]))
}

// ctx is a test context bounded well past anything a store should need.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// Token returns a token with every field set, unique per n, valid for life.
func Token(n int, life time.Duration) *iotauth.Token {
	now := time.Now()
	return &iotauth.Token{
		AccessToken:  fmt.Sprintf("access-%d-SECRET", n),
		TokenType:    "Bearer ",
		RefreshToken: fmt.Sprintf("refresh-%d-SECRET", n),
		Expiry:       now.Add(life),
		IssuedAt:     now.Add(-time.Second),
		Scope:        "default scope",
		ID:           fmt.Sprintf("id-%d", n),
		Extra:        map[string]string{"app_key": fmt.Sprintf("app-%d", n), "region": "cn-north-4"},
	}
}

// RequireSameToken fails t unless got has every field of want.
func RequireSameToken(t *testing.T, want, got *iotauth.Token) {
	t.Helper()
	require.NotNil(t, got, "no token")
	require.Equal(t, want.AccessToken, got.AccessToken)
	require.Equal(t, want.TokenType, got.TokenType)
	require.Equal(t, want.RefreshToken, got.RefreshToken)
	require.True(t, want.Expiry.Equal(got.Expiry), "expiry %v, want %v", got.Expiry, want.Expiry)
	require.True(t, want.IssuedAt.Equal(got.IssuedAt), "issued at %v, want %v", got.IssuedAt, want.IssuedAt)
	require.Equal(t, want.Scope, got.Scope)
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.Extra, got.Extra)
}

func runStore(t *testing.T, newStore func(t *testing.T) iotauth.Store) {
	t.Run("LoadMissing_ReturnsNilNil", func(t *testing.T) {
		tok, err := newStore(t).Load(ctx(t), Key(t))
		require.NoError(t, err)
		require.Nil(t, tok)
	})
	t.Run("SaveLoad_RoundTripsEveryField", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		want := Token(1, time.Hour)
		require.NoError(t, s.Save(ctx(t), key, want))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		RequireSameToken(t, want, got)
	})
	t.Run("SaveLoad_TokenWithoutExpiry_IsKept", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		require.NoError(t, s.Save(ctx(t), key, &iotauth.Token{AccessToken: "forever"}))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Equal(t, "forever", got.AccessToken)
		require.True(t, got.Expiry.IsZero())
	})
	t.Run("Save_Overwrites", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		second := Token(2, 2*time.Hour)
		require.NoError(t, s.Save(ctx(t), key, Token(1, time.Hour)))
		require.NoError(t, s.Save(ctx(t), key, second))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		RequireSameToken(t, second, got)
	})
	t.Run("Keys_AreIndependent", func(t *testing.T) {
		s, k1, k2 := newStore(t), Key(t), Key(t)
		require.NoError(t, s.Save(ctx(t), k1, Token(1, time.Hour)))
		got, err := s.Load(ctx(t), k2)
		require.NoError(t, err)
		require.Nil(t, got)
		require.NoError(t, s.Delete(ctx(t), k2))
		got, err = s.Load(ctx(t), k1)
		require.NoError(t, err)
		require.NotNil(t, got)
	})
	t.Run("Delete_RemovesTheToken", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		require.NoError(t, s.Save(ctx(t), key, Token(1, time.Hour)))
		require.NoError(t, s.Delete(ctx(t), key))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.Nil(t, got)
		require.NoError(t, s.Delete(ctx(t), key), "deleting a missing key")
	})
	t.Run("Save_KeepsNoReferenceToTheCallersToken", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		tok := Token(1, time.Hour)
		require.NoError(t, s.Save(ctx(t), key, tok))
		tok.AccessToken = "changed"
		tok.Extra["app_key"] = "changed"
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.Equal(t, "access-1-SECRET", got.AccessToken)
		require.Equal(t, "app-1", got.Extra["app_key"])
		got.Extra["app_key"] = "changed by a reader"
		again, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.Equal(t, "app-1", again.Extra["app_key"])
	})
	t.Run("Save_ExpiredToken_IsNotReturned", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		require.NoError(t, s.Save(ctx(t), key, Token(1, -time.Second)))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.Nil(t, got)
	})
	t.Run("Load_AfterTokenExpiry_ReturnsNil", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		require.NoError(t, s.Save(ctx(t), key, Token(1, 300*time.Millisecond)))
		got, err := s.Load(ctx(t), key)
		require.NoError(t, err)
		require.NotNil(t, got, "a token valid for 300 ms is returned at once")
		require.Eventually(t, func() bool {
			got, err := s.Load(ctx(t), key)
			return err == nil && got == nil
		}, 5*time.Second, 20*time.Millisecond, "the token is still returned after its expiry")
	})
	t.Run("Save_TokenWithoutAccessToken_IsAnError", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		require.Error(t, s.Save(ctx(t), key, nil))
		require.Error(t, s.Save(ctx(t), key, &iotauth.Token{RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}))
	})
	t.Run("EmptyKey_IsAnError", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Load(ctx(t), "")
		require.Error(t, err)
		require.Error(t, s.Save(ctx(t), "", Token(1, time.Hour)))
		require.Error(t, s.Delete(ctx(t), ""))
	})
	t.Run("CanceledContext_IsAnError", func(t *testing.T) {
		s, key := newStore(t), Key(t)
		c, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Load(c, key)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, s.Save(c, key, Token(1, time.Hour)), context.Canceled)
		require.ErrorIs(t, s.Delete(c, key), context.Canceled)
	})
	t.Run("ConcurrentUse_LoadsOnlyWholeTokens", func(t *testing.T) {
		s := newStore(t)
		keys := []string{Key(t), Key(t)}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					key := keys[(g+i)%len(keys)]
					n := g*1000 + i
					if err := s.Save(ctx(t), key, Token(n, time.Hour)); err != nil {
						errs <- err
						return
					}
					got, err := s.Load(ctx(t), key)
					if err != nil {
						errs <- err
						return
					}
					if err := whole(got); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	})
}

// whole checks that t is one token written by Token, not a mix of two.
func whole(t *iotauth.Token) error {
	if t == nil {
		return errors.New("a saved token loads as nil")
	}
	var n int
	if _, err := fmt.Sscanf(t.AccessToken, "access-%d-SECRET", &n); err != nil {
		return fmt.Errorf("unexpected access token shape")
	}
	if t.RefreshToken != fmt.Sprintf("refresh-%d-SECRET", n) || t.ID != fmt.Sprintf("id-%d", n) ||
		t.Extra["app_key"] != fmt.Sprintf("app-%d", n) {
		return fmt.Errorf("token %d has fields of another token", n)
	}
	return nil
}

func runLocker(t *testing.T, newLocker func(t *testing.T) iotauth.Locker, cfg config) {
	t.Run("Lock_IsExclusiveUntilUnlock", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		a, err := l.Lock(ctx(t), key, 10*time.Second)
		require.NoError(t, err)
		_, err = l.Lock(ctx(t), key, 10*time.Second)
		require.ErrorIs(t, err, iotauth.ErrLockHeld)
		other, err := l.Lock(ctx(t), Key(t), 10*time.Second)
		require.NoError(t, err, "another key's lock is independent")
		require.NoError(t, other.Unlock(ctx(t)))
		require.NoError(t, a.Unlock(ctx(t)))
		b, err := l.Lock(ctx(t), key, 10*time.Second)
		require.NoError(t, err, "the lock is free after Unlock")
		require.NoError(t, b.Unlock(ctx(t)))
	})
	t.Run("Renew_WhileHeld_Succeeds_AfterUnlock_IsErrLockHeld", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		a, err := l.Lock(ctx(t), key, 10*time.Second)
		require.NoError(t, err)
		require.NoError(t, a.Renew(ctx(t), 10*time.Second))
		require.NoError(t, a.Unlock(ctx(t)))
		require.ErrorIs(t, a.Renew(ctx(t), 10*time.Second), iotauth.ErrLockHeld)
		require.NoError(t, a.Unlock(ctx(t)), "a second Unlock does nothing")
	})
	t.Run("Lock_NonPositiveLease_IsAnError", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		_, err := l.Lock(ctx(t), key, 0)
		require.Error(t, err)
		require.NotErrorIs(t, err, iotauth.ErrLockHeld)
		a, err := l.Lock(ctx(t), key, 10*time.Second)
		require.NoError(t, err, "a refused Lock takes nothing")
		require.Error(t, a.Renew(ctx(t), -time.Second))
		require.NoError(t, a.Unlock(ctx(t)))
	})
	t.Run("Lock_ConcurrentCallers_ExactlyOneWins", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			won    []iotauth.Lease
			others []error
		)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lease, err := l.Lock(ctx(t), key, 10*time.Second)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won = append(won, lease)
				} else {
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		require.Len(t, won, 1)
		for _, err := range others {
			require.ErrorIs(t, err, iotauth.ErrLockHeld)
		}
		require.NoError(t, won[0].Unlock(ctx(t)))
	})
	t.Run("Renew_ExtendsTheLease", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		a, err := l.Lock(ctx(t), key, 300*time.Millisecond)
		require.NoError(t, err)
		require.NoError(t, a.Renew(ctx(t), 10*time.Second))
		// Let the first lease's 300 ms pass: the renewed lease must hold.
		<-time.After(600 * time.Millisecond)
		_, err = l.Lock(ctx(t), key, 10*time.Second)
		require.ErrorIs(t, err, iotauth.ErrLockHeld)
		require.NoError(t, a.Renew(ctx(t), 10*time.Second))
		require.NoError(t, a.Unlock(ctx(t)))
	})
	if !cfg.leaseExpires {
		return
	}
	t.Run("DeadHolder_LeaseExpiry_LetsAnotherAcquire", func(t *testing.T) {
		l, key := newLocker(t), Key(t)
		dead, err := l.Lock(ctx(t), key, 200*time.Millisecond)
		require.NoError(t, err)
		var next iotauth.Lease
		require.Eventually(t, func() bool {
			next, err = l.Lock(ctx(t), key, 10*time.Second)
			return err == nil
		}, 5*time.Second, 20*time.Millisecond, "the lock was not freed by lease expiry")
		require.ErrorIs(t, dead.Renew(ctx(t), 10*time.Second), iotauth.ErrLockHeld, "the expired holder learns it lost the lock")
		require.NoError(t, dead.Unlock(ctx(t)))
		_, err = l.Lock(ctx(t), key, 10*time.Second)
		require.ErrorIs(t, err, iotauth.ErrLockHeld, "the expired holder's Unlock released the new holder's lock")
		require.NoError(t, next.Unlock(ctx(t)))
	})
}

func runWatcher(t *testing.T, newStore func(t *testing.T) iotauth.Store) {
	type pair struct {
		s iotauth.Store
		w iotauth.Watcher
	}
	watch := func(t *testing.T, w iotauth.Watcher, key string) (<-chan *iotauth.Token, func()) {
		ch := make(chan *iotauth.Token, 16)
		stop, err := w.Watch(ctx(t), key, func(tok *iotauth.Token) { ch <- tok })
		require.NoError(t, err)
		t.Cleanup(stop)
		return ch, stop
	}
	next := func(t *testing.T, ch <-chan *iotauth.Token) *iotauth.Token {
		t.Helper()
		select {
		case tok := <-ch:
			return tok
		case <-time.After(5 * time.Second):
			t.Fatal("no token delivered to the watcher")
			return nil
		}
	}
	newPair := func(t *testing.T) pair {
		s := newStore(t)
		return pair{s, s.(iotauth.Watcher)}
	}
	t.Run("Watch_DeliversSavedToken", func(t *testing.T) {
		p, key := newPair(t), Key(t)
		ch, _ := watch(t, p.w, key)
		want := Token(1, time.Hour)
		require.NoError(t, p.s.Save(ctx(t), key, want))
		RequireSameToken(t, want, next(t, ch))
	})
	t.Run("Watch_IgnoresOtherKeys", func(t *testing.T) {
		p, key := newPair(t), Key(t)
		ch, _ := watch(t, p.w, key)
		require.NoError(t, p.s.Save(ctx(t), Key(t), Token(1, time.Hour)))
		require.NoError(t, p.s.Save(ctx(t), key, Token(2, time.Hour)))
		require.Equal(t, "access-2-SECRET", next(t, ch).AccessToken)
	})
	t.Run("Watch_AfterStop_DeliversNothing", func(t *testing.T) {
		p, key := newPair(t), Key(t)
		stopped, stop := watch(t, p.w, key)
		live, _ := watch(t, p.w, key)
		stop()
		stop() // idempotent
		require.NoError(t, p.s.Save(ctx(t), key, Token(1, time.Hour)))
		require.Equal(t, "access-1-SECRET", next(t, live).AccessToken)
		select {
		case <-stopped:
			t.Fatal("a stopped watcher got a token")
		default:
		}
	})
	t.Run("Watch_EmptyKey_IsAnError", func(t *testing.T) {
		_, err := newPair(t).w.Watch(ctx(t), "", func(*iotauth.Token) {})
		require.Error(t, err)
	})
}
