package mxchip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/iotauthtest"
)

// docToken is the token answer of the platform document.
const docToken = `{"meta":{"message":"token info","code":0},"data":{"access_token":"2cwO2K4FVynCWmG..","token_type":"Bearer","expires_in":604800,"scope":"read write groups"}}`

// emulator starts the platform emulator and returns it with a Provider for
// its test account.
func emulator(t *testing.T, opts ...iotauthtest.Option) (*iotauthtest.Server, *Provider) {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	p, err := New(Config{
		BaseURL:      srv.URL,
		ClientID:     iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret,
		HTTPClient:   srv.Client(),
	})
	require.NoError(t, err)
	return srv, p
}

// cachedClient starts the emulator and returns it with a Client whose
// tokens come from an iotauth.Cache of the test account's Provider.
func cachedClient(t *testing.T, opts ...iotauthtest.Option) (*iotauthtest.Server, *Client) {
	t.Helper()
	srv, p := emulator(t, opts...)
	return srv, p.NewClient(iotauth.NewCache(p))
}

// loggedInClient is cachedClient after a first call, so that the Cache holds
// a token and a fault injected next hits an API call, not the login. The
// idle connection is closed: net/http resends an idempotent request once
// when a reused connection is reset.
func loggedInClient(t *testing.T) (*iotauthtest.Server, *Client) {
	t.Helper()
	srv, c := cachedClient(t)
	_, err := c.ProductIDs(context.Background())
	require.NoError(t, err)
	srv.Client().CloseIdleConnections()
	return srv, c
}

// sent is a request a mock received, with its body read.
type sent struct {
	*http.Request
	body string
}

// mock is a Provider on the default base URL whose calls are answered by
// answer (status, JSON body) and recorded.
type mock struct {
	p    *Provider
	mu   sync.Mutex
	reqs []sent
}

func newMock(t *testing.T, answer func(r *http.Request) (int, string)) *mock {
	t.Helper()
	m := &mock{}
	mt := stubhttp.New()
	mt.Fallback(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		m.mu.Lock()
		m.reqs = append(m.reqs, sent{r, string(body)})
		m.mu.Unlock()
		status, b := answer(r)
		res := stubhttp.StringResponse(status, b)
		res.Header.Set("Content-Type", "application/json")
		return res, nil
	})
	p, err := New(Config{ClientID: "ak-id", ClientSecret: "ak-secret-value", HTTPClient: &http.Client{Transport: mt}})
	require.NoError(t, err)
	m.p = p
	return m
}

// answer returns a fixed answer.
func answer(status int, body string) func(*http.Request) (int, string) {
	return func(*http.Request) (int, string) { return status, body }
}

func (m *mock) requests() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sent(nil), m.reqs...)
}

// staticToken is a TokenSource that always returns the same access token.
func staticToken(access string) iotauth.TokenSource {
	return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		return &iotauth.Token{AccessToken: access, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
	})
}

// requireNoLeak asserts that err, however formatted, holds none of secrets.
func requireNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(f, err)
		for _, s := range secrets {
			require.NotContains(t, out, s, "format %s", f)
		}
	}
	// The *iotauth.Error's fields, printed one by one, too.
	var ie *iotauth.Error
	if errors.As(err, &ie) {
		out := fmt.Sprintf("%+v", *ie)
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
}

// fault is an emulator fault and the error a call it hits must return.
type fault struct {
	name   string
	inject func(e *iotauthtest.MXCHIP)
	kind   error
	status int
	code   string
}

// faults are the failures of the platform or the network every call must
// turn into a typed error.
var faults = []fault{
	{"5xx with the internal error body", func(e *iotauthtest.MXCHIP) { e.FailNext(1, http.StatusServiceUnavailable) }, iotauth.ErrServer, 503, "10050"},
	{"connection reset", func(e *iotauthtest.MXCHIP) { e.ResetNext(1) }, iotauth.ErrServer, 0, ""},
	{"malformed JSON", func(e *iotauthtest.MXCHIP) { e.MalformedNext(1) }, iotauth.ErrMalformedResponse, 200, ""},
	{"HTML error page", func(e *iotauthtest.MXCHIP) { e.HTMLNext(1) }, iotauth.ErrServer, 502, ""},
	{"body over 10 MiB", func(e *iotauthtest.MXCHIP) { e.HugeNext(1) }, iotauth.ErrMalformedResponse, 200, ""},
}

// check asserts that err, returned by the call op, is the fault's error.
func (f fault) check(t *testing.T, err error, op string) {
	t.Helper()
	require.ErrorIs(t, err, f.kind)
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, platform, ie.Platform)
	assert.Equal(t, op, ie.Op)
	assert.Equal(t, f.status, ie.HTTPStatus)
	assert.Equal(t, f.code, ie.Code)
}

// slowed makes every answer of e wait an hour and returns a context that
// gives up long before.
func slowed(t *testing.T, e *iotauthtest.MXCHIP) context.Context {
	e.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}
