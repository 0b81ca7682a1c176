package iotauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// countingSource issues numbered tokens of a fixed lifetime, optionally
// after a delay or a gate, and fails while err is set.
type countingSource struct {
	life  time.Duration
	delay time.Duration
	gate  chan struct{} // when non-nil, Token waits for it to close
	calls atomic.Int64
	mu    sync.Mutex
	err   error
}

func (s *countingSource) setErr(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

func (s *countingSource) Token(ctx context.Context) (*iotauth.Token, error) {
	n := s.calls.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &iotauth.Token{AccessToken: fmt.Sprintf("tok-%d", n), IssuedAt: now, Expiry: now.Add(s.life)}, nil
}

func serverErr() error {
	return &iotauth.Error{Platform: "test", Op: "login", HTTPStatus: 500, Kind: iotauth.ErrServer}
}

func TestCache_ColdStart_8000ConcurrentCallers_CallSourceOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour, delay: time.Second}
		c := iotauth.NewCache(src)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 8000 {
			wg.Go(func() {
				tok, err := c.Token(context.Background())
				if err != nil || tok.AccessToken != "tok-1" {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(1), src.calls.Load())
		assert.Zero(t, failed.Load())
		st := c.Stats()
		assert.Equal(t, int64(1), st.Logins)
		assert.Equal(t, int64(8000), st.Waits+st.Hits)
	})
}

func TestCache_Hit_DoesNotAllocate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := iotauth.NewCache(&countingSource{life: time.Hour})
		ctx := context.Background()
		_, err := c.Token(ctx)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(1000, func() { _, _ = c.Token(ctx) })
		assert.Zero(t, allocs)
	})
}

func TestCache_RefreshWindow_StartsOneBackgroundRefreshWhileCallersKeepTheToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: 100 * time.Second}
		c := iotauth.NewCache(src)
		ctx := context.Background()
		tok, err := c.Token(ctx)
		require.NoError(t, err)

		// Lifetime 100 s: the skew is 10 s and the window 10 s (+ up to 10%),
		// so the refresh is due between 79 s and 80 s.
		time.Sleep(78 * time.Second)
		synctest.Wait()
		assert.Equal(t, int64(1), src.calls.Load(), "refreshed before its window")

		time.Sleep(2 * time.Second)
		src.gate = make(chan struct{}) // hold the refresh in flight
		for range 100 {
			got, err := c.Token(ctx)
			require.NoError(t, err)
			assert.Same(t, tok, got, "a caller waited for the refresh or lost its token")
		}
		synctest.Wait()
		assert.Equal(t, int64(2), src.calls.Load(), "not exactly one background refresh")
		close(src.gate)
		synctest.Wait()
		got, err := c.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", got.AccessToken)
		assert.Zero(t, c.Stats().Waits-1, "only the cold start waited")
	})
}

func TestCache_FixedRefreshWindow_IsUsedInsteadOfTheDefaultRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour}
		c := iotauth.NewCache(src, iotauth.WithRefreshWindow(30*time.Minute))
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		// Expires (with the 10 s skew) at 59:50, so due at 29:50.
		time.Sleep(29*time.Minute + 49*time.Second)
		_, _ = c.Token(context.Background())
		synctest.Wait()
		assert.Equal(t, int64(1), src.calls.Load())
		time.Sleep(2 * time.Second)
		_, _ = c.Token(context.Background())
		synctest.Wait()
		assert.Equal(t, int64(2), src.calls.Load())
	})
}

func TestCache_CallerContextEnds_CallerStopsWaitingAndLoginGoesOnForOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour, gate: make(chan struct{})}
		c := iotauth.NewCache(src)
		ctx, cancel := context.WithCancel(context.Background())
		firstErr := make(chan error, 1)
		go func() { _, err := c.Token(ctx); firstErr <- err }()
		synctest.Wait()
		var other *iotauth.Token
		done := make(chan struct{})
		go func() { other, _ = c.Token(context.Background()); close(done) }()
		synctest.Wait()
		cancel()
		assert.ErrorIs(t, <-firstErr, context.Canceled)
		close(src.gate)
		<-done
		require.NotNil(t, other)
		assert.Equal(t, "tok-1", other.AccessToken)
		assert.Equal(t, int64(1), src.calls.Load())
	})
}

func TestCache_RefreshTimeout_BoundsAHangingSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour, gate: make(chan struct{})} // never opened
		c := iotauth.NewCache(src, iotauth.WithRefreshTimeout(5*time.Second))
		start := time.Now()
		_, err := c.Token(context.Background())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start))
	})
}

func TestCache_RefreshFails_KeepsServingValidTokenAndRetriesWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: 100 * time.Second}
		c := iotauth.NewCache(src)
		ctx := context.Background()
		tok, err := c.Token(ctx)
		require.NoError(t, err)
		src.setErr(serverErr())
		time.Sleep(81 * time.Second) // due
		var attempts []time.Duration
		start := time.Now()
		for time.Since(start) < 8*time.Second {
			before := src.calls.Load()
			got, err := c.Token(ctx)
			require.NoError(t, err, "a valid token was not served during failures")
			assert.Same(t, tok, got)
			synctest.Wait()
			if src.calls.Load() > before {
				attempts = append(attempts, time.Since(start))
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Attempts at 0, then after ~1 s, ~2 s more, ~4 s more (±20%).
		require.GreaterOrEqual(t, len(attempts), 3, "no retries")
		require.LessOrEqual(t, len(attempts), 4, "hammering the source")
		gap1, gap2 := attempts[1]-attempts[0], attempts[2]-attempts[1]
		assert.InDelta(t, float64(time.Second), float64(gap1), float64(300*time.Millisecond))
		assert.InDelta(t, float64(2*time.Second), float64(gap2), float64(500*time.Millisecond))

		// Once the backoff has passed, the next caller gets a new token.
		src.setErr(nil)
		time.Sleep(10 * time.Second)
		got, err := c.Token(ctx)
		require.NoError(t, err)
		assert.NotSame(t, tok, got, "never recovered")
	})
}

func TestCache_NoValidTokenAndFailingSource_CallersGetTypedErrorWithoutHammering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour}
		src.setErr(serverErr())
		c := iotauth.NewCache(src)
		ctx := context.Background()
		_, err := c.Token(ctx)
		require.ErrorIs(t, err, iotauth.ErrServer)
		var e *iotauth.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 500, e.HTTPStatus)
		for range 50 {
			_, err := c.Token(ctx)
			assert.ErrorIs(t, err, iotauth.ErrServer)
		}
		assert.Equal(t, int64(1), src.calls.Load(), "callers within the backoff caused new calls")
		time.Sleep(1300 * time.Millisecond)
		src.setErr(nil)
		tok, err := c.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.AccessToken)
	})
}

func TestCache_CredentialFailures_AreLatchedForTheHoldOff(t *testing.T) {
	for _, kind := range []error{iotauth.ErrInvalidCredentials, iotauth.ErrCaptchaRequired, iotauth.ErrForbidden} {
		t.Run(kind.Error(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := &countingSource{life: time.Hour}
				src.setErr(&iotauth.Error{Platform: "test", Kind: kind})
				c := iotauth.NewCache(src, iotauth.WithHoldOff(time.Minute))
				for range 100 {
					_, err := c.Token(context.Background())
					assert.ErrorIs(t, err, kind)
				}
				time.Sleep(59 * time.Second)
				_, err := c.Token(context.Background())
				assert.ErrorIs(t, err, kind)
				assert.Equal(t, int64(1), src.calls.Load(), "the source was called during the hold-off")
				time.Sleep(2 * time.Second)
				src.setErr(nil)
				_, err = c.Token(context.Background())
				assert.NoError(t, err)
				assert.Equal(t, int64(2), src.calls.Load())
			})
		})
	}
}

func TestCache_Invalidate_500ConcurrentRejectionsOfOneToken_CauseOneLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour, delay: 100 * time.Millisecond}
		c := iotauth.NewCache(src)
		ctx := context.Background()
		old, err := c.Token(ctx)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 500 {
			wg.Go(func() {
				c.Invalidate(old)
				tok, err := c.Token(ctx)
				if assert.NoError(t, err) {
					assert.Equal(t, "tok-2", tok.AccessToken)
				}
				c.Invalidate(old) // a late rejection of the old token
			})
		}
		wg.Wait()
		assert.Equal(t, int64(2), src.calls.Load())
		tok, _ := c.Token(ctx)
		assert.Equal(t, "tok-2", tok.AccessToken, "a stale Invalidate dropped the new token")
	})
}

// refreshingSource logs in with a refresh token and refreshes with it.
type refreshingSource struct {
	countingSource
	refreshCalls atomic.Int64
	refreshErr   error
}

func (s *refreshingSource) Token(ctx context.Context) (*iotauth.Token, error) {
	t, err := s.countingSource.Token(ctx)
	if t != nil {
		t.RefreshToken = "refresh-" + t.AccessToken
	}
	return t, err
}

func (s *refreshingSource) Refresh(_ context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	n := s.refreshCalls.Add(1)
	if s.refreshErr != nil {
		return nil, s.refreshErr
	}
	now := time.Now()
	return &iotauth.Token{AccessToken: fmt.Sprintf("refreshed-%d-from-%s", n, old.RefreshToken),
		RefreshToken: "r", IssuedAt: now, Expiry: now.Add(s.life)}, nil
}

func TestCache_Refresher_RefreshesWithTheRefreshToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &refreshingSource{countingSource: countingSource{life: 100 * time.Second}}
		c := iotauth.NewCache(src)
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		time.Sleep(85 * time.Second)
		_, _ = c.Token(context.Background())
		synctest.Wait()
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "refreshed-1-from-refresh-tok-1", tok.AccessToken)
		assert.Equal(t, int64(1), src.calls.Load())
		assert.Equal(t, int64(1), c.Stats().Refreshes)
	})
}

func TestCache_Refresher_RejectedRefreshFallsBackToLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &refreshingSource{countingSource: countingSource{life: time.Hour},
			refreshErr: &iotauth.Error{Kind: iotauth.ErrInvalidCredentials, Code: "100208"}}
		c := iotauth.NewCache(src)
		old, err := c.Token(context.Background())
		require.NoError(t, err)
		c.Invalidate(old)
		tok, err := c.Token(context.Background())
		require.NoError(t, err, "a refused refresh was latched instead of falling back to a login")
		assert.Equal(t, "tok-2", tok.AccessToken)
		assert.Equal(t, int64(1), src.refreshCalls.Load())
	})
}

func TestCache_SourceReturningNoTokenOrExpiredToken_IsAMalformedResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for name, tok := range map[string]*iotauth.Token{
			"nil":     nil,
			"empty":   {Expiry: time.Now().Add(time.Hour)},
			"expired": {AccessToken: "x", Expiry: time.Now().Add(-time.Second)},
		} {
			c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil }))
			got, err := c.Token(context.Background())
			assert.ErrorIs(t, err, iotauth.ErrMalformedResponse, name)
			assert.Nil(t, got, name)
		}
	})
}

func TestCache_Logger_RecordsEachLoginWithoutSecrets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&buf, nil))
		src := &countingSource{life: time.Hour}
		var events []iotauth.Event
		c := iotauth.NewCache(src, iotauth.WithLogger(log), iotauth.WithHook(func(e iotauth.Event) { events = append(events, e) }))
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		c.Invalidate(mustToken(t, c))
		src.setErr(&iotauth.Error{Kind: iotauth.ErrInvalidCredentials, Message: "bad secret"})
		_, err = c.Token(context.Background())
		require.Error(t, err)

		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		require.Len(t, lines, 2)
		assert.Contains(t, lines[0], `"platform":"custom"`)
		assert.Contains(t, lines[0], `"outcome":"ok"`)
		assert.Contains(t, lines[0], `"duration"`)
		assert.Contains(t, lines[1], `"outcome":"error"`)
		assert.NotContains(t, buf.String(), "tok-1")

		require.Len(t, events, 2)
		assert.Equal(t, "tok-1", events[0].Token.AccessToken)
		assert.NoError(t, events[0].Err)
		assert.ErrorIs(t, events[1].Err, iotauth.ErrInvalidCredentials)
		assert.Nil(t, events[1].Token)
	})
}

func mustToken(t *testing.T, c *iotauth.Cache) *iotauth.Token {
	t.Helper()
	tok, err := c.Token(context.Background())
	require.NoError(t, err)
	return tok
}

func TestCache_DescribesItsSourcesPlatform(t *testing.T) {
	c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return nil, errors.New("x") }))
	assert.Equal(t, "custom", c.Describe().Name)
	assert.Nil(t, c.Describe().Origins)
	c = iotauth.NewCache(&boundSource{countingSource{life: time.Hour}, []string{"https://a.example"}}, iotauth.WithStoreKey("k"))
	assert.Equal(t, iotauth.Platform{Name: "bound", Origins: []string{"https://a.example"}, StoreKey: "k"}, c.Describe())
}

func TestCache_ShortLivedTokenWithoutIssuedAt_IsServedNotReLoggedInOnEveryCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
			calls.Add(1)
			return &iotauth.Token{AccessToken: "short", Expiry: time.Now().Add(3 * time.Second)}, nil
		}))
		for range 100 {
			_, err := c.Token(context.Background())
			require.NoError(t, err)
		}
		assert.Equal(t, int64(1), calls.Load())
	})
}

func TestCache_NonPositiveOptions_KeepTheirDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &countingSource{life: time.Hour, delay: time.Second}
		c := iotauth.NewCache(src, iotauth.WithRefreshTimeout(0), iotauth.WithHoldOff(-time.Minute),
			iotauth.WithBackoff(-1, -1), iotauth.WithRefreshWindow(-time.Hour))
		tok, err := c.Token(context.Background())
		require.NoError(t, err, "a zero refresh timeout made the login time out at once")
		assert.Equal(t, "tok-1", tok.AccessToken)

		src.setErr(&iotauth.Error{Kind: iotauth.ErrInvalidCredentials})
		c.Invalidate(tok)
		_, err = c.Token(context.Background())
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		time.Sleep(4 * time.Minute)
		_, err = c.Token(context.Background())
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		assert.Equal(t, int64(2), src.calls.Load(), "a negative hold-off disabled the latch")
	})
}
