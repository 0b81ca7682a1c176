package cloudstudio

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestToken_WithoutStore_ReusesTheTokenInMemory(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	a, err := p.Token(context.Background())
	require.NoError(t, err)
	b, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, a.AccessToken, b.AccessToken)
	assert.Equal(t, int64(1), srv.CloudStudio.Logins())
	assert.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), a.Expiry, "no Expiration: the platform default")
}

func TestToken_SharedStore_SecondProcessReusesTheStoredToken(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	first := newProvider(t, srv, func(c *Config) { c.Store = st })
	second := newProvider(t, srv, func(c *Config) { c.Store = st })

	a, err := first.Token(context.Background())
	require.NoError(t, err)
	b, err := second.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, a.AccessToken, b.AccessToken, "a restart or another process does not create a token")
	assert.Equal(t, int64(1), srv.CloudStudio.Logins())
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

func TestToken_ExpirationMinutes_GiveTheExpiry(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, func(c *Config) { c.Expiration = 2 * time.Hour })
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2*time.Hour, tok.Expiry.Sub(tok.IssuedAt))
	list := srv.CloudStudio.Tokens()
	require.Len(t, list, 1)
	assert.Equal(t, list[0].ID, mustAtoi(t, tok.ID))
}

// A 60-minute token has a 5-minute refresh window: it is reused while more
// than 6 minutes are left, and rotated after.
func TestToken_ReuseRule_RotatesWithinOnePointTwoRefreshWindows(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := newServer(t, iotauthtest.WithClock(clk))
	p := newProvider(t, srv, func(c *Config) { c.Expiration = time.Hour })
	p.now = clk.Now

	first, err := p.Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, iotauth.DefaultRefreshWindow(time.Hour))

	clk.Advance(first.Expiry.Sub(clk.Now()) - 6*time.Minute - time.Second)
	again, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, again.AccessToken, "6 min 1 s left: reused")

	clk.Advance(2 * time.Second)
	next, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, next.AccessToken, "5 min 59 s left: rotated")
	assert.Equal(t, int64(2), srv.CloudStudio.Logins())
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens(), "the old token was deleted")
}

func TestRefresh_RotatesWithoutAGap_CreateStoreThenDeleteOld(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	p := newProvider(t, srv, func(c *Config) { c.Store = st })
	old, err := p.Token(context.Background())
	require.NoError(t, err)

	var oldAtSave, newAtSave int
	st.onSave = func(tok *iotauth.Token) {
		oldAtSave, _ = dashboards(t, http.DefaultClient, srv, bearer(old))
		newAtSave, _ = dashboards(t, http.DefaultClient, srv, bearer(tok))
	}
	fresh, err := p.Refresh(context.Background(), old)
	require.NoError(t, err)
	assert.NotEqual(t, old.AccessToken, fresh.AccessToken)
	assert.Equal(t, http.StatusOK, oldAtSave, "the old token still works while the new one is stored")
	assert.Equal(t, http.StatusOK, newAtSave, "the new token works before it is stored")

	status, _ := dashboards(t, http.DefaultClient, srv, bearer(old))
	assert.Equal(t, http.StatusInternalServerError, status, "the old token is deleted after")
	stored, _ := st.Load(context.Background(), p.CacheKey())
	assert.Equal(t, fresh.AccessToken, stored.AccessToken)
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

func TestRefresh_AnotherProcessAlreadyRotated_AdoptsItsToken(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	a := newProvider(t, srv, func(c *Config) { c.Store = st })
	b := newProvider(t, srv, func(c *Config) { c.Store = st })
	old, err := a.Token(context.Background())
	require.NoError(t, err)
	rotated, err := a.Refresh(context.Background(), old)
	require.NoError(t, err)

	got, err := b.Refresh(context.Background(), old)
	require.NoError(t, err)
	assert.Equal(t, rotated.AccessToken, got.AccessToken)
	assert.Equal(t, int64(2), srv.CloudStudio.Logins(), "b did not create a third token")
}

func TestRefresh_OldTokenAlreadyDeleted_StillRotates(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.RevokeAll()
	fresh, err := p.Refresh(context.Background(), old)
	require.NoError(t, err, "a deletion answered with 8001 does not fail the rotation")
	status, _ := dashboards(t, http.DefaultClient, srv, bearer(fresh))
	assert.Equal(t, http.StatusOK, status)
}

func TestRevoke_DeletesTheTokenAndRemovesItFromTheStore(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	p := newProvider(t, srv, func(c *Config) { c.Store = st })
	tok, err := p.Token(context.Background())
	require.NoError(t, err)

	require.NoError(t, p.Revoke(context.Background()))
	status, body := dashboards(t, http.DefaultClient, srv, bearer(tok))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, body, "8001")
	stored, err := st.Load(context.Background(), p.CacheKey())
	require.NoError(t, err)
	assert.Nil(t, stored)
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens())

	require.NoError(t, p.Revoke(context.Background()), "nothing left to revoke is not an error")
	next, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, next.AccessToken, "a revoked token is not reused")
}

func TestRevoke_PlatformDown_ReturnsTheErrorAndKeepsTheToken(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.FailNext(1, http.StatusBadGateway)
	err = p.Revoke(context.Background())
	require.ErrorIs(t, err, iotauth.ErrServer)
	assertNoSecrets(t, err, tok.AccessToken)
	again, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, again.AccessToken)
}

func TestToken_StoreDown_IsLoggedAndNotFatal(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	st.setFail(true)
	var logs logBuffer
	p := newProvider(t, srv, func(c *Config) { c.Store = st; c.Logger = logs.logger() })
	a, err := p.Token(context.Background())
	require.NoError(t, err)
	b, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, a.AccessToken, b.AccessToken, "the token in memory is reused")
	assert.Equal(t, int64(1), srv.CloudStudio.Logins())
	assert.Contains(t, logs.String(), "store unreachable")
	assert.NotContains(t, logs.String(), a.AccessToken)
}

func TestToken_SaveFailedEarlier_PrefersTheNewerTokenInMemory(t *testing.T) {
	srv := newServer(t)
	st := newMemStore()
	p := newProvider(t, srv, func(c *Config) { c.Store = st })
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	st.setFail(true)
	fresh, err := p.Refresh(context.Background(), old)
	require.NoError(t, err)
	st.setFail(false) // the store still holds the deleted old token

	got, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fresh.AccessToken, got.AccessToken)
}

func TestToken_ConcurrentCallers_CreateOneToken(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	var wg sync.WaitGroup
	toks := make([]string, 50)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := p.Token(context.Background())
			if assert.NoError(t, err) {
				toks[i] = tok.AccessToken
			}
		}()
	}
	wg.Wait()
	for _, s := range toks {
		assert.Equal(t, toks[0], s)
	}
	assert.Equal(t, int64(1), srv.CloudStudio.Logins())
}

func bearer(t *iotauth.Token) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+t.AccessToken) }
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
