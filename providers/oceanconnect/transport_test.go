package oceanconnect_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

const devicesPath = "/iocm/app/dm/v1.4.0/devices"

// authorizedClient returns an http.Client that authorizes through a Cache
// over p, and the Cache.
func authorizedClient(srv *iotauthtest.Server, src iotauth.TokenSource) (*http.Client, *iotauth.Cache) {
	cache := iotauth.NewCache(src)
	return &http.Client{Transport: iotauth.NewTransport(cache, srv.Client().Transport)}, cache
}

func getDevices(t *testing.T, c *http.Client, srv *iotauthtest.Server) (int, string) {
	t.Helper()
	resp, err := c.Get(srv.URL + devicesPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestTransport_ThousandConcurrentRequests_OneLoginNoFailure(t *testing.T) {
	srv, p := emulated(t)
	client, _ := authorizedClient(srv, p)
	const n = 1000
	var failures atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := client.Get(srv.URL + devicesPath)
			if err != nil {
				failures.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())
	assert.Zero(t, srv.OceanConnect.Refreshes())
	assert.Zero(t, srv.OceanConnect.Rejected())
}

func TestTransport_TokenInvalidatedByAnotherLogin_IsRenewedAndResent(t *testing.T) {
	srv, p := emulated(t)
	client, _ := authorizedClient(srv, p)
	status, body := getDevices(t, client, srv)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"totalCount":0,"devices":[]}`, body)

	// Another process logs in with the same application.
	_, err := newProvider(t, srv.URL, iotauthtest.OceanConnectSecret).Token(t.Context())
	require.NoError(t, err)

	status, _ = getDevices(t, client, srv)
	assert.Equal(t, http.StatusOK, status, "the 403/1010005 is classified as a rejection and the request resent")
	assert.EqualValues(t, 1, srv.OceanConnect.Rejected())
}

func TestTransport_TokenExpiredOnTheEmulatorClock_IsRenewed(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv, p := emulated(t, iotauthtest.WithClock(clk))
	client, _ := authorizedClient(srv, p)
	status, _ := getDevices(t, client, srv)
	require.Equal(t, http.StatusOK, status)
	clk.Advance(2 * time.Hour)
	status, _ = getDevices(t, client, srv)
	assert.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 1, srv.OceanConnect.Rejected())
	assert.EqualValues(t, 2, srv.OceanConnect.Logins()+srv.OceanConnect.Refreshes())
}

func TestTransport_RequestBody_IsResentAfterRejection(t *testing.T) {
	srv, p := emulated(t)
	client, _ := authorizedClient(srv, p)
	status, _ := getDevices(t, client, srv)
	require.Equal(t, http.StatusOK, status)
	srv.OceanConnect.Revoke()
	req, err := http.NewRequest(http.MethodGet, srv.URL+devicesPath, strings.NewReader(""))
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestTokenRejected_ClassifiesPlatformAnswers(t *testing.T) {
	p := newProvider(t, "https://iot.example.com:8743", "s")
	cases := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"401", 401, `{"error_code":"102202"}`, true},
		{"401 without body", 401, ``, true},
		{"403 invalid access token", 403, `{"error_code":"1010005","error_desc":"Invalid access token."}`, true},
		{"403 numeric code", 403, `{"error_code":1010005}`, true},
		{"403 other code", 403, `{"error_code":"100217"}`, false},
		{"403 html", 403, `<html>Forbidden</html>`, false},
		{"200", 200, `{"error_code":"1010005"}`, false},
		{"500", 500, `{"error_code":"50252"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: c.status, Body: io.NopCloser(strings.NewReader(c.body))}
			assert.Equal(t, c.want, p.TokenRejected(resp))
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, c.body, string(rest), "the body is left for the caller")
		})
	}
}

func TestClose_LogsOutTheLastTokenOnThePlatform(t *testing.T) {
	srv, p := emulated(t)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	require.NoError(t, p.Close())
	assert.EqualValues(t, 1, srv.OceanConnect.Logouts())
	assert.False(t, srv.OceanConnect.ValidToken(tok.AccessToken))
}

func TestClose_ThroughTheCache_LogsOut(t *testing.T) {
	srv, p := emulated(t)
	client, cache := authorizedClient(srv, p)
	status, _ := getDevices(t, client, srv)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, cache.Close())
	assert.EqualValues(t, 1, srv.OceanConnect.Logouts())
}

func TestClose_PlatformFailure_IsReturnedWithoutTheToken(t *testing.T) {
	srv, p := emulated(t)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	srv.OceanConnect.FailNext(1, http.StatusInternalServerError)
	err = p.Close()
	e := requireKind(t, err, iotauth.ErrServer, tok.AccessToken, tok.RefreshToken)
	assert.Equal(t, "logout", e.Op)
}
