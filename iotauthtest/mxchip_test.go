package iotauthtest_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

// mxAnswer is an MXCHIP envelope as the emulator sends it.
type mxAnswer struct {
	Status int
	Meta   struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"meta"`
	Data json.RawMessage `json:"data"`
}

// mxCall sends a request with form parameters in the body (when form is
// not nil) and the bearer token (when not empty), and decodes the envelope.
func mxCall(t *testing.T, srv *iotauthtest.Server, method, path, token string, form url.Values) mxAnswer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, srv.URL+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var a mxAnswer
	require.NoError(t, json.NewDecoder(res.Body).Decode(&a))
	a.Status = res.StatusCode
	return a
}

// jsonKeys lists the keys of a JSON object, sorted, as a JSON array.
func jsonKeys(t *testing.T, obj json.RawMessage) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &m))
	keys := slices.Sorted(maps.Keys(m))
	b, err := json.Marshal(keys)
	require.NoError(t, err)
	return string(b)
}

func mxLogin(t *testing.T, srv *iotauthtest.Server) (token string, expiresIn int64) {
	t.Helper()
	a := mxCall(t, srv, http.MethodPost, "/v3/open_api/token/", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {iotauthtest.MXCHIPClientID},
		"client_secret": {iotauthtest.MXCHIPClientSecret},
	})
	require.Equal(t, 0, a.Meta.Code, a.Meta.Message)
	var d struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	require.NoError(t, json.Unmarshal(a.Data, &d))
	require.NotEmpty(t, d.AccessToken)
	require.Equal(t, "Bearer", d.TokenType)
	require.Equal(t, "read write groups", d.Scope)
	return d.AccessToken, d.ExpiresIn
}

func TestMXCHIP_Token_IssuesDocumentedEnvelopeWithOneWeekLifetime(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	_, life := mxLogin(t, srv)
	assert.EqualValues(t, 604800, life)
	assert.EqualValues(t, 1, srv.MXCHIP.Logins())
}

func TestMXCHIP_TokenTTL_FromServerOptionAndSetTokenTTL(t *testing.T) {
	srv := iotauthtest.NewServer(iotauthtest.WithTokenTTL(2 * time.Minute))
	defer srv.Close()
	_, life := mxLogin(t, srv)
	assert.EqualValues(t, 120, life)
	srv.MXCHIP.SetTokenTTL(30 * time.Second)
	_, life = mxLogin(t, srv)
	assert.EqualValues(t, 30, life)
}

func TestMXCHIP_TokenBadParams_Answer10000WithHTTP200(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	for name, form := range map[string]url.Values{
		"wrong grant":  {"grant_type": {"password"}, "client_id": {iotauthtest.MXCHIPClientID}, "client_secret": {iotauthtest.MXCHIPClientSecret}},
		"no secret":    {"grant_type": {"client_credentials"}, "client_id": {iotauthtest.MXCHIPClientID}},
		"wrong secret": {"grant_type": {"client_credentials"}, "client_id": {iotauthtest.MXCHIPClientID}, "client_secret": {"nope"}},
	} {
		a := mxCall(t, srv, http.MethodPost, "/v3/open_api/token/", "", form)
		assert.Equal(t, http.StatusOK, a.Status, name)
		assert.Equal(t, 10000, a.Meta.Code, name)
	}
	assert.EqualValues(t, 0, srv.MXCHIP.Logins())
}

func TestMXCHIP_SeveralTokens_AreValidAtOnce(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	first, _ := mxLogin(t, srv)
	second, _ := mxLogin(t, srv)
	require.NotEqual(t, first, second)
	for _, tok := range []string{first, second} {
		a := mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
		assert.Equal(t, 0, a.Meta.Code)
	}
	assert.EqualValues(t, 0, srv.MXCHIP.Rejected())
}

func TestMXCHIP_TokenPastTTL_Answers10100WithHTTP200(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := iotauthtest.NewServer(iotauthtest.WithClock(clk))
	defer srv.Close()
	tok, life := mxLogin(t, srv)

	clk.Advance(time.Duration(life-1) * time.Second)
	assert.Equal(t, 0, mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil).Meta.Code)

	clk.Advance(time.Second)
	a := mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, 10100, a.Meta.Code)
	assert.Equal(t, "token is expired", a.Meta.Message)
	assert.JSONEq(t, `{}`, string(a.Data))
	assert.EqualValues(t, 1, srv.MXCHIP.Rejected())
}

func TestMXCHIP_ExpireTokensAndRevokeTokens_Answer10100And10101(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tok, _ := mxLogin(t, srv)
	srv.MXCHIP.ExpireTokens()
	assert.Equal(t, 10100, mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil).Meta.Code)
	srv.MXCHIP.RevokeTokens()
	assert.Equal(t, 10101, mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil).Meta.Code)
	fresh, _ := mxLogin(t, srv)
	assert.Equal(t, 0, mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", fresh, nil).Meta.Code)
}

func TestMXCHIP_GarbageOrMissingToken_Answers10101WithHTTP200(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	for _, tok := range []string{"garbage", ""} {
		a := mxCall(t, srv, http.MethodPost, "/v3/open_api/mqtt/client/", tok, url.Values{"app_id": {iotauthtest.MXCHIPAppID}})
		assert.Equal(t, http.StatusOK, a.Status)
		assert.Equal(t, 10101, a.Meta.Code)
		assert.Equal(t, "token is error", a.Meta.Message)
	}
	assert.EqualValues(t, 2, srv.MXCHIP.Rejected())
	assert.Empty(t, srv.MXCHIP.Clients())
}

func TestMXCHIP_MQTTClientAndPermissions_KeepState(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tok, _ := mxLogin(t, srv)

	a := mxCall(t, srv, http.MethodPost, "/v3/open_api/mqtt/client/", tok, url.Values{"app_id": {iotauthtest.MXCHIPAppID}})
	require.Equal(t, 0, a.Meta.Code)
	assert.Equal(t, "mqtt info", a.Meta.Message)
	var c iotauthtest.MXCHIPClient
	require.NoError(t, json.Unmarshal(a.Data, &c))
	assert.JSONEq(t, `["clientid","endpoint","loginname","mqtthost","mqttport","password","sslport"]`, jsonKeys(t, a.Data))
	assert.Equal(t, 1883, c.MQTTPort)
	assert.Equal(t, 1884, c.SSLPort)
	assert.NotEmpty(t, c.LoginName)
	assert.NotEmpty(t, c.Password)
	assert.True(t, strings.HasPrefix(c.MQTTHost, c.Endpoint))

	perm := url.Values{"client_id": {c.ClientID}, "device_id": {"dev-1"}}
	a = mxCall(t, srv, http.MethodPost, "/v3/open_api/mqtt/permission/", tok, perm)
	require.Equal(t, 0, a.Meta.Code)
	assert.JSONEq(t, `{"client_id":"`+c.ClientID+`","device_id":"dev-1"}`, string(a.Data))
	assert.True(t, srv.MXCHIP.HasPermission(c.ClientID, "dev-1"))

	// DELETE takes its parameters from the query as well as the body.
	a = mxCall(t, srv, http.MethodDelete, "/v3/open_api/mqtt/permission/?"+perm.Encode(), tok, nil)
	require.Equal(t, 0, a.Meta.Code)
	assert.Equal(t, "delete permission ok", a.Meta.Message)
	assert.False(t, srv.MXCHIP.HasPermission(c.ClientID, "dev-1"))

	a = mxCall(t, srv, http.MethodDelete, "/v3/open_api/mqtt/permission/", tok, perm)
	assert.Equal(t, 10000, a.Meta.Code, "nothing left to delete")
	assert.Equal(t, "permission not found", a.Meta.Message)
}

func TestMXCHIP_BadParams_Answer10000WithHTTP200(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tok, _ := mxLogin(t, srv)
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodPost, "/v3/open_api/mqtt/client/", url.Values{}},
		{http.MethodPost, "/v3/open_api/mqtt/client/", url.Values{"app_id": {"unknown"}}},
		{http.MethodPost, "/v3/open_api/mqtt/permission/", url.Values{"client_id": {"x"}}},
		{http.MethodPost, "/v3/open_api/mqtt/permission/", url.Values{"client_id": {"unknown"}, "device_id": {"d"}}},
		{http.MethodDelete, "/v3/open_api/mqtt/permission/", url.Values{"device_id": {"d"}}},
	} {
		a := mxCall(t, srv, tc.method, tc.path, tok, tc.form)
		assert.Equal(t, http.StatusOK, a.Status, tc)
		assert.Equal(t, 10000, a.Meta.Code, tc)
	}
}

func TestMXCHIP_ProductIDs_ListsSeededThenSetProducts(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tok, _ := mxLogin(t, srv)
	a := mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.Equal(t, "product id list", a.Meta.Message)
	assert.JSONEq(t, `[{"productid":"f164aaf856f011e8a0a800163e0e2e98","pname":"test101702"},
		{"productid":"b67741acb2f011e8a0a800163e0e2e98","pname":"test101701"}]`, string(a.Data))

	srv.MXCHIP.SetProducts()
	a = mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.JSONEq(t, `[]`, string(a.Data))
}

func TestMXCHIP_InjectedFailures_UseTheInternalErrorBody(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tok, _ := mxLogin(t, srv)

	srv.MXCHIP.ErrorNext(1, "10050")
	a := mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, 10050, a.Meta.Code)
	assert.Equal(t, "内部错误", a.Meta.Message)

	srv.MXCHIP.FailNext(1, http.StatusBadGateway)
	a = mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.Equal(t, http.StatusBadGateway, a.Status)
	assert.Equal(t, 10050, a.Meta.Code)

	a = mxCall(t, srv, http.MethodGet, "/v3/open_api/product/ids/", tok, nil)
	assert.Equal(t, 0, a.Meta.Code, "each fault was for one call")
	assert.EqualValues(t, 4, srv.MXCHIP.Requests())
}

func TestMXCHIP_FormBodyOfAnotherType_Answers10000(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v3/open_api/token/", strings.NewReader(`{"grant_type":"client_credentials"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var a mxAnswer
	require.NoError(t, json.NewDecoder(res.Body).Decode(&a))
	assert.Equal(t, 10000, a.Meta.Code)
}
