package oceanconnect_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestRefresh_RenewsTheTokenAndInvalidatesTheOld(t *testing.T) {
	srv, p := emulated(t)
	old, err := p.Token(t.Context())
	require.NoError(t, err)
	tok, err := p.Refresh(t.Context(), old)
	require.NoError(t, err)
	assert.NotEqual(t, old.AccessToken, tok.AccessToken)
	assert.NotEqual(t, old.RefreshToken, tok.RefreshToken)
	assert.Equal(t, time.Hour, tok.Expiry.Sub(tok.IssuedAt))
	assert.True(t, srv.OceanConnect.ValidToken(tok.AccessToken))
	assert.False(t, srv.OceanConnect.ValidToken(old.AccessToken))
	assert.EqualValues(t, 1, srv.OceanConnect.Refreshes())
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())
}

func TestRefresh_StaleRefreshToken_Is100006TokenRejected(t *testing.T) {
	srv, p := emulated(t)
	old, err := p.Token(t.Context())
	require.NoError(t, err)
	_, err = p.Token(t.Context()) // a second login stales old's refresh token
	require.NoError(t, err)

	_, err = p.Refresh(t.Context(), old)
	e := requireKind(t, err, iotauth.ErrTokenRejected, old.AccessToken, old.RefreshToken)
	assert.Equal(t, "100006", e.Code, "the platform's code is kept")
	assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
	assert.Equal(t, "refresh", e.Op)
	assert.False(t, iotauth.IsCredentialFailure(err), "a refused refresh token must never be latched")
	assert.Zero(t, srv.OceanConnect.Refreshes())
}

func TestRefresh_WrongSecret_IsInvalidCredentials(t *testing.T) {
	srv, good := emulated(t)
	old, err := good.Token(t.Context())
	require.NoError(t, err)
	bad := newProvider(t, srv.URL, "wrong-secret")
	_, err = bad.Refresh(t.Context(), old)
	e := requireKind(t, err, iotauth.ErrInvalidCredentials, "wrong-secret")
	assert.Equal(t, "100208", e.Code, "100208 is the documented refusal of the appId/secret pair")
}

func TestRefresh_FrozenApplication_IsForbidden(t *testing.T) {
	srv, p := emulated(t)
	old, err := p.Token(t.Context())
	require.NoError(t, err)
	srv.OceanConnect.SetFrozen(true)
	_, err = p.Refresh(t.Context(), old)
	requireKind(t, err, iotauth.ErrForbidden)
	_, err = p.Token(t.Context())
	requireKind(t, err, iotauth.ErrForbidden)
}

func TestRefresh_ServerError_StaysRetryable(t *testing.T) {
	srv, p := emulated(t)
	old, err := p.Token(t.Context())
	require.NoError(t, err)
	srv.OceanConnect.FailNext(1, http.StatusInternalServerError)
	_, err = p.Refresh(t.Context(), old)
	requireKind(t, err, iotauth.ErrServer)
	assert.True(t, iotauth.IsRetryable(err))
}

// TestCache_StaleRefreshToken_FallsBackToOneLogin: the Cache refreshes an
// expiring token; the refresh token was staled by another login, so the
// refresh is refused and the Cache logs in instead, without latching.
func TestCache_StaleRefreshToken_FallsBackToOneLogin(t *testing.T) {
	srv, p := emulated(t)
	cache := iotauth.NewCache(p, iotauth.WithRefreshWindow(time.Hour))
	first, err := cache.Token(t.Context())
	require.NoError(t, err)
	srv.OceanConnect.Revoke() // as a login from elsewhere does

	cache.Invalidate(first)
	tok, err := cache.Token(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
	assert.True(t, srv.OceanConnect.ValidToken(tok.AccessToken))
	assert.EqualValues(t, 2, srv.OceanConnect.Logins())
	assert.Zero(t, srv.OceanConnect.Refreshes())
	assert.EqualValues(t, 1, cache.Stats().Refreshes, "a refresh was tried first")
}

func TestCache_Refresh_UsesTheRefreshToken(t *testing.T) {
	srv, p := emulated(t)
	cache := iotauth.NewCache(p)
	first, err := cache.Token(t.Context())
	require.NoError(t, err)
	cache.Invalidate(first)
	tok, err := cache.Token(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())
	assert.EqualValues(t, 1, srv.OceanConnect.Refreshes())
}

func TestCache_WrongSecret_IsLatchedAfterOneLogin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	cache := iotauth.NewCache(newProvider(t, srv.URL, "wrong-secret"), iotauth.WithHoldOff(time.Hour))
	for range 3 {
		_, err := cache.Token(t.Context())
		requireKind(t, err, iotauth.ErrInvalidCredentials, "wrong-secret")
	}
	assert.EqualValues(t, 1, srv.OceanConnect.Requests(), "the refusal is latched: no second login")
}

// TestShapes_EveryRealWorldAnswer_GivesAUsableToken runs a login, a refresh
// and a call through a Cache and Transport against every token answer shape
// seen from real servers. Without a refresh token the Cache logs in again
// and never sends an empty refresh token.
func TestShapes_EveryRealWorldAnswer_GivesAUsableToken(t *testing.T) {
	for _, shape := range iotauthtest.OceanConnectShapes() {
		t.Run(shape.Name, func(t *testing.T) {
			srv, p := emulated(t)
			srv.OceanConnect.SetShape(shape)
			tok, err := p.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "Bearer", tok.Type())
			assert.Equal(t, time.Hour, tok.Expiry.Sub(tok.IssuedAt))
			assert.Equal(t, shape.RefreshToken == "", tok.RefreshToken != "")

			next, err := p.Refresh(t.Context(), tok)
			require.NoError(t, err)
			assert.True(t, srv.OceanConnect.ValidToken(next.AccessToken))
			if shape.RefreshToken != "" {
				assert.Zero(t, srv.OceanConnect.Refreshes(), "no refresh token: a login, not an empty refresh")
				assert.EqualValues(t, 2, srv.OceanConnect.Logins())
			} else {
				assert.EqualValues(t, 1, srv.OceanConnect.Refreshes())
			}

			cache := iotauth.NewCache(p)
			defer cache.Close()
			client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
			res, err := client.Get(srv.URL + "/iocm/app/dm/v1.4.0/devices")
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
		})
	}
}
