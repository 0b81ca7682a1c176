package cloudstudio_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/redirecttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/cloudstudio"
)

// Every call refuses a redirect to another origin, so neither the password
// (sent with each creation) nor a token follows it.
func TestCalls_RefuseRedirectsToAnotherOrigin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	provider := func(t *testing.T, f *redirecttest.Front) *cloudstudio.Provider {
		p, err := cloudstudio.New(cloudstudio.Config{BaseURL: f.URL, Email: iotauthtest.CloudStudioEmail,
			Password: iotauthtest.CloudStudioPassword, ClientID: iotauthtest.CloudStudioClientID,
			Description: "redirect test", HTTPClient: f.Client()})
		require.NoError(t, err)
		return p
	}
	const deletePath = "/services/gear/AuthorizationService.svc/DeleteClientAccessToken"
	redirecttest.Run(t, srv.URL, []redirecttest.Call{
		{Name: "create", Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			p := provider(t, f)
			return func(ctx context.Context) error { _, err := p.Token(ctx); return err }
		}},
		{Name: "rotate", Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			p := provider(t, f)
			tok, err := p.Token(context.Background())
			require.NoError(t, err)
			return func(ctx context.Context) error { _, err := p.Refresh(ctx, tok); return err }
		}},
		{Name: "delete", Match: redirecttest.Path(deletePath),
			Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
				p := provider(t, f)
				tok, err := p.Token(context.Background())
				require.NoError(t, err)
				return func(ctx context.Context) error { return p.Revoke(ctx, tok) }
			}},
	}, iotauthtest.CloudStudioPassword)
}
