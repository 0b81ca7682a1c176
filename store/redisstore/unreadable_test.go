package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
	"github.com/iotauth/iotauth/store/storetest"
)

// storeEvents records a Cache's store events.
type storeEvents struct {
	mu  sync.Mutex
	evs []iotauth.Event
}

func (s *storeEvents) hook(ev iotauth.Event) {
	if ev.Op == "store" {
		s.mu.Lock()
		s.evs = append(s.evs, ev)
		s.mu.Unlock()
	}
}

func (s *storeEvents) all() []iotauth.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]iotauth.Event(nil), s.evs...)
}

// countingSource logs in with a new token each time and counts its logins.
func countingSource(logins *atomic.Int64) iotauth.TokenSource {
	return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		n := logins.Add(1)
		return &iotauth.Token{AccessToken: fmt.Sprintf("tok-new-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
	})
}

// A Redis key the store answered for but cannot read (an operator's RPUSH
// or SET, a record cut short, of another format version) is a miss, not an
// outage: with go-redis's and the Cache's default options, one login under
// the fleet lock replaces it, the Cache warns once naming the cause, and its
// circuit breaker stays closed.
func TestStore_UnreadableKey_IsAMiss_OneLoginUnderTheLock_KeyReplaced_OneWarning(t *testing.T) {
	srv := redistest.Start(t)
	for name, spoil := range map[string]func(rdb *redis.Client, k string) error{
		"a list (RPUSH)": func(rdb *redis.Client, k string) error { return rdb.RPush(context.Background(), k, "x").Err() },
		"garbage (SET)":  func(rdb *redis.Client, k string) error { return rdb.Set(context.Background(), k, "garbage", 0).Err() },
		"a JSON array":   func(rdb *redis.Client, k string) error { return rdb.Set(context.Background(), k, `["a","b"]`, 0).Err() },
		"a record holding a JSON array": func(rdb *redis.Client, k string) error {
			return rdb.Set(context.Background(), k, "IAT\x01\x00[1,2]", 0).Err()
		},
		"truncated JSON": func(rdb *redis.Client, k string) error {
			return rdb.Set(context.Background(), k, `IAT`+"\x01\x00"+`{"access_token":"tok-o`, 0).Err()
		},
		"an unknown record version": func(rdb *redis.Client, k string) error {
			return rdb.Set(context.Background(), k, "IAT\x09\x00"+`{"access_token":"tok-old"}`, 0).Err()
		},
		"a hash as the lock key too": func(rdb *redis.Client, k string) error {
			if err := rdb.HSet(context.Background(), k+":lock", "f", "v").Err(); err != nil {
				return err
			}
			return rdb.RPush(context.Background(), k, "x").Err()
		},
	} {
		t.Run(name, func(t *testing.T) {
			// go-redis's default options, as users build the client.
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			t.Cleanup(func() { _ = rdb.Close() })
			s, err := redisstore.New(rdb)
			require.NoError(t, err)
			key := storetest.Key(t)
			require.NoError(t, spoil(rdb, tagged(key)))
			_, err = s.Load(ctxFor(t, 5*time.Second), key)
			require.ErrorIs(t, err, store.ErrCorrupt, "the key must be unreadable")

			var logins atomic.Int64
			var evs storeEvents
			c := iotauth.NewCache(countingSource(&logins), iotauth.WithStore(s), iotauth.WithStoreKey(key), iotauth.WithHook(evs.hook))
			defer c.Close()
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					tok, err := c.Token(ctxFor(t, 10*time.Second))
					if assert.NoError(t, err) {
						assert.Equal(t, "tok-new-1", tok.AccessToken)
					}
				})
			}
			wg.Wait()
			assert.EqualValues(t, 1, logins.Load(), "exactly one login")

			got, err := s.Load(ctxFor(t, 5*time.Second), key)
			require.NoError(t, err, "the key is readable after the Cache's login")
			require.NotNil(t, got)
			assert.Equal(t, "tok-new-1", got.AccessToken)
			// The lock was released: another holder takes it at once.
			l, err := s.Lock(ctxFor(t, 5*time.Second), key, time.Second)
			require.NoError(t, err, "the fleet lock after the login")
			require.NoError(t, l.Unlock(ctxFor(t, 5*time.Second)))

			all := evs.all()
			var warnings []iotauth.Event
			for _, ev := range all {
				assert.NotContains(t, ev.Message, "unreachable", "an unreadable key is not an outage (the breaker opened)")
				assert.NotContains(t, ev.Message, "without the fleet lock")
				assert.NotContains(t, ev.Message, "save failed")
				if ev.Err != nil {
					warnings = append(warnings, ev)
				}
			}
			require.Len(t, warnings, 1, "one warning: %v", all)
			assert.True(t, errors.Is(warnings[0].Err, store.ErrCorrupt), "the warning names the cause: %v", warnings[0].Err)
			assert.Contains(t, warnings[0].Message, "unreadable")
		})
	}
}

// A key of another type names what Redis found, and no value.
func TestLoad_KeyOfAnotherType_ErrCorruptNamingWrongType(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	s := newStore(t, rdb)
	key := storetest.Key(t)
	require.NoError(t, rdb.RPush(context.Background(), tagged(key), "secret-value").Err())
	_, err := s.Load(ctxFor(t, 5*time.Second), key)
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), "WRONGTYPE")
	assert.False(t, strings.Contains(err.Error(), "secret-value"), "the error shows the key's value: %v", err)
	require.NoError(t, s.Save(ctxFor(t, 5*time.Second), key, storetest.Token(1, time.Hour)), "Save replaces a key of any type")
	got, err := s.Load(ctxFor(t, 5*time.Second), key)
	require.NoError(t, err)
	assert.Equal(t, storetest.Token(1, time.Hour).AccessToken, got.AccessToken)
}
