package iotauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/mxchip"
)

// mxchipCache is a Cache over an MXCHIP provider pointed at the emulator.
func mxchipCache(t *testing.T, srv *iotauthtest.Server) *iotauth.Cache {
	t.Helper()
	p, err := mxchip.New(mxchip.Config{BaseURL: srv.URL, ClientID: iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret})
	require.NoError(t, err)
	c := iotauth.NewCache(p)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// getProducts lists MXCHIP products with hc and returns the envelope's code.
func getProducts(t *testing.T, hc *http.Client, base string) int {
	t.Helper()
	resp, err := hc.Get(base + "/v3/open_api/product/ids/")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var env struct {
		Meta struct {
			Code int `json:"code"`
		} `json:"meta"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	return env.Meta.Code
}

func TestOAuth2_NewClient_ManyRequestsOneLoginAtTheEmulator(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	cache := mxchipCache(t, srv)

	hc := oauth2.NewClient(context.Background(), iotauth.OAuth2(cache))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { assert.Equal(t, 0, getProducts(t, hc, srv.URL)) })
	}
	wg.Wait()
	assert.EqualValues(t, 1, srv.MXCHIP.Logins(), "one login for all requests")
	assert.Zero(t, srv.MXCHIP.Rejected())
	assert.EqualValues(t, 1, cache.Stats().Logins)
}

func TestOAuth2_Transport_CarriesTypeAndExpiry(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	cache := mxchipCache(t, srv)

	ts := iotauth.OAuth2(cache)
	tok, err := ts.Token()
	require.NoError(t, err)
	want, err := cache.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want.AccessToken, tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, want.Expiry, tok.Expiry)
	assert.Empty(t, tok.RefreshToken, "refreshing is the source's job, not oauth2's")
	assert.True(t, tok.Valid())

	hc := &http.Client{Transport: &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: http.DefaultTransport}}
	assert.Equal(t, 0, getProducts(t, hc, srv.URL))
	assert.EqualValues(t, 1, srv.MXCHIP.Logins())
}

func TestOAuth2_RefusedCredentials_PlatformErrorThroughTheHTTPClient(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p, err := mxchip.New(mxchip.Config{BaseURL: srv.URL, ClientID: iotauthtest.MXCHIPClientID, ClientSecret: "wrong"})
	require.NoError(t, err)
	hc := oauth2.NewClient(context.Background(), iotauth.OAuth2(iotauth.NewCache(p)))

	_, err = hc.Get(srv.URL + "/v3/open_api/product/ids/")
	require.Error(t, err)
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie, "the source's own error, for errors.Is and errors.As")
	assert.Equal(t, "mxchip", ie.Platform)
	assert.Equal(t, "10000", ie.Code)
	assert.NotContains(t, err.Error(), "wrong")
}

func TestOAuth2_NilOrEmptySource_ErrorNotPanic(t *testing.T) {
	_, err := iotauth.OAuth2(nil).Token()
	assert.ErrorContains(t, err, "nil TokenSource")

	empty := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return &iotauth.Token{}, nil })
	_, err = iotauth.OAuth2(empty).Token()
	assert.ErrorIs(t, err, iotauth.ErrMalformedResponse)

	_, err = iotauth.FromOAuth2(nil).Token(context.Background())
	assert.ErrorContains(t, err, "nil TokenSource")

	none := oauth2.TokenSource(tokenSourceFunc(func() (*oauth2.Token, error) { return nil, nil }))
	_, err = iotauth.FromOAuth2(none).Token(context.Background())
	assert.ErrorIs(t, err, iotauth.ErrMalformedResponse)
}

func TestOAuth2_SourceContext_HasTheDocumentedDeadline(t *testing.T) {
	var left time.Duration
	src := iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
		d, ok := ctx.Deadline()
		require.True(t, ok)
		left = time.Until(d)
		return &iotauth.Token{AccessToken: "a"}, nil
	})
	_, err := iotauth.OAuth2(src).Token()
	require.NoError(t, err)
	assert.Greater(t, left, iotauth.OAuth2Timeout-time.Minute/2)
	assert.LessOrEqual(t, left, iotauth.OAuth2Timeout)
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

func TestOAuth2_RoundTrip_ReturnsTheOriginal(t *testing.T) {
	var ts oauth2.TokenSource = tokenSourceFunc(func() (*oauth2.Token, error) { return nil, nil })
	back := iotauth.OAuth2(iotauth.FromOAuth2(ts))
	assert.Equal(t, fmt.Sprintf("%p", ts), fmt.Sprintf("%p", back))

	src := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return nil, nil })
	again := iotauth.FromOAuth2(iotauth.OAuth2(src))
	assert.Equal(t, fmt.Sprintf("%p", src), fmt.Sprintf("%p", again))
}

// oauthServer is an OAuth2 token endpoint (client credentials grant) and an
// API that accepts the tokens it issued.
type oauthServer struct {
	*httptest.Server
	issued atomic.Int64
	fail   atomic.Value // string: the next answer's error code, "" for none
}

func newOAuthServer(t *testing.T) *oauthServer {
	s := &oauthServer{}
	s.fail.Store("")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if code := s.fail.Load().(string); code != "" || id != "app" || secret != "s3cret" {
			if code == "" {
				code = "invalid_client"
			}
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":%q,"error_description":"client authentication failed","echo":"s3cret"}`, code)
			return
		}
		n := s.issued.Add(1)
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"bearer","expires_in":3600}`, n)
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != fmt.Sprintf("Bearer at-%d", s.issued.Load()) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *oauthServer) config(secret string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: "app", ClientSecret: secret, TokenURL: s.URL + "/token"}
}

func TestFromOAuth2_CacheAndTransport_OneTokenRequestManyCalls(t *testing.T) {
	s := newOAuthServer(t)
	src := iotauth.FromOAuth2(s.config("s3cret").TokenSource(context.Background()))
	cache := iotauth.NewCache(src)
	defer cache.Close()
	assert.Equal(t, "oauth2", cache.Describe().Name)

	hc := &http.Client{Transport: iotauth.NewTransport(cache, nil, iotauth.WithHosts(s.Listener.Addr().String()))}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			resp, err := hc.Get(s.URL + "/api")
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, s.issued.Load(), "one token request for every call")

	tok, err := cache.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.Type())
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
}

func TestFromOAuth2_RetrieveError_TypedWithoutTheBody(t *testing.T) {
	s := newOAuthServer(t)
	_, err := iotauth.FromOAuth2(s.config("wrong").TokenSource(context.Background())).Token(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	assert.True(t, iotauth.IsCredentialFailure(err), "a Cache latches it")
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, http.StatusUnauthorized, ie.HTTPStatus)
	assert.Equal(t, "invalid_client", ie.Code)
	assert.Equal(t, "client authentication failed", ie.Message)
	assert.NotContains(t, err.Error(), "s3cret", "the answer's body is not repeated")
	assert.NotContains(t, err.Error(), "wrong")

	for code, kind := range map[string]error{
		"temporarily_unavailable": iotauth.ErrInvalidCredentials, // HTTP 401 wins
		"invalid_grant":           iotauth.ErrInvalidCredentials,
	} {
		s.fail.Store(code)
		_, err := iotauth.FromOAuth2(s.config("s3cret").TokenSource(context.Background())).Token(context.Background())
		assert.ErrorIs(t, err, kind, code)
	}
}

func TestFromOAuth2_ErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   error
	}{
		{http.StatusBadRequest, "invalid_grant", iotauth.ErrInvalidCredentials},
		{http.StatusBadRequest, "invalid_scope", iotauth.ErrBadRequest},
		{http.StatusForbidden, "", iotauth.ErrForbidden},
		{http.StatusTooManyRequests, "", iotauth.ErrRateLimited},
		{http.StatusServiceUnavailable, "", iotauth.ErrServer},
		{http.StatusBadRequest, "temporarily_unavailable", iotauth.ErrServer},
	} {
		re := &oauth2.RetrieveError{Response: &http.Response{StatusCode: tc.status}, ErrorCode: tc.code}
		src := iotauth.FromOAuth2(tokenSourceFunc(func() (*oauth2.Token, error) { return nil, re }))
		_, err := src.Token(context.Background())
		assert.ErrorIs(t, err, tc.want, "%d %s", tc.status, tc.code)
	}
	network := errors.New("dial tcp: connection refused")
	_, err := iotauth.FromOAuth2(tokenSourceFunc(func() (*oauth2.Token, error) { return nil, network })).Token(context.Background())
	assert.ErrorIs(t, err, iotauth.ErrServer)
	assert.ErrorIs(t, err, network)
	assert.True(t, iotauth.IsRetryable(err))
}

func TestFromOAuth2_ContextDone_ReturnsWithoutWaitingForTheSource(t *testing.T) {
	release := make(chan struct{})
	returned := make(chan struct{})
	src := iotauth.FromOAuth2(tokenSourceFunc(func() (*oauth2.Token, error) {
		<-release
		defer close(returned)
		return &oauth2.Token{AccessToken: "late"}, nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := src.Token(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	close(release)
	<-returned
}
