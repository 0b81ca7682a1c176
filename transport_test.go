package iotauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// platform is a loopback server that accepts only its current token and
// records what it received.
type platform struct {
	*httptest.Server
	mu      sync.Mutex
	current string
	auth    []string
	bodies  []string
}

func newPlatform(t *testing.T) *platform {
	p := &platform{current: "tok-1"}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		p.bodies = append(p.bodies, string(b))
		ok := r.Header.Get("Authorization") == "Bearer "+p.current
		p.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid token"}`)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *platform) rotate(tok string) { p.mu.Lock(); p.current = tok; p.mu.Unlock() }

func (p *platform) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.auth...)
}

func TestTransport_AttachesBearerTokenWithoutModifyingTheRequest(t *testing.T) {
	p := newPlatform(t)
	c := iotauth.NewCache(&countingSource{life: time.Hour})
	client := &http.Client{Transport: iotauth.NewTransport(c, nil)}
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/x", nil)
	req.Header.Set("X-Caller", "1")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"Bearer tok-1"}, p.received())
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request was modified")
	assert.Len(t, req.Header, 1)
}

// appKeySource sets two headers, as OceanConnect wants.
type appKeySource struct{ countingSource }

func (s *appKeySource) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "appkey", Header: func(t *iotauth.Token) http.Header {
		return http.Header{"app_key": {"my-app"}, "Authorization": {"Bearer " + t.AccessToken}}
	}}
}

func TestTransport_UsesTheSourcesAuthorizerThroughTheCache(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	c := iotauth.NewCache(&appKeySource{countingSource{life: time.Hour}})
	resp, err := (&http.Client{Transport: iotauth.NewTransport(c, nil)}).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "my-app", got.Get("app_key"))
	assert.Equal(t, "Bearer tok-1", got.Get("Authorization"))
}

// boundSource declares the hosts that may receive its token.
type boundSource struct {
	countingSource
	hosts []string
}

func (s *boundSource) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "bound", Origins: s.hosts}
}

func TestTransport_HostBinding_CredentialsGoOnlyToDeclaredHosts(t *testing.T) {
	p := newPlatform(t)
	other := newPlatform(t)
	host := strings.TrimPrefix(p.URL, "http://")
	c := iotauth.NewCache(&boundSource{countingSource{life: time.Hour}, []string{host}})
	client := &http.Client{Transport: iotauth.NewTransport(c, nil)}
	for _, u := range []string{p.URL, other.URL} {
		resp, err := client.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, []string{"Bearer tok-1"}, p.received())
	assert.Equal(t, []string{""}, other.received(), "credentials leaked to an undeclared host")

	// WithHosts adds a host.
	client = &http.Client{Transport: iotauth.NewTransport(c, nil, iotauth.WithHosts(strings.TrimPrefix(other.URL, "http://")))}
	resp, err := client.Get(other.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{"", "Bearer tok-1"}, other.received())
}

func TestTransport_HostBinding_DefaultPortMatchesAHostWithoutPort(t *testing.T) {
	var seen atomic.Value
	tr := iotauth.NewTransport(iotauth.NewCache(&boundSource{countingSource{life: time.Hour}, []string{"api.example.com:443"}}),
		recordingBase(&seen))
	assertAuthorizations(t, tr, &seen, map[string]string{
		"https://api.example.com/x":      "Bearer tok-1",
		"https://API.example.com:443/x":  "Bearer tok-1",
		"http://api.example.com/x":       "",
		"https://api.example.com:8443/x": "",
		"https://api.example.com.evil/x": "",
	})
}

// assertAuthorizations sends a GET to each URL through tr and checks the
// Authorization header that reached the base transport (recorded in seen).
func assertAuthorizations(t *testing.T, tr http.RoundTripper, seen *atomic.Value, want map[string]string) {
	t.Helper()
	for u, w := range want {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, w, seen.Load(), u)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransport_NoDeclaredHosts_RedirectToAnotherHostGetsNoCredentials(t *testing.T) {
	other := newPlatform(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			_, _ = io.WriteString(w, r.Header.Get("Authorization"))
			return
		}
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/same", http.StatusFound)
	}))
	defer origin.Close()
	c := iotauth.NewCache(&countingSource{life: time.Hour})
	client := &http.Client{Transport: iotauth.NewTransport(c, nil)}

	resp, err := client.Get(origin.URL + "/away")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{""}, other.received(), "credentials followed a redirect to another host")

	resp, err = client.Get(origin.URL + "/here")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "Bearer tok-1", string(b), "a same-host redirect lost its credentials")
}

func TestTransport_RejectedToken_InvalidatesAndResendsOnceWithAFreshToken(t *testing.T) {
	p := newPlatform(t)
	src := &countingSource{life: time.Hour}
	c := iotauth.NewCache(src)
	client := &http.Client{Transport: iotauth.NewTransport(c, nil)}
	resp, err := client.Post(p.URL, "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	resp.Body.Close()

	p.rotate("tok-2") // the platform stops accepting tok-1
	resp, err = client.Post(p.URL, "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", string(b))
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, p.received())
	assert.Equal(t, []string{"payload", "payload", "payload"}, p.bodies, "the body was not replayed")
	assert.Equal(t, int64(2), src.calls.Load())
}

func TestTransport_RejectedTokenTwice_ReturnsTheSecondResponseWithoutLooping(t *testing.T) {
	p := newPlatform(t)
	p.rotate("never")
	c := iotauth.NewCache(&countingSource{life: time.Hour})
	resp, err := (&http.Client{Transport: iotauth.NewTransport(c, nil)}).Get(p.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Len(t, p.received(), 2)
}

// oneShotBody cannot be replayed and records that it was closed.
type oneShotBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *oneShotBody) Close() error { b.closed.Store(true); return nil }

func TestTransport_RejectedTokenWithUnreplayableBody_ReturnsResponseUnchanged(t *testing.T) {
	p := newPlatform(t)
	p.rotate("tok-2")
	c := iotauth.NewCache(&countingSource{life: time.Hour})
	body := &oneShotBody{Reader: strings.NewReader("once")}
	req, _ := http.NewRequest(http.MethodPost, p.URL, body)
	req.GetBody = nil
	resp, err := iotauth.NewTransport(c, nil).RoundTrip(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `{"error":"invalid token"}`, string(b), "the response body was consumed")
	assert.Len(t, p.received(), 1)
	assert.True(t, body.closed.Load(), "the request body was not closed")
	// The token was still invalidated: the next request gets a fresh one.
	resp, err = (&http.Client{Transport: iotauth.NewTransport(c, nil)}).Get(p.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestTransport_SourceFails_ReturnsTheErrorAndClosesTheBody(t *testing.T) {
	src := &countingSource{life: time.Hour}
	src.setErr(serverErr())
	body := &oneShotBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://127.0.0.1:1/", body)
	_, err := iotauth.NewTransport(iotauth.NewCache(src), nil).RoundTrip(req)
	assert.ErrorIs(t, err, iotauth.ErrServer)
	assert.True(t, body.closed.Load())
}

// bodyRejecter says a token was rejected when the body says so, like MXCHIP.
type bodyRejecter struct{ countingSource }

func (s *bodyRejecter) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "body", Rejected: s.rejected}
}

func (s *bodyRejecter) rejected(resp *http.Response) bool {
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return strings.Contains(string(b), `"code":10100`)
}

func TestTransport_ClassifierRecognisesARejectionInTheBody(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			_, _ = io.WriteString(w, `{"meta":{"message":"token is expired","code":10100},"data":{}}`)
			return
		}
		_, _ = io.WriteString(w, `{"meta":{"code":0},"data":"`+r.Header.Get("Authorization")+`"}`)
	}))
	defer srv.Close()
	c := iotauth.NewCache(&bodyRejecter{countingSource{life: time.Hour}})
	resp, err := (&http.Client{Transport: iotauth.NewTransport(c, nil)}).Get(srv.URL)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, `{"meta":{"code":0},"data":"Bearer tok-2"}`, string(b))
}

func TestTransport_1000ConcurrentRequestsAcrossARotation_NoFailureAndOneNewLogin(t *testing.T) {
	p := newPlatform(t)
	src := &countingSource{life: time.Hour}
	c := iotauth.NewCache(src)
	client := &http.Client{Transport: iotauth.NewTransport(c, nil)}
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	p.rotate("tok-2")
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 1000 {
		wg.Go(func() {
			resp, err := client.Get(p.URL)
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.Equal(t, int64(2), src.calls.Load())
}
