package cloudstudio

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestToken_WrongPassword_IsInvalidCredentialsWithThePlatformCode(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong-password-xyz" })
	tok, err := p.Token(context.Background())
	assert.Nil(t, tok)
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	var e *iotauth.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "cloudstudio", e.Platform)
	assert.Equal(t, opCreate, e.Op)
	assert.Equal(t, http.StatusInternalServerError, e.HTTPStatus)
	assert.Equal(t, "1", e.Code)
	assert.Equal(t, "Invalid login credentials", e.Message)
	assertNoSecrets(t, err, "wrong-password-xyz", iotauthtest.CloudStudioEmail)
}

func TestToken_SpanishBadPasswordWording_IsStillInvalidCredentials(t *testing.T) {
	srv := newServer(t)
	srv.CloudStudio.SetBadPasswordMessage("Usuario o contraseña incorrectos")
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong" })
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
}

func TestToken_WrongClientID_IsForbidden(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, func(c *Config) { c.ClientID = 80 })
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrForbidden, "8001 on a creation: the login may not create tokens for this client")
	assert.True(t, iotauth.IsCredentialFailure(err), "latched by the Cache")
}

// TestToken_UnknownException_IsTransient: an Exception the error table does
// not know is never a credential failure.
func TestToken_UnknownException_IsTransient(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	srv.CloudStudio.ErrorNext(1, "4711")
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrServer)
	assert.False(t, iotauth.IsCredentialFailure(err))
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "4711", e.Code)
}

func TestToken_CaptchaLock_IsErrCaptchaRequiredThatSaysToUseTheWebConsole(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong" })
	var err error
	for range 3 {
		_, err = p.Token(context.Background())
	}
	require.ErrorIs(t, err, iotauth.ErrCaptchaRequired, "the third bad login in a row locks the account")
	assert.True(t, iotauth.IsCredentialFailure(err))
	var e *iotauth.Error
	require.True(t, errors.As(err, &e))
	assert.Contains(t, e.Message, "Please complete the captcha")
	assert.Contains(t, e.Message, "log in once in the Cloud Studio web console")

	good := newProvider(t, srv, nil)
	_, err = good.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrCaptchaRequired, "the right password does not help until the captcha is solved")
	srv.CloudStudio.ClearCaptcha()
	tok, err := good.Token(context.Background())
	require.NoError(t, err)
	assert.True(t, tok.Valid())
}

func TestToken_PlatformFaults_AreTypedAndNotCredentialFailures(t *testing.T) {
	cases := []struct {
		name   string
		inject func(*iotauthtest.CloudStudio)
		kind   error
	}{
		{"503 without an Exception", func(e *iotauthtest.CloudStudio) { e.FailNext(1, http.StatusServiceUnavailable) }, iotauth.ErrServer},
		{"500 without an Exception", func(e *iotauthtest.CloudStudio) { e.FailNext(1, http.StatusInternalServerError) }, iotauth.ErrServer},
		{"500 with an unknown Exception", func(e *iotauthtest.CloudStudio) { e.ErrorNext(1, "4711") }, iotauth.ErrServer},
		{"connection reset", func(e *iotauthtest.CloudStudio) { e.ResetNext(1) }, iotauth.ErrServer},
		{"gateway HTML page", func(e *iotauthtest.CloudStudio) { e.HTMLNext(1) }, iotauth.ErrServer},
		{"truncated JSON", func(e *iotauthtest.CloudStudio) { e.MalformedNext(1) }, iotauth.ErrMalformedResponse},
		{"body over 10 MiB", func(e *iotauthtest.CloudStudio) { e.HugeNext(1) }, iotauth.ErrMalformedResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			p := newProvider(t, srv, nil)
			tc.inject(srv.CloudStudio)
			tok, err := p.Token(context.Background())
			assert.Nil(t, tok)
			require.ErrorIs(t, err, tc.kind)
			assert.False(t, iotauth.IsCredentialFailure(err))
			assert.True(t, iotauth.IsRetryable(err))
			assertNoSecrets(t, err, iotauthtest.CloudStudioPassword)

			tok, err = p.Token(context.Background())
			require.NoError(t, err, "the fault was for one call")
			assert.True(t, tok.Valid())
		})
	}
}

func TestToken_CancelledContext_ReturnsTheContextError(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Token(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestErrorTable_EveryRowCitesTheDocument(t *testing.T) {
	for _, r := range errorTable {
		assert.Contains(t, r.Doc, "持久访问令牌", r.Code)
		assert.NotContains(t, r.Doc, ".txt", "a title and section, not a file name: %s", r.Code)
		assert.NotNil(t, r.Kind, r.Code)
	}
}

// noKeepAlive is an HTTP client whose connections close after each call,
// so that no connection goroutine outlives a call inside a synctest bubble.
func noKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// TestCache_UnknownExceptionThenSuccess_IsNotLatched: a Cloud Studio HTTP
// 500 with an Exception the table does not know is backed off by the Cache
// (a second or so), not latched for the hold-off (an hour here).
func TestCache_UnknownExceptionThenSuccess_IsNotLatched(t *testing.T) {
	srv := newServer(t)
	synctest.Test(t, func(t *testing.T) {
		p := newProvider(t, srv, func(c *Config) { c.HTTPClient = noKeepAlive() })
		cache := iotauth.NewCache(p, iotauth.WithHoldOff(time.Hour))
		defer cache.Close()
		srv.CloudStudio.ErrorNext(1, "4711")
		_, err := cache.Token(t.Context())
		require.ErrorIs(t, err, iotauth.ErrServer)

		time.Sleep(time.Minute) // past any backoff, far inside the hold-off
		tok, err := cache.Token(t.Context())
		require.NoError(t, err, "not latched")
		assert.True(t, tok.Valid())
		assert.Equal(t, int64(2), srv.CloudStudio.Requests(), "the failed creation and the good one")
	})
}

// TestCache_WrongPassword_IsLatched_TheCaptchaIsNeverReached: the Cache's
// hold-off is the captcha protection: a refused login is made once per
// hold-off, so three in a row never happen.
func TestCache_WrongPassword_IsLatched_TheCaptchaIsNeverReached(t *testing.T) {
	srv := newServer(t)
	synctest.Test(t, func(t *testing.T) {
		p := newProvider(t, srv, func(c *Config) { c.Password = "wrong"; c.HTTPClient = noKeepAlive() })
		cache := iotauth.NewCache(p, iotauth.WithHoldOff(time.Hour))
		defer cache.Close()
		for range 10 {
			_, err := cache.Token(t.Context())
			require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
			time.Sleep(time.Minute)
		}
		assert.Equal(t, int64(1), srv.CloudStudio.CreateCalls(), "one bad login in ten minutes")
		assert.False(t, srv.CloudStudio.CaptchaLocked())
	})
}
