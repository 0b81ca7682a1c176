package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
)

const unreadableKey = "iotauth:v1:test:unreadable"

// spoil writes a good record under unreadableKey with w, then lets bad turn
// the file's bytes into an unreadable record.
func spoil(t *testing.T, dir string, w *store.File, bad func([]byte) []byte) {
	t.Helper()
	require.NoError(t, w.Save(context.Background(), unreadableKey,
		&iotauth.Token{AccessToken: "tok-old", Expiry: time.Now().Add(time.Hour)}))
	files, err := filepath.Glob(filepath.Join(dir, "*.token"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(files[0], bad(b), 0o600))
}

// storeEvents records the Cache's store events.
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

// A record the store answered with but cannot read is a miss: the Cache
// takes the fleet lock, logs in once, replaces the record and warns once,
// naming the cause; the breaker stays closed.
func TestFile_UnreadableRecord_IsAMiss_OneLoginUnderTheLock_RecordReplaced_OneWarning(t *testing.T) {
	otherKey := iotauth.Secret("another-replica-key-0123456789")
	for name, tc := range map[string]struct {
		writer func(t *testing.T, dir string) *store.File
		clear  bool // the stores keep tokens in clear
		bad    func([]byte) []byte
		cause  error
		says   string
	}{
		"garbage": {bad: func([]byte) []byte { return []byte("this is not a token") }, cause: store.ErrCorrupt, says: "corrupt"},
		// In clear: a sealed record cut short fails authentication as one
		// sealed under another key does.
		"truncated": {clear: true, bad: func(b []byte) []byte { return b[:len(b)/2] }, cause: store.ErrCorrupt, says: "corrupt"},
		"unknown format version": {
			bad:   func(b []byte) []byte { b = append([]byte(nil), b...); b[3] = 9; return b },
			cause: store.ErrCorrupt, says: "format",
		},
		"sealed with another key": {
			writer: func(t *testing.T, dir string) *store.File {
				return newFile(t, dir, store.WithFileEncryptionKey(otherKey))
			},
			bad:   func(b []byte) []byte { return b },
			cause: store.ErrWrongKey, says: "different encryption keys",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := tokenDir(t)
			opts := []store.FileOption{store.WithFileEncryptionKey(fileKey)}
			if tc.clear {
				opts = nil
			}
			st := newFile(t, dir, opts...)
			w := st
			if tc.writer != nil {
				w = tc.writer(t, dir)
			}
			spoil(t, dir, w, tc.bad)
			_, err := st.Load(context.Background(), unreadableKey)
			require.ErrorIs(t, err, tc.cause, "the test's record must be unreadable")

			var logins atomic.Int64
			src := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
				n := logins.Add(1)
				return &iotauth.Token{AccessToken: fmt.Sprintf("tok-new-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
			})
			var evs storeEvents
			c := iotauth.NewCache(src, iotauth.WithStore(st), iotauth.WithStoreKey(unreadableKey), iotauth.WithHook(evs.hook))
			defer c.Close()
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					tok, err := c.Token(context.Background())
					if assert.NoError(t, err) {
						assert.Equal(t, "tok-new-1", tok.AccessToken)
					}
				})
			}
			wg.Wait()
			assert.EqualValues(t, 1, logins.Load(), "exactly one login")

			got, err := st.Load(context.Background(), unreadableKey)
			require.NoError(t, err, "the record is readable after the Cache's login")
			require.NotNil(t, got)
			assert.Equal(t, "tok-new-1", got.AccessToken)

			// Another process adopts the replaced record instead of logging in.
			other := iotauth.NewCache(src, iotauth.WithStore(newFile(t, dir, opts...)), iotauth.WithStoreKey(unreadableKey))
			defer other.Close()
			tok, err := other.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "tok-new-1", tok.AccessToken)
			assert.EqualValues(t, 1, logins.Load(), "the other process logged in")

			all := evs.all()
			var warnings []iotauth.Event
			for _, ev := range all {
				assert.False(t, strings.Contains(ev.Message, "unreachable"), "an unreadable record is not an outage: %q", ev.Message)
				assert.False(t, strings.Contains(ev.Message, "without the fleet lock"), "logged in without the lock: %q", ev.Message)
				if ev.Err != nil {
					warnings = append(warnings, ev)
				}
			}
			require.Len(t, warnings, 1, "one warning: %v", all)
			assert.True(t, errors.Is(warnings[0].Err, tc.cause), "the warning names the cause: %v", warnings[0].Err)
			assert.Contains(t, warnings[0].Message+" "+warnings[0].Err.Error(), tc.says)
		})
	}
}
