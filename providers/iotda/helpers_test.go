package iotda_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// emulated starts the emulators and returns them with a provider for the
// emulated IAM user.
func emulated(t *testing.T, opts ...iotauthtest.Option) (*iotauthtest.Server, *iotda.Provider) {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv, userProvider(t, srv, iotauthtest.IoTDAPassword)
}

// userProvider is a provider for the emulated IAM user with password.
func userProvider(t *testing.T, srv *iotauthtest.Server, password iotauth.Secret) *iotda.Provider {
	t.Helper()
	p, err := iotda.New(iotda.Config{
		Endpoint:    srv.URL,
		IAMEndpoint: srv.URL,
		DomainName:  iotauthtest.IoTDADomainName,
		UserName:    iotauthtest.IoTDAUserName,
		Password:    password,
		ProjectName: iotauthtest.IoTDAProjectName,
		HTTPClient:  srv.Client(),
	})
	require.NoError(t, err)
	return p
}

// keyProvider is a provider that signs with the emulated access key and
// secretKey.
func keyProvider(t *testing.T, srv *iotauthtest.Server, secretKey iotauth.Secret) *iotda.Provider {
	t.Helper()
	p, err := iotda.New(iotda.Config{Endpoint: srv.URL, AccessKey: iotauthtest.IoTDAAccessKey, SecretKey: secretKey})
	require.NoError(t, err)
	return p
}

// devicesURL is the emulated project's device list.
func devicesURL(srv *iotauthtest.Server) string {
	return srv.URL + "/v5/iot/" + iotauthtest.IoTDAProjectID + "/devices"
}

// requireKind asserts err is an *iotauth.Error of kind and prints no secret
// in any format.
func requireKind(t *testing.T, err error, kind error, secrets ...string) *iotauth.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kind)
	var e *iotauth.Error
	require.True(t, errors.As(err, &e), "want an *iotauth.Error, got %T", err)
	secrets = append(secrets, iotauthtest.IoTDAPassword, iotauthtest.IoTDASecretKey, iotauthtest.IoTDADeviceSecret)
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
