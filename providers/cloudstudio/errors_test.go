package cloudstudio

import (
	"context"
	"errors"
	"net/http"
	"testing"
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

func TestToken_UndocumentedBadPasswordWording_IsStillInvalidCredentials(t *testing.T) {
	srv := newServer(t)
	srv.CloudStudio.SetBadPasswordMessage("Usuario o contraseña incorrectos")
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong" })
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
}

func TestToken_WrongClientID_IsLatchedAsACredentialFailure(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, func(c *Config) { c.ClientID = 80 })
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	_, err2 := p.Token(context.Background())
	assert.Same(t, err, err2)
	assert.Equal(t, int64(1), srv.CloudStudio.CreateCalls())
}

func TestToken_CaptchaLock_IsErrCaptchaRequiredThatSaysToUseTheWebConsole(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := newServer(t, iotauthtest.WithClock(clk))
	p := newProvider(t, srv, func(c *Config) { c.Password = "wrong" })
	p.now = clk.Now
	var err error
	for i := 0; i < 3; i++ {
		_, err = p.Token(context.Background())
		clk.Advance(DefaultHoldOff)
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
	calls := srv.CloudStudio.CreateCalls()
	_, err = good.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrCaptchaRequired)
	assert.Equal(t, calls, srv.CloudStudio.CreateCalls(), "the captcha error is latched")

	srv.CloudStudio.ClearCaptcha()
	good.now = func() time.Time { return clk.Now().Add(DefaultHoldOff) }
	tok, err := good.Token(context.Background())
	require.NoError(t, err)
	assert.True(t, tok.Valid())
}

func TestToken_PlatformFaults_AreTypedAndNotLatched(t *testing.T) {
	cases := []struct {
		name   string
		inject func(*iotauthtest.CloudStudio)
		kind   error
	}{
		{"503 without an Exception", func(e *iotauthtest.CloudStudio) { e.FailNext(1, http.StatusServiceUnavailable) }, iotauth.ErrServer},
		{"500 without an Exception", func(e *iotauthtest.CloudStudio) { e.FailNext(1, http.StatusInternalServerError) }, iotauth.ErrServer},
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
			require.NoError(t, err, "a platform fault is not latched: the next call succeeds")
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
