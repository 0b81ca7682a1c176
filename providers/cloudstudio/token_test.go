package cloudstudio

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/store"
)

func TestToken_CreatesAPersistentTokenEachCall(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	a, err := p.Token(context.Background())
	require.NoError(t, err)
	b, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, b.AccessToken, "the provider holds no token: the Cache does")
	assert.Equal(t, int64(2), srv.CloudStudio.Logins())
	assert.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), a.Expiry, "no Expiration: the platform default")
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

func TestRefresh_RotatesWithoutAGap_CreateThenDeleteOld(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	fresh, err := p.Refresh(context.Background(), old)
	require.NoError(t, err)
	assert.NotEqual(t, old.AccessToken, fresh.AccessToken)
	list := srv.CloudStudio.Tokens()
	require.Len(t, list, 1, "the old token was deleted")
	assert.Equal(t, fresh.AccessToken, list[0].AccessToken)
}

// TestRefresh_DeleteRefused_ReturnsTheNewTokenAndReportsTheOldOne: a delete
// the platform refuses leaves the old token valid until its expiry (2099);
// Refresh must not hide it.
func TestRefresh_DeleteRefused_ReturnsTheNewTokenAndReportsTheOldOne(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.RefuseDeletes(true)

	fresh, err := p.Refresh(context.Background(), old)
	require.NotNil(t, fresh, "the new token is good")
	assert.NotEqual(t, old.AccessToken, fresh.AccessToken)
	require.Error(t, err, "the refusal is reported, not swallowed")
	require.ErrorIs(t, err, iotauth.ErrRevokeRefused)
	assert.NotErrorIs(t, err, iotauth.ErrTokenRejected)
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, opDelete, e.Op)
	assert.Contains(t, e.Message, "ClientAccessTokenID "+old.ID)
	assert.Contains(t, e.Message, "2099-01-01")
	assertNoSecrets(t, err, old.AccessToken, fresh.AccessToken)
	assert.Equal(t, 2, srv.CloudStudio.ActiveTokens(), "the old token lives on the platform")
}

func TestRefresh_DeleteUnreachable_ReturnsTheNewTokenAndAServerError(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	// The creation succeeds, the deletion after it meets a 502.
	calls := 0
	p.http = newCountingClient(t, srv, func() bool { calls++; return calls == 2 })
	fresh, err := p.Refresh(context.Background(), old)
	require.NotNil(t, fresh)
	require.ErrorIs(t, err, iotauth.ErrServer)
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, opDelete, e.Op)
}

func TestRefresh_CreateFails_ReturnsNoTokenAndKeepsTheOld(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.FailNext(1, http.StatusServiceUnavailable)
	fresh, err := p.Refresh(context.Background(), old)
	assert.Nil(t, fresh)
	require.ErrorIs(t, err, iotauth.ErrServer)
	assert.Equal(t, opCreate, err.(*iotauth.Error).Op)
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens(), "the old token was not deleted")
}

func TestRefresh_ExpiredOldToken_IsNotDeleted(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := newServer(t, iotauthtest.WithClock(clk))
	p := newProvider(t, srv, func(c *Config) { c.Expiration = time.Hour })
	old, err := p.Token(context.Background())
	require.NoError(t, err)
	clk.Advance(2 * time.Hour)
	p.now = clk.Now
	requests := srv.CloudStudio.Requests()
	fresh, err := p.Refresh(context.Background(), old)
	require.NoError(t, err)
	assert.NotNil(t, fresh)
	assert.Equal(t, requests+1, srv.CloudStudio.Requests(), "one creation, no deletion")
}

func TestRevoke_DeletesTheToken(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	require.NoError(t, p.Revoke(context.Background(), tok))
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens())
}

func TestRevoke_Refused_IsErrRevokeRefusedWithTheFaultCode(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.RefuseDeletes(true)
	err = p.Revoke(context.Background(), tok)
	require.ErrorIs(t, err, iotauth.ErrRevokeRefused)
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "8001", e.Code)
	assert.Equal(t, opDelete, e.Op)
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
	assertNoSecrets(t, err, tok.AccessToken)
}

func TestRevoke_PlatformDown_IsServerError(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.FailNext(1, http.StatusBadGateway)
	err = p.Revoke(context.Background(), tok)
	require.ErrorIs(t, err, iotauth.ErrServer)
	assertNoSecrets(t, err, tok.AccessToken)
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

// TestCache_WithStore_ARestartReusesTheStoredToken: reuse across restarts is
// the Cache's store adoption, not the provider's.
func TestCache_WithStore_ARestartReusesTheStoredToken(t *testing.T) {
	srv := newServer(t)
	st := store.NewMemory()
	first := iotauth.NewCache(newProvider(t, srv, nil), iotauth.WithStore(st))
	a, err := first.Token(context.Background())
	require.NoError(t, err)
	first.Close()

	second := iotauth.NewCache(newProvider(t, srv, nil), iotauth.WithStore(st))
	defer second.Close()
	b, err := second.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, a.AccessToken, b.AccessToken, "a restart does not create a token")
	assert.Equal(t, int64(1), srv.CloudStudio.Logins())
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

// TestCache_ThreeServiceCalls_OneTokenNoRotation: service calls carry the
// token in their JSON body, so a server that reads it there accepts every
// call: one creation, no rejection, no deletion.
func TestCache_ThreeServiceCalls_OneTokenNoRotation(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	cache := iotauth.NewCache(p)
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	for i := range 3 {
		body := `{"deviceID":` + strconv.Itoa(i+1) + `,"latitude":40.4052,"longitude":-3.87699}`
		res, err := client.Post(srv.URL+"/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation",
			"application/json", strings.NewReader(body))
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
	}
	assert.Equal(t, int64(1), srv.CloudStudio.Logins(), "one token created")
	assert.Zero(t, srv.CloudStudio.Rejected())
	assert.Zero(t, srv.CloudStudio.WrongCarrier())
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens(), "nothing rotated")
}

// TestCache_ServiceCallWithBody_IsResentWithTheNewTokenAfterARejection: the
// Transport replays the caller's body, which Authorize rewrites again with
// the fresh token.
func TestCache_ServiceCallWithBody_IsResentWithTheNewTokenAfterARejection(t *testing.T) {
	srv := newServer(t)
	cache := iotauth.NewCache(newProvider(t, srv, nil))
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	post := func() int {
		body := []byte(`{"deviceID":"[device-1234]","latitude":40.4052,"longitude":-3.87699}`)
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, post())
	srv.CloudStudio.RevokeAll() // an administrator deleted the token
	assert.Equal(t, http.StatusOK, post())
	assert.Equal(t, int64(1), srv.CloudStudio.Rejected())
	assert.Equal(t, int64(2), srv.CloudStudio.Logins())
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// TestCache_RotationWithARefusedDelete_InstallsTheNewTokenAndReportsIt: the
// Cache keeps the rotated token and tells its hook and log that the old
// one still lives on the platform.
func TestCache_RotationWithARefusedDelete_InstallsTheNewTokenAndReportsIt(t *testing.T) {
	srv := newServer(t)
	var mu sync.Mutex
	var events []iotauth.Event
	var logs logBuffer
	cache := iotauth.NewCache(newProvider(t, srv, nil), iotauth.WithLogger(logs.logger()),
		iotauth.WithHook(func(ev iotauth.Event) { mu.Lock(); events = append(events, ev); mu.Unlock() }))
	defer cache.Close()
	old, err := cache.Token(context.Background())
	require.NoError(t, err)
	srv.CloudStudio.RefuseDeletes(true)
	cache.Invalidate(old)
	fresh, err := cache.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, old.AccessToken, fresh.AccessToken)
	assert.Equal(t, int64(2), srv.CloudStudio.Logins(), "one rotation, no extra creation")

	mu.Lock()
	defer mu.Unlock()
	var warned bool
	for _, ev := range events {
		var e *iotauth.Error
		if errors.As(ev.Err, &e) && e.Op == opDelete {
			warned = true
			assert.ErrorIs(t, ev.Err, iotauth.ErrRevokeRefused)
			assert.Equal(t, fresh.AccessToken, ev.Token.AccessToken)
		}
	}
	assert.True(t, warned, "the hook saw the refused delete")
	assert.Contains(t, logs.String(), "ClientAccessTokenID "+old.ID)
	assert.NotContains(t, logs.String(), old.AccessToken)
}
