package oceanconnect_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// emulated starts the emulator and returns it with a provider for its
// application.
func emulated(t *testing.T, opts ...iotauthtest.Option) (*iotauthtest.Server, *oceanconnect.Provider) {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL:    srv.URL,
		AppID:      iotauthtest.OceanConnectAppID,
		Secret:     iotauthtest.OceanConnectSecret,
		HTTPClient: srv.Client(),
	})
	require.NoError(t, err)
	return srv, p
}

// requireKind asserts err is an *iotauth.Error of kind and prints no secret
// in any format.
func requireKind(t *testing.T, err error, kind error, secrets ...string) *iotauth.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kind)
	var e *iotauth.Error
	require.True(t, errors.As(err, &e), "want an *iotauth.Error, got %T", err)
	secrets = append(secrets, iotauthtest.OceanConnectSecret)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, err)
		for _, s := range secrets {
			if s != "" {
				require.NotContains(t, out, s, "error printed with %s", f)
			}
		}
	}
	return e
}

// newProvider returns a provider for the emulator's application with secret.
func newProvider(t *testing.T, baseURL string, secret iotauth.Secret) *oceanconnect.Provider {
	t.Helper()
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: baseURL, AppID: iotauthtest.OceanConnectAppID, Secret: secret})
	require.NoError(t, err)
	return p
}
