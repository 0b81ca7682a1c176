package oceanconnect_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

const mockBase = "https://iot.example.com:8743"

const tokenJSON = `{"scope":"default","tokenType":"Bearer ","expiresIn":"3600","accessToken":"at-1","refreshToken":"rt-1"}`

// mocked returns a provider whose calls go to a stub transport.
func mocked(t *testing.T) (*oceanconnect.Provider, *stubhttp.Transport) {
	t.Helper()
	mt := stubhttp.New()
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: mockBase, AppID: "app-1", Secret: "secret-1",
		HTTPClient: &http.Client{Transport: mt},
	})
	require.NoError(t, err)
	return p, mt
}

// capture answers with status and body and records the request and its body.
func capture(status int, body string, got **http.Request, gotBody *[]byte) stubhttp.Responder {
	return func(r *http.Request) (*http.Response, error) {
		*got = r
		*gotBody, _ = io.ReadAll(r.Body)
		resp := stubhttp.StringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	}
}

func TestLogin_SendsFormWithAppIDAndSecret(t *testing.T) {
	p, mt := mocked(t)
	var req *http.Request
	var body []byte
	mt.Register(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/login", capture(200, tokenJSON, &req, &body))

	_, err := p.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "application/x-www-form-urlencoded", req.Header.Get("Content-Type"))
	form, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"appId": {"app-1"}, "secret": {"secret-1"}}, form)
	assert.Empty(t, req.URL.RawQuery, "the secret travels in the body, not the URL")
	assert.Empty(t, req.Header.Get("Authorization"))
}

func TestRefresh_SendsJSONWithAppIDSecretAndRefreshToken(t *testing.T) {
	p, mt := mocked(t)
	var req *http.Request
	var body []byte
	mt.Register(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/refreshToken", capture(200, tokenJSON, &req, &body))

	_, err := p.Refresh(t.Context(), &iotauth.Token{AccessToken: "old", RefreshToken: "rt-0"})
	require.NoError(t, err)
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	var got map[string]string
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, map[string]string{"appId": "app-1", "secret": "secret-1", "refreshToken": "rt-0"}, got,
		"the plain secret is sent, not [REDACTED]")
}

func TestRefresh_WithoutRefreshToken_LogsIn(t *testing.T) {
	p, mt := mocked(t)
	mt.Register(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/login", stubhttp.StringResponder(200, tokenJSON))
	tok, err := p.Refresh(t.Context(), &iotauth.Token{AccessToken: "old"})
	require.NoError(t, err)
	assert.Equal(t, "at-1", tok.AccessToken)
	assert.Equal(t, 1, mt.Calls(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/login"))
	assert.Zero(t, mt.Calls(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/refreshToken"))
}

func TestClose_SendsLogoutWithTheLastAccessToken(t *testing.T) {
	p, mt := mocked(t)
	mt.Register(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/login", stubhttp.StringResponder(200, tokenJSON))
	var req *http.Request
	var body []byte
	mt.Register(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/logout", capture(204, "", &req, &body))

	_, err := p.Token(t.Context())
	require.NoError(t, err)
	require.NoError(t, p.Close())
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"accessToken":"at-1"}`, string(body))

	require.NoError(t, p.Close(), "a second Close has nothing to log out")
	assert.Equal(t, 1, mt.Calls(http.MethodPost, mockBase+"/iocm/app/sec/v1.1.0/logout"))
}

func TestClose_BeforeAnyLogin_SendsNothing(t *testing.T) {
	p, mt := mocked(t)
	require.NoError(t, p.Close())
	assert.Zero(t, mt.TotalCalls())
}

func TestAuthorize_SetsAppKeyAndBearerHeaders(t *testing.T) {
	p, _ := mocked(t)
	req, err := http.NewRequest(http.MethodGet, mockBase+"/iocm/app/dm/v1.4.0/devices", nil)
	require.NoError(t, err)
	req.Header.Set("App_key", "stale")
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "at-1", TokenType: "Bearer "}))
	//lint:ignore SA1008 app_key is sent spelled as the platform documents it, not canonicalized
	assert.Equal(t, []string{"app-1"}, req.Header["app_key"], "sent spelled as documented")
	assert.Empty(t, req.Header.Values("App_key"), "the stale value was not replaced")
	assert.Equal(t, "Bearer at-1", req.Header.Get("Authorization"), "the trailing space of the type is dropped")

	assert.Error(t, p.Authorize(req, nil))
	assert.Error(t, p.Authorize(req, &iotauth.Token{}))
}

func TestAuthorize_HeadersReachTheServer(t *testing.T) {
	p, mt := mocked(t)
	var got *http.Request
	mt.Register(http.MethodGet, mockBase+"/iocm/app/dm/v1.4.0/devices",
		func(r *http.Request) (*http.Response, error) {
			got = r
			return stubhttp.StringResponse(200, `{}`), nil
		})
	req, err := http.NewRequest(http.MethodGet, mockBase+"/iocm/app/dm/v1.4.0/devices", nil)
	require.NoError(t, err)
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "at-1"}))
	resp, err := (&http.Client{Transport: mt}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	//lint:ignore SA1008 app_key is sent spelled as the platform documents it, not canonicalized
	assert.Equal(t, []string{"app-1"}, got.Header["app_key"])
	assert.Equal(t, "Bearer at-1", got.Header.Get("Authorization"))
}
