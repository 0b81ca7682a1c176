package iotda_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

func TestToken_EmulatorToken_LivesADayAndIsNotABearerHeader(t *testing.T) {
	srv, p := emulated(t)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.AccessToken, "MII"), "the token is X-Subject-Token's")
	assert.InDelta(t, (24 * time.Hour).Seconds(), tok.Expiry.Sub(tok.IssuedAt).Seconds(), 2, "expires_at is 24 h later")
	assert.True(t, srv.IAM.ValidToken(tok.AccessToken))
	assert.EqualValues(t, 1, srv.IAM.Logins())

	req, err := http.NewRequest(http.MethodGet, "https://example.invalid/", nil)
	require.NoError(t, err)
	require.NoError(t, iotauth.Authorize(p, req, tok))
	assert.Equal(t, tok.AccessToken, req.Header.Get("X-Auth-Token"))
	assert.Empty(t, req.Header.Get("Authorization"))
}

// Through a Cache and a Transport, IoTDA calls carry X-Auth-Token; a second
// token does not invalidate the first (unlike OceanConnect).
func TestToken_Transport_CallsIoTDAWithTheToken_AndANewTokenKeepsTheOld(t *testing.T) {
	srv, p := emulated(t)
	hc := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(p), nil)}
	res, err := hc.Get(devicesURL(srv))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Contains(t, string(body), iotauthtest.IoTDADeviceID)

	first, err := p.Token(t.Context())
	require.NoError(t, err)
	second, err := p.Token(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.True(t, srv.IAM.ValidToken(first.AccessToken), "a new IAM token leaves the old one valid")
	assert.False(t, p.Describe().LastTokenOnly)
}

// A token revoked on the platform (a password change) is rejected with 401
// APIGW.0301; the Transport invalidates it and retries once with a new one.
func TestToken_Transport_RevokedToken_IsReplacedOnce(t *testing.T) {
	srv, p := emulated(t)
	hc := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(p), nil)}
	get := func() int {
		res, err := hc.Get(devicesURL(srv))
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, get())
	srv.IAM.RevokeTokens()
	assert.Equal(t, http.StatusOK, get())
	assert.EqualValues(t, 2, srv.IAM.Logins())
	assert.EqualValues(t, 1, srv.IoTDA.Rejected())
}

func TestToken_WrongPassword_IsInvalidCredentials_AndFiveLockTheAccount(t *testing.T) {
	srv, _ := emulated(t)
	p := userProvider(t, srv, "not-the-password")
	_, err := p.Token(t.Context())
	e := requireKind(t, err, iotauth.ErrInvalidCredentials, "not-the-password")
	assert.Equal(t, "401", e.Code)
	assert.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
	assert.Equal(t, "iotda", e.Platform)
	assert.Equal(t, "token", e.Op)
	assert.Equal(t, "The username or password is wrong.", e.Message)
	assert.NotEmpty(t, e.RequestID)
	for range 4 {
		_, err = p.Token(t.Context())
		requireKind(t, err, iotauth.ErrInvalidCredentials)
	}
	_, err = emulatedProvider(t, srv).Token(t.Context())
	e = requireKind(t, err, iotauth.ErrInvalidCredentials)
	assert.Equal(t, "The account is locked.", e.Message, "five wrong passwords lock the account, the right one included")
	assert.Zero(t, srv.IAM.Logins())
}

func emulatedProvider(t *testing.T, srv *iotauthtest.Server) *iotda.Provider {
	return userProvider(t, srv, iotauthtest.IoTDAPassword)
}

func TestToken_DisabledUser_IsForbidden(t *testing.T) {
	srv, p := emulated(t)
	srv.IAM.SetUserDisabled(true)
	_, err := p.Token(t.Context())
	e := requireKind(t, err, iotauth.ErrForbidden)
	assert.Equal(t, "403", e.Code)
	assert.True(t, iotauth.IsCredentialFailure(err))
}

// TestToken_EveryDocumentedCode_MapsToItsKind goes through every error the
// IAM emulator answers with its documented status; an unknown code is
// transient.
func TestToken_EveryDocumentedCode_MapsToItsKind(t *testing.T) {
	want := map[string]error{
		"400":   iotauth.ErrBadRequest,
		"401":   iotauth.ErrInvalidCredentials,
		"403":   iotauth.ErrForbidden,
		"429":   iotauth.ErrRateLimited,
		"99999": iotauth.ErrServer,
	}
	srv, p := emulated(t)
	documented := srv.IAM.Errors()
	require.Len(t, want, len(documented)+1, "every documented code has a deliberate kind")
	for _, d := range append(documented, iotauthtest.DocumentedError{Code: "99999", Status: 500}) {
		t.Run(d.Code, func(t *testing.T) {
			srv.IAM.ErrorNext(1, d.Code)
			_, err := p.Token(t.Context())
			e := requireKind(t, err, want[d.Code])
			assert.Equal(t, d.Code, e.Code)
			assert.Equal(t, d.Status, e.HTTPStatus)
		})
	}
}

// Faults of the shared vocabulary: each is a typed error, never a token.
func TestToken_Faults_AreTypedErrors(t *testing.T) {
	srv, p := emulated(t)
	for _, tc := range []struct {
		name   string
		inject func()
		kind   error
	}{
		{"5xx", func() { srv.IAM.FailNext(1, http.StatusServiceUnavailable) }, iotauth.ErrServer},
		{"reset", func() { srv.IAM.ResetNext(1) }, iotauth.ErrServer},
		{"truncated", func() { srv.IAM.MalformedNext(1) }, iotauth.ErrMalformedResponse},
		{"html", func() { srv.IAM.HTMLNext(1) }, iotauth.ErrServer},
		{"huge", func() { srv.IAM.HugeNext(1) }, iotauth.ErrMalformedResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.inject()
			tok, err := p.Token(t.Context())
			assert.Nil(t, tok)
			requireKind(t, err, tc.kind)
		})
	}
}

// Answers outside IAM's documented shape are ErrMalformedResponse: no
// X-Subject-Token, no or an unreadable expires_at, an expiry in the past or
// in year 9999.
func TestToken_HostileAnswers_AreMalformed(t *testing.T) {
	future := time.Now().Add(24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
	for _, tc := range []struct {
		name, header, body string
	}{
		{"no X-Subject-Token", "", `{"token":{"expires_at":"` + future + `"}}`},
		{"no token object", "MIItok", `{"tokens":{}}`},
		{"no expires_at", "MIItok", `{"token":{"issued_at":"2026-01-01T00:00:00.000000Z"}}`},
		{"expires_at a number", "MIItok", `{"token":{"expires_at":1767225600}}`},
		{"expires_at not a time", "MIItok", `{"token":{"expires_at":"tomorrow"}}`},
		{"expires_at in the past", "MIItok", `{"token":{"expires_at":"2020-01-01T00:00:00.000000Z"}}`},
		{"expires_at in 9999", "MIItok", `{"token":{"expires_at":"9999-12-31T23:59:59.000000Z"}}`},
		{"empty body", "MIItok", ``},
		{"not JSON", "MIItok", `token`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tc.header != "" {
					w.Header().Set("X-Subject-Token", tc.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(hostile.Close)
			p, err := iotda.New(iotda.Config{Endpoint: hostile.URL, IAMEndpoint: hostile.URL, DomainName: "d", UserName: "u",
				Password: "p", ProjectName: "cn-north-4"})
			require.NoError(t, err)
			tok, err := p.Token(t.Context())
			assert.Nil(t, tok)
			requireKind(t, err, iotauth.ErrMalformedResponse)
		})
	}
}

// The request is the documented one: POST JSON, password method, domain,
// user and project names.
func TestToken_Request_IsTheDocumentedShape(t *testing.T) {
	var got struct {
		method, ct string
		body       string
	}
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.ct, got.body = r.Method+" "+r.URL.Path, r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(rec.Close)
	p, err := iotda.New(iotda.Config{Endpoint: rec.URL, IAMEndpoint: rec.URL, DomainName: "dom", UserName: "usr",
		Password: "pw\"x", ProjectName: "cn-north-4"})
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	requireKind(t, err, iotauth.ErrServer)
	assert.Equal(t, "POST /v3/auth/tokens", got.method)
	assert.Equal(t, "application/json", got.ct)
	assert.JSONEq(t, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"usr","password":"pw\"x",
		"domain":{"name":"dom"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, got.body)
}
