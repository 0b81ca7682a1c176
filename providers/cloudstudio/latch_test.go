package cloudstudio

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

// burst calls src.Token from n goroutines at once and returns their errors.
func burst(src iotauth.TokenSource, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = src.Token(context.Background())
		}()
	}
	wg.Wait()
	return errs
}

func TestLatch_WrongPasswordDirectCalls_OneCreatePerHoldOff(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := newServer(t, iotauthtest.WithClock(clk))
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong" })
	p.now = clk.Now

	for round := 1; round <= 2; round++ {
		for _, err := range burst(p, 100) {
			require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		}
		clk.Advance(DefaultHoldOff - time.Second)
		_, err := p.Token(context.Background())
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		assert.Equal(t, int64(round), srv.CloudStudio.CreateCalls(), "round %d", round)
		clk.Advance(time.Second)
	}
	assert.False(t, srv.CloudStudio.CaptchaLocked(), "two bad logins in ten minutes do not lock the account")
}

func TestLatch_HoldOffSetting_IsHonoured(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := newServer(t, iotauthtest.WithClock(clk))
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong"; c.HoldOff = time.Hour })
	p.now = clk.Now
	_, _ = p.Token(context.Background())
	clk.Advance(DefaultHoldOff * 2)
	_, _ = p.Token(context.Background())
	assert.Equal(t, int64(1), srv.CloudStudio.CreateCalls())
	clk.Advance(time.Hour)
	_, _ = p.Token(context.Background())
	assert.Equal(t, int64(2), srv.CloudStudio.CreateCalls())
}

// Through a Cache, 100 concurrent callers and several rounds: the cache's
// hold-off and the provider's both run on the bubble's clock, the emulator
// outside it.
func TestLatch_WrongPasswordThroughCache_NeverMoreThanOneCreatePerHoldOff(t *testing.T) {
	srv := newServer(t)
	synctest.Test(t, func(t *testing.T) {
		p := newProvider(t, srv, func(c *Config) {
			c.Password = "wrong"
			c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		})
		cache := iotauth.NewCache(p)
		defer cache.Close()

		for round := int64(1); round <= 4; round++ {
			for _, err := range burst(cache, 100) {
				require.True(t, iotauth.IsCredentialFailure(err), "%v", err)
			}
			time.Sleep(DefaultHoldOff / 2)
			for _, err := range burst(cache, 100) {
				require.True(t, iotauth.IsCredentialFailure(err), "%v", err)
			}
			assert.Equal(t, round, srv.CloudStudio.CreateCalls(), "round %d", round)
			time.Sleep(DefaultHoldOff/2 + time.Second)
		}
	})
}
