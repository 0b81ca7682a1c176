package cloudstudio

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

func TestAuthorize_HTTPAPI_SetsTheBearerHeader(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/api/v2/devices/7/data?a=1", nil)
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "tok-1"}))
	assert.Equal(t, "Bearer tok-1", req.Header.Get("Authorization"))
	assert.Equal(t, "a=1", req.URL.RawQuery)
	assert.Nil(t, req.Body)
}

func TestAuthorize_HTTPAPIWithQueryToken_SetsTheAccessTokenParameterOnly(t *testing.T) {
	cfg := testConfig("")
	cfg.QueryToken = true
	p, err := New(cfg)
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/api/v2/x?a=1&accessToken=stale", nil)
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "tok 1/+"}))
	assert.Empty(t, req.Header.Get("Authorization"))
	assert.Equal(t, url.Values{"a": {"1"}, "accessToken": {"tok 1/+"}}, req.URL.Query())
}

// TestAuthorize_ServiceCall_PutsTheTokenInTheJSONBody: the documented
// carrier of every /services/gear/*.svc/* call, whatever QueryToken says.
func TestAuthorize_ServiceCall_PutsTheTokenInTheJSONBody(t *testing.T) {
	for _, query := range []bool{false, true} {
		cfg := testConfig("")
		cfg.QueryToken = query
		p, err := New(cfg)
		require.NoError(t, err)
		body := `{"deviceID":23712,"latitude":40.40520000000001,"accessToken":"stale","AccessToken":"stale too"}`
		req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "tok-1"}))
		assert.Empty(t, req.Header.Get("Authorization"))
		assert.Empty(t, req.URL.RawQuery)
		got, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		assert.JSONEq(t, `{"deviceID":23712,"latitude":40.40520000000001,"accessToken":"tok-1"}`, string(got),
			"other members kept as sent, numbers unrounded, any old token replaced")
		assert.Equal(t, int64(len(got)), req.ContentLength)
		again, err := req.GetBody()
		require.NoError(t, err)
		replay, _ := io.ReadAll(again)
		assert.Equal(t, string(got), string(replay), "GetBody gives the rewritten body again")
	}
}

func TestAuthorize_ServiceCallWithoutBody_GetsOne_GETGetsTheQuery(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	post, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/services/gear/DashboardService.svc/GetDashboards", nil)
	require.NoError(t, p.Authorize(post, &iotauth.Token{AccessToken: "tok-1"}))
	got, _ := io.ReadAll(post.Body)
	assert.JSONEq(t, `{"accessToken":"tok-1"}`, string(got))
	assert.Equal(t, "application/json", post.Header.Get("Content-Type"))

	get, _ := http.NewRequest(http.MethodGet, "https://gear.cloud.studio/services/gear/DashboardService.svc/GetDashboards", nil)
	require.NoError(t, p.Authorize(get, &iotauth.Token{AccessToken: "tok-1"}))
	assert.Equal(t, "tok-1", get.URL.Query().Get("accessToken"))
	assert.Empty(t, get.Header.Get("Authorization"))
}

func TestAuthorize_ServiceCallWithABodyThatCannotCarryTheToken_IsAnError(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	svc := "https://gear.cloud.studio/services/gear/DashboardService.svc/GetDashboards"
	for name, tc := range map[string]struct{ ct, body string }{
		"array":     {"application/json", `[1,2]`},
		"truncated": {"application/json", `{"a":`},
		"two":       {"application/json", `{} {}`},
		"form":      {"application/x-www-form-urlencoded", `a=1`},
	} {
		req, _ := http.NewRequest(http.MethodPost, svc, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ct)
		err := p.Authorize(req, &iotauth.Token{AccessToken: "tok-secret"})
		require.Error(t, err, name)
		assert.NotContains(t, err.Error(), "tok-secret", name)
	}
}

func TestAuthorize_NoToken_IsAnError(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/", nil)
	require.Error(t, p.Authorize(req, nil))
	require.Error(t, p.Authorize(req, &iotauth.Token{}))
}

func TestTokenRejected_RecognisesFault8001And401_AndKeepsTheBody(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	cases := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"500 with FaultCode 8001", 500, docException8001, true},
		{"500 with numeric FaultCode 8001", 500, `{"Exception":{"FaultCode":8001}}`, true},
		{"401", 401, ``, true},
		{"500 with another FaultCode", 500, `{"Exception":{"FaultCode":"9","Message":"x"}}`, false},
		{"500 without an Exception", 500, `{"Message":"The server encountered an error"}`, false},
		{"502 HTML page", 502, `<html>8001</html>`, false},
		{"200 with a result", 200, `{"GetDashboardsResult":[]}`, false},
		{"403", 403, `{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Body: io.NopCloser(strings.NewReader(tc.body))}
			assert.Equal(t, tc.want, p.TokenRejected(resp))
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(rest), "the caller still reads the whole body")
		})
	}
}

func TestTransport_EndToEnd_ServiceBodyAndHTTPAPIHeaderOrQuery(t *testing.T) {
	for _, query := range []bool{false, true} {
		t.Run(map[bool]string{false: "header", true: "query"}[query], func(t *testing.T) {
			srv := newServer(t)
			p := newProvider(t, srv, func(c *Config) { c.QueryToken = query })
			cache := iotauth.NewCache(p)
			defer cache.Close()
			client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
			status, body := dashboards(t, client, srv, nil)
			assert.Equal(t, http.StatusOK, status)
			assert.JSONEq(t, `{"GetDashboardsResult":[]}`, body)
			res, err := client.Get(srv.URL + "/api/v2/devices/7/data")
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, int64(0), srv.CloudStudio.Rejected())
			assert.Equal(t, int64(1), srv.CloudStudio.Logins())
		})
	}
}

func TestTransport_TokenDeletedElsewhere_IsReplacedAndTheRequestResent(t *testing.T) {
	srv := newServer(t)
	p := newProvider(t, srv, nil)
	cache := iotauth.NewCache(p)
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	status, _ := dashboards(t, client, srv, nil)
	require.Equal(t, http.StatusOK, status)

	srv.CloudStudio.RevokeAll() // an administrator deleted the token in the console
	status, body := dashboards(t, client, srv, nil)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, int64(1), srv.CloudStudio.Rejected(), "one rejection, then the resend succeeded")
	assert.Equal(t, int64(2), srv.CloudStudio.Logins())
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

func TestTransport_OtherHost_GetsNoToken(t *testing.T) {
	srv := newServer(t)
	var gotAuth, gotQuery string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotQuery = r.Header.Get("Authorization"), r.URL.Query().Get("accessToken")
	}))
	defer other.Close()
	p := newProvider(t, srv, nil)
	cache := iotauth.NewCache(p)
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	res, err := client.Get(other.URL)
	if err == nil {
		res.Body.Close()
	}
	assert.Empty(t, gotAuth)
	assert.Empty(t, gotQuery)
	assert.Equal(t, []string{srv.URL}, p.Describe().Origins)
}
