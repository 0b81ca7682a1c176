package oceanconnect_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/redirecttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// Every call refuses a redirect to another origin, through the provider's
// own TLS client (CACertPEM), so neither the secret nor a token follows it.
func TestCalls_RefuseRedirectsToAnotherOrigin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	loggedIn := func(t *testing.T, f *redirecttest.Front) *oceanconnect.Provider {
		p, err := oceanconnect.New(oceanconnect.Config{BaseURL: f.URL, AppID: iotauthtest.OceanConnectAppID,
			Secret: iotauthtest.OceanConnectSecret, CACertPEM: f.CAPEM()})
		require.NoError(t, err)
		return p
	}
	redirecttest.Run(t, srv.URL, []redirecttest.Call{
		{Name: "login", Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			p := loggedIn(t, f)
			return func(ctx context.Context) error { _, err := p.Token(ctx); return err }
		}},
		{Name: "login-with-a-permissive-CheckRedirect", Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			hc := f.Client()
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
			p, err := oceanconnect.New(oceanconnect.Config{BaseURL: f.URL, AppID: iotauthtest.OceanConnectAppID,
				Secret: iotauthtest.OceanConnectSecret, HTTPClient: hc, CACertPEM: f.CAPEM()})
			require.NoError(t, err)
			return func(ctx context.Context) error { _, err := p.Token(ctx); return err }
		}},
		{Name: "refresh", Match: redirecttest.Path("/iocm/app/sec/v1.1.0/refreshToken"),
			Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
				p := loggedIn(t, f)
				tok, err := p.Token(context.Background())
				require.NoError(t, err)
				require.NotEmpty(t, tok.RefreshToken)
				return func(ctx context.Context) error { _, err := p.Refresh(ctx, tok); return err }
			}},
		{Name: "logout", Match: redirecttest.Path("/iocm/app/sec/v1.1.0/logout"),
			Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
				p := loggedIn(t, f)
				_, err := p.Token(context.Background())
				require.NoError(t, err)
				return func(context.Context) error { return p.Close() }
			}},
	}, iotauthtest.OceanConnectSecret)
}
