package iotda_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/redirecttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// The IAM token call refuses a redirect to another origin, so the password
// it carries does not follow it.
func TestToken_RefusesRedirectsToAnotherOrigin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	redirecttest.Run(t, srv.URL, []redirecttest.Call{{
		Name: "token",
		Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			p, err := iotda.New(iotda.Config{Endpoint: f.URL, IAMEndpoint: f.URL,
				DomainName: iotauthtest.IoTDADomainName, UserName: iotauthtest.IoTDAUserName,
				Password: iotauthtest.IoTDAPassword, ProjectName: iotauthtest.IoTDAProjectName,
				HTTPClient: f.Client()})
			require.NoError(t, err)
			return func(ctx context.Context) error { _, err := p.Token(ctx); return err }
		},
	}}, iotauthtest.IoTDAPassword)
}
