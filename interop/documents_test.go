package interop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

// raw sends one request exactly as written, with nothing from iotauth in
// between, and returns the status and the decoded JSON answer.
func raw(t *testing.T, method, u, contentType, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		req.Header[k] = vs // as written: app_key stays lower case
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return res.StatusCode, out
}

// TestOceanConnectDocument_ExampleRequests_AreAccepted replays the REST
// document's login example (form-urlencoded appId and secret) and a call
// carrying "app_key" and "Authorization: Bearer", written by hand from the
// document. The community client github.com/dualinventive/go-oceanconnect
// would be the independent client here, but the Go module proxy does not
// serve it (403 "not available").
func TestOceanConnectDocument_ExampleRequests_AreAccepted(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	form := url.Values{"appId": {iotauthtest.OceanConnectAppID}, "secret": {iotauthtest.OceanConnectSecret}}.Encode()
	status, tok := raw(t, http.MethodPost, srv.URL+"/iocm/app/sec/v1.1.0/login", "application/x-www-form-urlencoded", form, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "default", tok["scope"])
	access, _ := tok["accessToken"].(string)
	require.NotEmpty(t, access)

	status, _ = raw(t, http.MethodGet, srv.URL+"/iocm/app/dm/v1.4.0/devices", "", "",
		http.Header{"app_key": {iotauthtest.OceanConnectAppID}, "Authorization": {"Bearer " + access}})
	assert.Equal(t, http.StatusOK, status)

	status, body := raw(t, http.MethodPost, srv.URL+"/iocm/app/sec/v1.1.0/login", "application/x-www-form-urlencoded",
		url.Values{"appId": {iotauthtest.OceanConnectAppID}, "secret": {"wrong"}}.Encode(), nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "100208", body["error_code"])
}

// TestCloudStudioDocument_ExampleRequests_AreAccepted replays the
// persistent-token page's creation example and the "Report the Geographic
// Location of a Device" page's service call, token in the JSON body.
func TestCloudStudioDocument_ExampleRequests_AreAccepted(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	create := `{
"clientAccessToken": {
"Description": "Testing 10",
"ClientID": 79
},
"login": {
"LoginType": 1,
"Email": "` + iotauthtest.CloudStudioEmail + `",
"Password": "` + iotauthtest.CloudStudioPassword + `"
},
"expiration": 3600
}`
	status, out := raw(t, http.MethodPost, srv.URL+"/services/gear/AuthorizationService.svc/CreateClientAccessTokenAllIntegrations",
		"application/json", create, nil)
	require.Equal(t, http.StatusOK, status, out)
	result, _ := out["CreateClientAccessTokenAllIntegrationsResult"].(map[string]any)
	token, _ := result["AccessToken"].(string)
	require.NotEmpty(t, token)

	geo := `{
"accessToken": "` + token + `",
"deviceID": 1,
"latitude": 40.4052,
"longitude": -3.87699
}`
	status, out = raw(t, http.MethodPost, srv.URL+"/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation",
		"application/json", geo, nil)
	assert.Equal(t, http.StatusOK, status, out)

	del := `{"accessToken": "` + token + `", "clientAccessTokenID": ` + jsonNumber(result["ClientAccessTokenID"]) + `}`
	status, out = raw(t, http.MethodPost, srv.URL+"/services/gear/AuthorizationService.svc/DeleteClientAccessToken",
		"application/json", del, nil)
	assert.Equal(t, http.StatusOK, status, out)
	assert.Empty(t, out, "a successful deletion answers {}")
}

// TestMXCHIPDocument_ExampleRequests_AreAccepted replays the v3 token
// request (client_credentials) and a call with its Bearer token.
func TestMXCHIPDocument_ExampleRequests_AreAccepted(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {iotauthtest.MXCHIPClientID},
		"client_secret": {iotauthtest.MXCHIPClientSecret}}.Encode()
	status, out := raw(t, http.MethodPost, srv.URL+"/v3/open_api/token/", "application/x-www-form-urlencoded", form, nil)
	require.Equal(t, http.StatusOK, status)
	data, _ := out["data"].(map[string]any)
	tok, _ := data["access_token"].(string)
	require.NotEmpty(t, tok)
	assert.EqualValues(t, 604800, data["expires_in"])

	status, out = raw(t, http.MethodGet, srv.URL+"/v3/open_api/product/ids/", "", "", http.Header{"Authorization": {"Bearer " + tok}})
	assert.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 0, out["meta"].(map[string]any)["code"])
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
