package iotauth_test

import (
	"context"
	"fmt"
	"strings"
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

// wrongTypeStore is a shared store whose record under the key is of another
// type until a Save replaces it, as a Redis key holding a list: Load
// answers, with iotauth.ErrCorrupt.
type wrongTypeStore struct {
	*store.Memory
	saved atomic.Bool
}

func (s *wrongTypeStore) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if !s.saved.Load() {
		return nil, fmt.Errorf("%w: WRONGTYPE Operation against a key holding the wrong kind of value", iotauth.ErrCorrupt)
	}
	return s.Memory.Load(ctx, key)
}

func (s *wrongTypeStore) Save(ctx context.Context, key string, t *iotauth.Token) error {
	err := s.Memory.Save(ctx, key, t)
	if err == nil {
		s.saved.Store(true)
	}
	return err
}

func TestFleet_StoreAnswersTheRecordIsUnreadable_OneProcessLogsInUnderTheLockAndReplacesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logins atomic.Int64
		st := &wrongTypeStore{Memory: store.NewMemory()}
		var mu sync.Mutex
		var events []iotauth.Event
		hook := func(ev iotauth.Event) {
			if ev.Op == "store" {
				mu.Lock()
				events = append(events, ev)
				mu.Unlock()
			}
		}
		var wg sync.WaitGroup
		for range 4 {
			c := iotauth.NewCache(fleetSource{&logins, time.Hour, time.Second}, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey), iotauth.WithHook(hook))
			defer c.Close()
			for range 20 {
				wg.Go(func() {
					tok, err := c.Token(context.Background())
					if assert.NoError(t, err) {
						assert.Equal(t, "fleet-1", tok.AccessToken)
					}
				})
			}
		}
		wg.Wait()
		assert.EqualValues(t, 1, logins.Load(), "one login for the fleet")
		tok, err := st.Load(context.Background(), fleetKey)
		require.NoError(t, err)
		assert.Equal(t, "fleet-1", tok.AccessToken)
		for _, ev := range events {
			assert.NotContains(t, ev.Message, "unreachable", "an unreadable record is not an outage")
			assert.NotContains(t, ev.Message, "without the fleet lock")
			if ev.Err != nil {
				assert.ErrorIs(t, ev.Err, iotauth.ErrCorrupt)
				assert.True(t, strings.HasPrefix(ev.Message, "stored token unreadable"), ev.Message)
			}
		}
	})
}
