package oceanconnect

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

func testProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(Config{BaseURL: "https://iot.example.com:8743", AppID: "app", Secret: "secret"})
	require.NoError(t, err)
	return p
}

func response(status int, body string) *httpc.Response {
	return &httpc.Response{Op: "login", Status: status,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func TestTokenFrom_ExpiresIn_AcceptsNumberAndString(t *testing.T) {
	p := testProvider(t)
	for _, expiresIn := range []string{`3600`, `"3600"`, `" 3600 "`, `3600.0`} {
		t.Run(expiresIn, func(t *testing.T) {
			tok, err := parseToken(p.http, response(200,
				`{"accessToken":"at","refreshToken":"rt","tokenType":"Bearer ","scope":"default","expiresIn":`+expiresIn+`}`), time.Now())
			require.NoError(t, err)
			assert.Equal(t, time.Hour, tok.Expiry.Sub(tok.IssuedAt))
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, "rt", tok.RefreshToken)
		})
	}
}

func TestTokenFrom_TokenTypeVariants_AreCanonicalBearer(t *testing.T) {
	p := testProvider(t)
	for _, tt := range []string{`"Bearer "`, `"bearer"`, `" BEARER"`, `""`} {
		tok, err := parseToken(p.http, response(200, `{"accessToken":"at","expiresIn":"60","tokenType":`+tt+`}`), time.Now())
		require.NoError(t, err, tt)
		assert.Equal(t, "Bearer", tok.Type(), tt)
	}
}

func TestTokenFrom_BadLifetimeOrToken_IsMalformed(t *testing.T) {
	p := testProvider(t)
	for name, body := range map[string]string{
		"missing expiresIn":       `{"accessToken":"at"}`,
		"null expiresIn":          `{"accessToken":"at","expiresIn":null}`,
		"zero expiresIn":          `{"accessToken":"at","expiresIn":"0"}`,
		"negative expiresIn":      `{"accessToken":"at","expiresIn":-5}`,
		"masked expiresIn":        `{"accessToken":"at","expiresIn":"*******"}`,
		"fractional expiresIn":    `{"accessToken":"at","expiresIn":1.5}`,
		"object expiresIn":        `{"accessToken":"at","expiresIn":{}}`,
		"missing accessToken":     `{"expiresIn":"3600"}`,
		"accessToken not string":  `{"accessToken":12,"expiresIn":"3600"}`,
		"not an object":           `["at"]`,
		"truncated":               `{"accessToken":"at","expi`,
		"empty":                   ``,
		"html":                    `<html><body>Service Unavailable</body></html>`,
		"trailing data":           `{"accessToken":"at","expiresIn":"3600"} {}`,
		"lifetime over a century": `{"accessToken":"at","expiresIn":"99999999999"}`,
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := parseToken(p.http, response(200, body), time.Now())
			assert.Nil(t, tok)
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
			var e *iotauth.Error
			require.True(t, errors.As(err, &e))
			assert.NotContains(t, err.Error(), `"at"`)
		})
	}
}

func TestTokenFrom_ErrorBodyWithStatus200_IsThePlatformError(t *testing.T) {
	p := testProvider(t)
	_, err := parseToken(p.http, response(200, `{"error_code":"100208","error_desc":"AppId or secret is not right."}`), time.Now())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	var e *iotauth.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "100208", e.Code)
}

func TestFail_ErrorBodyVariants(t *testing.T) {
	p := testProvider(t)
	cases := []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"numeric code", 401, `{"error_code":100208,"error_desc":"AppId or secret is not right."}`, iotauth.ErrInvalidCredentials, "100208"},
		{"empty body 401", 401, ``, iotauth.ErrServer, ""},
		{"unknown code 401", 401, `{"error_code":"99999"}`, iotauth.ErrServer, "99999"},
		{"unknown code 403", 403, `{"error_code":"99999"}`, iotauth.ErrServer, "99999"},
		{"empty body 503", 503, ``, iotauth.ErrServer, ""},
		{"no code", 500, `{}`, iotauth.ErrServer, ""},
		{"html", 502, `<html>Bad Gateway</html>`, iotauth.ErrServer, ""},
		{"bad json", 400, `{"error_code":`, iotauth.ErrServer, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := response(c.status, c.body)
			res.Header.Set("X-Request-Id", "req-42")
			err := fail(p.http, res)
			require.ErrorIs(t, err, c.kind)
			var e *iotauth.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, c.code, e.Code)
			assert.Equal(t, c.status, e.HTTPStatus)
		})
	}
}

func TestFail_RequestIDHeader_IsKept(t *testing.T) {
	p := testProvider(t)
	res := response(500, `{"error_code":"50252","error_desc":"Internal server error."}`)
	res.Header.Set("X-Request-Id", "req-42")
	var e *iotauth.Error
	require.True(t, errors.As(fail(p.http, res), &e))
	assert.Equal(t, "req-42", e.RequestID)
	assert.Contains(t, e.Error(), "req-42")
}

func TestErrorTable_EveryRowCitesItsDocument(t *testing.T) {
	for _, r := range errorTable {
		assert.NotEmpty(t, r.Doc, r.Code)
		assert.NotNil(t, r.Kind, r.Code)
	}
}
