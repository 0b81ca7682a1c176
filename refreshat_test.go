package iotauth_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
)

// hourTokens issues numbered one-hour tokens, failing while fail is set.
type hourTokens struct {
	mu   sync.Mutex
	n    int
	fail bool
}

func (s *hourTokens) Token(context.Context) (*iotauth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return nil, &iotauth.Error{Platform: "test", Op: "login", Kind: iotauth.ErrServer}
	}
	s.n++
	return &iotauth.Token{AccessToken: "tok-" + strconv.Itoa(s.n), Expiry: time.Now().Add(time.Hour)}, nil
}

func (s *hourTokens) setFail(v bool) { s.mu.Lock(); s.fail = v; s.mu.Unlock() }

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// RefreshAt is the Cache's own refresh point (WithRefreshWindow honoured);
// there it starts the refresh and says when it ended; the replaced token is
// to be asked about at once.
func TestRefreshAt_FollowsTheCachesSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &hourTokens{}
		c := iotauth.NewCache(src, iotauth.WithRefreshWindow(20*time.Minute))
		defer c.Close()
		start := time.Now()
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		at, changed := c.RefreshAt(tok)
		assert.Equal(t, start.Add(time.Hour-iotauth.Skew-20*time.Minute), at)
		assert.False(t, closed(changed))

		time.Sleep(time.Until(at))
		at, changed = c.RefreshAt(tok) // due: the refresh starts
		assert.True(t, at.IsZero())
		synctest.Wait()
		assert.True(t, closed(changed), "the refresh's end is noticed")
		assert.Equal(t, 2, src.n)
		at, changed = c.RefreshAt(tok)
		assert.False(t, at.After(time.Now()), "a replaced token: ask now")
		assert.True(t, closed(changed))
		next, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "tok-2", next.AccessToken)
		at, _ = c.RefreshAt(next)
		assert.Equal(t, time.Now().Add(time.Hour-iotauth.Skew-20*time.Minute), at)
	})
}

// After a failed refresh RefreshAt is the end of the Cache's backoff, not
// sooner; after Close it is never.
func TestRefreshAt_AfterAFailure_TheBackoff_AfterClose_Never(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &hourTokens{}
		c := iotauth.NewCache(src, iotauth.WithRefreshWindow(20*time.Minute), iotauth.WithBackoff(time.Minute, time.Hour))
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		at, _ := c.RefreshAt(tok)
		src.setFail(true)
		time.Sleep(time.Until(at))
		_, changed := c.RefreshAt(tok)
		synctest.Wait()
		assert.True(t, closed(changed), "the failed refresh is noticed")
		failedAt := time.Now()
		at, changed = c.RefreshAt(tok)
		assert.False(t, closed(changed))
		assert.True(t, at.After(failedAt.Add(time.Minute*8/10-time.Nanosecond)), "not before the backoff: %v", at.Sub(failedAt))
		assert.True(t, at.Before(failedAt.Add(time.Minute*12/10)), "at the backoff: %v", at.Sub(failedAt))
		src.setFail(false)
		time.Sleep(time.Until(at))
		at, changed = c.RefreshAt(tok)
		assert.True(t, at.IsZero(), "the retry starts")
		synctest.Wait()
		assert.True(t, closed(changed))
		at, _ = c.RefreshAt(tok)
		assert.False(t, at.After(time.Now()), "replaced")

		require.NoError(t, c.Close())
		at, changed = c.RefreshAt(tok)
		assert.True(t, at.IsZero())
		assert.Nil(t, changed)
		_, err = c.Token(context.Background())
		assert.True(t, errors.Is(err, iotauth.ErrClosed))
	})
}

// A token that never expires is replaced only when changed says so; once
// rejected, RefreshAt starts the login when the Cache may call.
func TestRefreshAt_NoExpiry_OnlyChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tok := &iotauth.Token{AccessToken: "forever"}
		c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil }))
		defer c.Close()
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		at, changed := c.RefreshAt(tok)
		assert.True(t, at.IsZero())
		assert.False(t, closed(changed))
		c.Invalidate(tok)
		at, _ = c.RefreshAt(tok)
		assert.False(t, at.Before(time.Now()), "not before the minimum backoff")
		time.Sleep(time.Until(at))
		at, changed = c.RefreshAt(tok) // rejected: the login starts
		assert.True(t, at.IsZero())
		<-changed
		_, err = c.Token(context.Background())
		require.NoError(t, err)
	})
}

// A token another process of the fleet saves reaches a holder through
// changed: its Cache adopts it, and RefreshAt then says to ask now, long
// before the holder's own token was due.
func TestRefreshAt_AnotherProcessesToken_ChangedThenAskNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory()
		src := &hourTokens{}
		holder := iotauth.NewCache(src, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		other := iotauth.NewCache(src, iotauth.WithStore(st), iotauth.WithStoreKey(fleetKey))
		defer holder.Close()
		defer other.Close()
		ctx := context.Background()
		tok, err := holder.Token(ctx)
		require.NoError(t, err)
		adopted, err := other.Token(ctx)
		require.NoError(t, err)
		require.Equal(t, tok.AccessToken, adopted.AccessToken)
		at, changed := holder.RefreshAt(tok)
		assert.True(t, at.After(time.Now().Add(30*time.Minute)), "due in most of an hour: %v", time.Until(at))

		time.Sleep(time.Minute)
		other.Invalidate(adopted) // the platform rejected it there: the other process logs in
		next, err := other.Token(ctx)
		require.NoError(t, err)
		require.NotEqual(t, tok.AccessToken, next.AccessToken)
		synctest.Wait()
		assert.True(t, closed(changed), "the adoption is noticed")
		at, _ = holder.RefreshAt(tok)
		assert.False(t, at.After(time.Now()), "ask now")
		cur, err := holder.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, next.AccessToken, cur.AccessToken)
		assert.Equal(t, 2, src.n, "no login of the holder's own")
	})
}
