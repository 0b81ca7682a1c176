package iotauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
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

// skewedSource issues tokens whose times come from a platform with its own
// idea of time: each has left to live from now, and claims to have been
// issued at now+issuedOffset.
type skewedSource struct {
	left         time.Duration
	issuedOffset time.Duration
	calls        atomic.Int64
}

func (s *skewedSource) Token(context.Context) (*iotauth.Token, error) {
	s.calls.Add(1)
	now := time.Now()
	return &iotauth.Token{AccessToken: "t", IssuedAt: now.Add(s.issuedOffset), Expiry: now.Add(s.left)}, nil
}

// callEvery calls c.Token every step for d and fails the test on an error.
func callEvery(t *testing.T, c *iotauth.Cache, step, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(step) {
		_, err := c.Token(context.Background())
		require.NoError(t, err)
	}
}

func TestPolicy_TokensArrivingWith5sLeftOfA1hLife_NoLoginStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &skewedSource{left: 5 * time.Second, issuedOffset: -time.Hour}
		c := iotauth.NewCache(src)
		for range 50 {
			_, err := c.Token(context.Background())
			require.NoError(t, err)
		}
		assert.Equal(t, int64(1), src.calls.Load(), "50 calls on a token with 5 s left")
		// Each token is refreshed once it is due, but never more than once
		// per minimum backoff (1 s): 30 s of calls make at most 31 logins,
		// here one per 2 s since a 5 s token is due after 2 s.
		callEvery(t, c, 50*time.Millisecond, 30*time.Second)
		assert.LessOrEqual(t, src.calls.Load(), int64(17))
		assert.GreaterOrEqual(t, src.calls.Load(), int64(10), "tokens were not refreshed")
	})
}

func TestPolicy_TokensArrivingInsideTheSkew_AtMostOneLoginPerMinimumBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &skewedSource{left: 200 * time.Millisecond}
		c := iotauth.NewCache(src, iotauth.WithBackoff(2*time.Second, time.Minute))
		callEvery(t, c, 10*time.Millisecond, 20*time.Second)
		assert.LessOrEqual(t, src.calls.Load(), int64(11), "the clock caused more than one login per 2 s")
	})
}

func TestPolicy_RefreshWindowWiderThanTheLifetime_IsClampedToHalf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &skewedSource{left: 10 * time.Second}
		c := iotauth.NewCache(src, iotauth.WithRefreshWindow(time.Hour))
		for range 200 {
			_, err := c.Token(context.Background())
			require.NoError(t, err)
		}
		assert.Equal(t, int64(1), src.calls.Load(), "200 calls with a 1 h window over 10 s tokens")
		time.Sleep(3900 * time.Millisecond)
		_, _ = c.Token(context.Background())
		synctest.Wait()
		assert.Equal(t, int64(1), src.calls.Load(), "due before half of its life")
		time.Sleep(200 * time.Millisecond)
		_, _ = c.Token(context.Background())
		synctest.Wait()
		assert.Equal(t, int64(2), src.calls.Load(), "not refreshed at half of its life")
	})
}

func TestPolicy_IssuedAtADayInTheFuture_DoesNotChangeTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &skewedSource{left: 100 * time.Second, issuedOffset: 24 * time.Hour}
		c := iotauth.NewCache(src)
		callEvery(t, c, time.Second, 78*time.Second)
		assert.Equal(t, int64(1), src.calls.Load(), "refreshed early")
		callEvery(t, c, time.Second, 4*time.Second)
		assert.Equal(t, int64(2), src.calls.Load(), "not refreshed in its window")
	})
}

func TestPolicy_Year9999Expiry_IsServedWithoutOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
			calls.Add(1)
			return &iotauth.Token{AccessToken: "far", Expiry: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, nil
		}))
		callEvery(t, c, time.Hour, 1000*time.Hour)
		assert.Equal(t, int64(1), calls.Load())
	})
}

func TestPolicy_CloseDuringALoginWith100Waiters_WakesThemAllAndLeavesNothingRunning(t *testing.T) {
	started := make(chan struct{})
	var once sync.Once
	src := iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
		once.Do(func() { close(started) })
		<-ctx.Done() // a login that hangs until it is cancelled
		return nil, ctx.Err()
	})
	c := iotauth.NewCache(src)
	errs := make(chan error, 100)
	for range 100 {
		go func() {
			_, err := c.Token(context.Background())
			errs <- err
		}()
	}
	<-started
	for c.Stats().Waits < 100 {
		runtime.Gosched()
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { assert.NoError(t, c.Close()) })
	}
	wg.Wait()
	timeout := time.After(time.Second)
	for range 100 {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, iotauth.ErrClosed)
		case <-timeout:
			t.Fatal("a waiter was still blocked after Close")
		}
	}
	_, err := c.Token(context.Background())
	assert.ErrorIs(t, err, iotauth.ErrClosed)
	assert.NoError(t, c.Close(), "a second Close")
	require.Eventually(t, func() bool { return cacheGoroutines() == 0 }, 100*time.Millisecond, 5*time.Millisecond,
		"a Cache goroutine outlived Close:\n%s", allStacks())
}

func TestPolicy_AfterClose_NeverAnExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := iotauth.NewCache(&skewedSource{left: time.Second})
		_, err := c.Token(context.Background())
		require.NoError(t, err)
		require.NoError(t, c.Close())
		time.Sleep(1200 * time.Millisecond)
		tok, err := c.Token(context.Background())
		assert.ErrorIs(t, err, iotauth.ErrClosed)
		assert.Nil(t, tok)
	})
}

func TestPolicy_Misuse_FailsAtConstructionWithAMessage(t *testing.T) {
	assert.PanicsWithValue(t, "iotauth: NewCache: nil TokenSource; pass a provider (such as oceanconnect.New's) or an iotauth.TokenSourceFunc",
		func() { iotauth.NewCache(nil) })
	assert.PanicsWithValue(t, "iotauth: NewCache: option 2 is nil; leave it out instead",
		func() { iotauth.NewCache(&skewedSource{}, iotauth.WithHoldOff(time.Second), nil) })
	assert.PanicsWithValue(t, "iotauth: NewTransport: nil TokenSource; pass an iotauth.NewCache(provider)",
		func() { iotauth.NewTransport(nil, nil) })
	assert.PanicsWithValue(t, "iotauth: NewTransport: option 1 is nil; leave it out instead",
		func() { iotauth.NewTransport(&skewedSource{}, nil, nil) })
}

func TestPolicy_SourceReturningNilNil_IsMalformedThroughATransportCachedOrNot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	nilSrc := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return nil, nil })
	for name, src := range map[string]iotauth.TokenSource{"raw": nilSrc, "cached": iotauth.NewCache(nilSrc)} {
		_, err := (&http.Client{Transport: iotauth.NewTransport(src, nil)}).Get(srv.URL)
		assert.ErrorIs(t, err, iotauth.ErrMalformedResponse, name)
	}
}

func TestPolicy_PanickingSource_IsAnErrorNotACrash(t *testing.T) {
	c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { panic("boom") }))
	_, err := c.Token(context.Background())
	assert.ErrorIs(t, err, iotauth.ErrServer)
	assert.NotContains(t, err.Error(), "boom")
}

func TestPolicy_RefusedRefreshRecoveredByALogin_IsNotAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &refreshRefuser{}
		c := iotauth.NewCache(src)
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		c.Invalidate(tok)
		tok2, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.NotSame(t, tok, tok2)
		st := c.Stats()
		assert.Equal(t, int64(1), st.Refreshes)
		assert.Equal(t, int64(2), st.Logins)
		assert.Zero(t, st.Failures, "a recovered refresh counted as a failure")
	})
}

type refreshRefuser struct{ skewedSource }

func (s *refreshRefuser) Token(ctx context.Context) (*iotauth.Token, error) {
	s.left = time.Hour
	return s.skewedSource.Token(ctx)
}

func (s *refreshRefuser) Refresh(context.Context, *iotauth.Token) (*iotauth.Token, error) {
	return nil, &iotauth.Error{Kind: iotauth.ErrTokenRejected, Code: "100006"}
}

func TestPolicy_AWrapperForwardsOneDescription(t *testing.T) {
	inner := &boundSource{countingSource{life: time.Hour}, []string{"https://api.example.com"}}
	wrapper := struct {
		iotauth.TokenSource
		iotauth.Describer
	}{inner, inner}
	tr := iotauth.NewTransport(wrapper, roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "" && r.URL.Host != "api.example.com" {
			return nil, errors.New("credentials sent to " + r.URL.Host)
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	for _, u := range []string{"https://api.example.com/x", "https://evil.example.com/x"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err, u)
		resp.Body.Close()
	}
}

// cacheGoroutines counts the goroutines running the Cache's own code (a
// flight, a lease renewal, a probe, a caller still waiting).
func cacheGoroutines() int {
	n := 0
	for _, g := range strings.Split(allStacks(), "\n\n") {
		if strings.Contains(g, "github.com/iotauth/iotauth.(*Cache)") {
			n++
		}
	}
	return n
}

func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
