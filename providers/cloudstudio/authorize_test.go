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

func TestAuthorize_Default_SetsTheBearerHeader(t *testing.T) {
	p, err := New(testConfig(""))
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/services/x?a=1", nil)
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "tok-1"}))
	assert.Equal(t, "Bearer tok-1", req.Header.Get("Authorization"))
	assert.Equal(t, "a=1", req.URL.RawQuery)
}

func TestAuthorize_QueryToken_SetsTheAccessTokenParameterOnly(t *testing.T) {
	cfg := testConfig("")
	cfg.QueryToken = true
	p, err := New(cfg)
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, "https://gear.cloud.studio/services/x?a=1&accessToken=stale", nil)
	require.NoError(t, p.Authorize(req, &iotauth.Token{AccessToken: "tok 1/+"}))
	assert.Empty(t, req.Header.Get("Authorization"))
	assert.Equal(t, url.Values{"a": {"1"}, "accessToken": {"tok 1/+"}}, req.URL.Query())
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

func TestTransport_EndToEnd_HeaderAndQueryForms(t *testing.T) {
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
			assert.Equal(t, int64(0), srv.CloudStudio.Rejected())
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
	assert.Equal(t, []string{strings.TrimPrefix(srv.URL, "http://")}, p.Hosts())
}
