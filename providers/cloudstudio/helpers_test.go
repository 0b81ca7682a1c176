package cloudstudio

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/iotauthtest"
)

// newServer starts the emulators for one test.
func newServer(t *testing.T, opts ...iotauthtest.Option) *iotauthtest.Server {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a valid configuration for the emulated account.
func testConfig(baseURL string) Config {
	return Config{
		BaseURL:     baseURL,
		Email:       iotauthtest.CloudStudioEmail,
		Password:    iotauthtest.CloudStudioPassword,
		ClientID:    iotauthtest.CloudStudioClientID,
		Description: "iotauth tests",
	}
}

// newProvider returns a provider for srv's emulated account, changed by edit.
func newProvider(t *testing.T, srv *iotauthtest.Server, edit func(*Config)) *Provider {
	t.Helper()
	cfg := testConfig(srv.URL)
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	return p
}

// logBuffer collects log records as text.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// assertNoSecrets fails if err, formatted every way, shows a secret.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(f, err)
		for _, s := range secrets {
			if s != "" {
				require.NotContains(t, out, s, "format %s", f)
			}
		}
	}
}

// dashboards calls the emulator's protected service with client.
func dashboards(t *testing.T, client interface {
	Do(*http.Request) (*http.Response, error)
}, srv *iotauthtest.Server, edit func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/services/gear/DashboardService.svc/GetDashboards", nil)
	require.NoError(t, err)
	if edit != nil {
		edit(req)
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// newCountingClient returns an httpc client for srv whose calls answer
// HTTP 502 instead of reaching srv when fail returns true.
func newCountingClient(t *testing.T, srv *iotauthtest.Server, fail func() bool) *httpc.Client {
	t.Helper()
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if fail() {
			return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	return httpc.New(platform, &http.Client{Transport: rt})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
