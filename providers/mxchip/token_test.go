package mxchip

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestToken_Request_IsFormPostWithClientCredentials(t *testing.T) {
	m := newMock(t, answer(http.StatusOK, docToken))
	_, err := m.p.Token(context.Background())
	require.NoError(t, err)

	reqs := m.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "https://api.fogcloud.io/v3/open_api/token/", r.URL.String())
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Authorization"))
	form, err := url.ParseQuery(r.body)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {"ak-id"},
		"client_secret": {"ak-secret-value"},
	}, form)
}

func TestToken_DocExample_IsParsed(t *testing.T) {
	m := newMock(t, answer(http.StatusOK, docToken))
	before := time.Now()
	tok, err := m.p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "2cwO2K4FVynCWmG..", tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, "read write groups", tok.Scope)
	assert.Empty(t, tok.RefreshToken)
	assert.Equal(t, 604800*time.Second, tok.Expiry.Sub(tok.IssuedAt))
	assert.False(t, tok.IssuedAt.Before(before))
	assert.True(t, tok.Valid())
}

func TestToken_LenientShapes_AreParsed(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		life       time.Duration
		typ        string
	}{
		{"expires_in as string", `{"meta":{"message":"token info","code":0},"data":{"access_token":"a","token_type":"Bearer","expires_in":"604800"}}`, 604800 * time.Second, "Bearer"},
		{"code as string", `{"meta":{"message":"token info","code":"0"},"data":{"access_token":"a","token_type":"Bearer","expires_in":60}}`, time.Minute, "Bearer"},
		{"token type lower case with space", `{"meta":{"code":0},"data":{"access_token":"a","token_type":"bearer ","expires_in":60}}`, time.Minute, "Bearer"},
		{"no token type", `{"meta":{"code":0},"data":{"access_token":"a","expires_in":60}}`, time.Minute, "Bearer"},
		{"extra fields", `{"meta":{"code":0,"x":1},"data":{"access_token":"a","expires_in":60.0,"refresh":false},"more":[]}`, time.Minute, "Bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := newMock(t, answer(http.StatusOK, tc.body)).p.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "a", tok.AccessToken)
			assert.Equal(t, tc.typ, tok.TokenType)
			assert.Equal(t, tc.life, tok.Expiry.Sub(tok.IssuedAt))
		})
	}
}

func TestToken_BadAnswers_AreMalformedResponse(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"empty body", ``},
		{"truncated JSON", `{"meta":{"code":0},"data":{"access_tok`},
		{"not an object", `[1,2]`},
		{"no meta", `{"data":{"access_token":"a","expires_in":60}}`},
		{"meta without code", `{"meta":{"message":"token info"},"data":{"access_token":"a","expires_in":60}}`},
		{"no data", `{"meta":{"code":0}}`},
		{"null data", `{"meta":{"code":0},"data":null}`},
		{"data of the wrong type", `{"meta":{"code":0},"data":"token"}`},
		{"missing access token", `{"meta":{"code":0},"data":{"token_type":"Bearer","expires_in":60}}`},
		{"missing lifetime", `{"meta":{"code":0},"data":{"access_token":"a"}}`},
		{"zero lifetime", `{"meta":{"code":0},"data":{"access_token":"a","expires_in":0}}`},
		{"negative lifetime", `{"meta":{"code":0},"data":{"access_token":"a","expires_in":-5}}`},
		{"lifetime not a number", `{"meta":{"code":0},"data":{"access_token":"a","expires_in":"week"}}`},
		{"access token not a string", `{"meta":{"code":0},"data":{"access_token":12,"expires_in":60}}`},
		{"trailing data", `{"meta":{"code":0},"data":{"access_token":"a","expires_in":60}} {}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := newMock(t, answer(http.StatusOK, tc.body)).p.Token(context.Background())
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
			assert.Nil(t, tok)
			var ie *iotauth.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, "mxchip", ie.Platform)
			assert.Equal(t, "token", ie.Op)
		})
	}
}

func TestToken_MetaCodeDecides_WhateverTheHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"10000 with HTTP 200", 200, `{"meta":{"message":"client_id or client_secret error","code":10000},"data":{}}`, iotauth.ErrBadRequest, "10000"},
		{"10050 with HTTP 200", 200, `{"meta":{"message":"internal error","code":10050},"data":{}}`, iotauth.ErrServer, "10050"},
		{"10100 with HTTP 200", 200, `{"meta":{"message":"token is expired","code":10100},"data":{}}`, iotauth.ErrTokenRejected, "10100"},
		{"10101 with HTTP 200", 200, `{"meta":{"message":"token is error","code":10101},"data":{}}`, iotauth.ErrTokenRejected, "10101"},
		{"10050 with HTTP 500", 500, `{"meta":{"message":"internal error","code":10050},"data":{}}`, iotauth.ErrServer, "10050"},
		{"10000 with HTTP 400", 400, `{"meta":{"message":"bad","code":"10000"},"data":{}}`, iotauth.ErrBadRequest, "10000"},
		{"unknown code with HTTP 200", 200, `{"meta":{"message":"something","code":12345},"data":{}}`, iotauth.ErrServer, "12345"},
		{"unknown code with HTTP 503", 503, `{"meta":{"message":"busy","code":12345},"data":{}}`, iotauth.ErrServer, "12345"},
		{"unknown code with HTTP 429", 429, `{"meta":{"message":"slow down","code":12346}}`, iotauth.ErrRateLimited, "12346"},
		{"code 0 with HTTP 200 but no token", 200, `{"meta":{"message":"ok","code":0},"data":{}}`, iotauth.ErrMalformedResponse, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newMock(t, answer(tc.status, tc.body)).p.Token(context.Background())
			require.ErrorIs(t, err, tc.kind)
			var ie *iotauth.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.code, ie.Code)
			assert.Equal(t, tc.status, ie.HTTPStatus)
		})
	}
}

func TestToken_Emulator_IssuesOneWeekBearerToken(t *testing.T) {
	srv, p := emulator(t)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, "Bearer", tok.Type())
	assert.Equal(t, 604800*time.Second, tok.Expiry.Sub(tok.IssuedAt))
	assert.EqualValues(t, 1, srv.MXCHIP.Logins())
}

func TestToken_EmulatorTokenTTL_IsTheTokenLifetime(t *testing.T) {
	srv, p := emulator(t, iotauthtest.WithTokenTTL(90*time.Second))
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, tok.Expiry.Sub(tok.IssuedAt))

	srv.MXCHIP.SetTokenTTL(time.Hour)
	tok, err = p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, time.Hour, tok.Expiry.Sub(tok.IssuedAt))
}

func TestToken_WrongSecret_IsBadRequestWithoutTheSecret(t *testing.T) {
	srv, _ := emulator(t)
	p, err := New(Config{BaseURL: srv.URL, ClientID: iotauthtest.MXCHIPClientID, ClientSecret: "wrong-secret-123"})
	require.NoError(t, err)
	_, err = p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "10000", ie.Code)
	assert.Equal(t, http.StatusOK, ie.HTTPStatus)
	assert.Equal(t, "client_id or client_secret error", ie.Message)
	requireNoLeak(t, err, "wrong-secret-123", iotauthtest.MXCHIPClientID)
	assert.EqualValues(t, 0, srv.MXCHIP.Logins())
}

func TestToken_EmulatorFaults_AreTypedErrors(t *testing.T) {
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			srv, p := emulator(t)
			tc.inject(srv.MXCHIP)
			tok, err := p.Token(context.Background())
			tc.check(t, err, "token")
			assert.Nil(t, tok)
			requireNoLeak(t, err, iotauthtest.MXCHIPClientSecret)

			// The fault was for one call only.
			_, err = p.Token(context.Background())
			require.NoError(t, err)
			assert.EqualValues(t, 1, srv.MXCHIP.Logins())
		})
	}
}

func TestToken_EmulatorLatency_StopsAtTheContextDeadline(t *testing.T) {
	srv, p := emulator(t)
	tok, err := p.Token(slowed(t, srv.MXCHIP))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, tok)
	assert.EqualValues(t, 0, srv.MXCHIP.Logins())
}

// TestToken_EveryDocumentedCode_MapsToItsKind answers each documented
// meta.code through the emulator (HTTP 200, as the platform does): none is
// a credential failure, and an unknown code is transient.
func TestToken_EveryDocumentedCode_MapsToItsKind(t *testing.T) {
	want := map[string]error{
		"10000": iotauth.ErrBadRequest,
		"10050": iotauth.ErrServer,
		"10100": iotauth.ErrTokenRejected,
		"10101": iotauth.ErrTokenRejected,
		"10999": iotauth.ErrServer,
	}
	srv, p := emulator(t)
	documented := srv.MXCHIP.Errors()
	require.Len(t, want, len(documented)+1)
	for _, d := range append(documented, iotauthtest.DocumentedError{Code: "10999", Status: http.StatusOK}) {
		srv.MXCHIP.ErrorNext(1, d.Code)
		_, err := p.Token(context.Background())
		require.ErrorIs(t, err, want[d.Code], d.Code)
		assert.False(t, iotauth.IsCredentialFailure(err), d.Code)
		var ie *iotauth.Error
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, d.Code, ie.Code)
		assert.Equal(t, d.Status, ie.HTTPStatus)
	}
	for _, r := range errorTable {
		assert.NotEmpty(t, r.Doc, r.Code)
	}
}
