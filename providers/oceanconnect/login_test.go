package oceanconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestLogin_EmulatorToken_IsParsedWithTypeAndLifetime(t *testing.T) {
	srv, p := emulated(t)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.RefreshToken)
	assert.Equal(t, "Bearer", tok.TokenType, `"Bearer " loses its trailing space`)
	assert.Equal(t, "default", tok.Scope)
	assert.Equal(t, time.Hour, tok.Expiry.Sub(tok.IssuedAt), `"expiresIn":"3600" is one hour`)
	assert.True(t, tok.Valid())
	assert.True(t, srv.OceanConnect.ValidToken(tok.AccessToken))
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())
}

func TestLogin_WrongSecret_IsInvalidCredentials(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	p := newProvider(t, srv.URL, "not-the-secret")
	_, err := p.Token(t.Context())
	e := requireKind(t, err, iotauth.ErrInvalidCredentials, "not-the-secret")
	assert.Equal(t, "100208", e.Code)
	assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
	assert.Equal(t, "oceanconnect", e.Platform)
	assert.Equal(t, "login", e.Op)
	assert.Equal(t, "AppId or secret is not right.", e.Message)
	assert.True(t, iotauth.IsCredentialFailure(err))
}

// TestLogin_EveryDocumentedCode_MapsToItsKind goes through every error the
// emulator answers, with its documented HTTP status, and checks the
// deliberate mapping of each; an unknown code is transient whatever its
// status.
func TestLogin_EveryDocumentedCode_MapsToItsKind(t *testing.T) {
	want := map[string]error{
		"100208":  iotauth.ErrInvalidCredentials,
		"100247":  iotauth.ErrForbidden,
		"100449":  iotauth.ErrForbidden,
		"100203":  iotauth.ErrForbidden,
		"100217":  iotauth.ErrForbidden,
		"102202":  iotauth.ErrBadRequest,
		"50400":   iotauth.ErrBadRequest,
		"1010009": iotauth.ErrRateLimited,
		"50252":   iotauth.ErrServer,
		"1010005": iotauth.ErrTokenRejected,
		"100006":  iotauth.ErrTokenRejected,
		"99999":   iotauth.ErrServer, // unknown: transient, never latched
	}
	srv, p := emulated(t)
	documented := srv.OceanConnect.Errors()
	require.Len(t, want, len(documented)+1, "every documented code has a deliberate kind")
	for _, d := range append(documented, iotauthtest.DocumentedError{Code: "99999", Status: 500}) {
		t.Run(d.Code, func(t *testing.T) {
			kind, ok := want[d.Code]
			require.True(t, ok, "no expected kind for %s", d.Code)
			srv.OceanConnect.ErrorNext(1, d.Code)
			_, err := p.Token(t.Context())
			e := requireKind(t, err, kind)
			assert.Equal(t, d.Code, e.Code)
			assert.Equal(t, d.Status, e.HTTPStatus)
		})
	}
	assert.Zero(t, srv.OceanConnect.Logins())
}

func TestLogin_FrozenApplication_IsForbidden(t *testing.T) {
	srv, p := emulated(t)
	srv.OceanConnect.SetFrozen(true)
	_, err := p.Token(t.Context())
	e := requireKind(t, err, iotauth.ErrForbidden)
	assert.Equal(t, "100247", e.Code)
	assert.True(t, iotauth.IsCredentialFailure(err))
}

func TestLogin_Faults_AreTypedErrors(t *testing.T) {
	srv, p := emulated(t)
	cases := []struct {
		name   string
		inject func()
		kind   error
	}{
		{"5xx", func() { srv.OceanConnect.FailNext(1, http.StatusInternalServerError) }, iotauth.ErrServer},
		{"502", func() { srv.OceanConnect.FailNext(1, http.StatusBadGateway) }, iotauth.ErrServer},
		{"reset", func() { srv.OceanConnect.ResetNext(1) }, iotauth.ErrServer},
		{"malformed JSON", func() { srv.OceanConnect.MalformedNext(1) }, iotauth.ErrMalformedResponse},
		{"HTML page", func() { srv.OceanConnect.HTMLNext(1) }, iotauth.ErrServer},
		{"body over 10 MiB", func() { srv.OceanConnect.HugeNext(1) }, iotauth.ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.inject()
			_, err := p.Token(t.Context())
			requireKind(t, err, c.kind)
			assert.True(t, iotauth.IsRetryable(err))
			assert.False(t, iotauth.IsCredentialFailure(err))

			tok, err := p.Token(t.Context())
			require.NoError(t, err, "the fault applies to one call only")
			assert.True(t, tok.Valid())
		})
	}
}

func TestLogin_FiveHundredBody_KeepsThePlatformCode(t *testing.T) {
	srv, p := emulated(t)
	srv.OceanConnect.FailNext(1, http.StatusInternalServerError)
	_, err := p.Token(t.Context())
	e := requireKind(t, err, iotauth.ErrServer)
	assert.Equal(t, "50252", e.Code)
	assert.Equal(t, "Internal server error.", e.Message)
}

func TestLogin_Latency_EndsWithTheCallersContext(t *testing.T) {
	srv, p := emulated(t)
	// The emulator notices a client gone only after its latency when the
	// request has an unread body, so keep it short.
	srv.OceanConnect.SetLatency(time.Second)
	t.Cleanup(func() { srv.OceanConnect.SetLatency(0) })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := p.Token(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), iotauthtest.OceanConnectSecret)
}
