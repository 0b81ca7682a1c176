package mxchip_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redirecttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/mxchip"
)

func provider(t *testing.T, f *redirecttest.Front) *mxchip.Provider {
	p, err := mxchip.New(mxchip.Config{BaseURL: f.URL, ClientID: iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret, HTTPClient: f.Client()})
	require.NoError(t, err)
	return p
}

// apiClient returns a Client whose Cache already holds a token, so that a
// redirect armed next hits the API call, not the login.
func apiClient(t *testing.T, f *redirecttest.Front) *mxchip.Client {
	p := provider(t, f)
	cache := iotauth.NewCache(p)
	t.Cleanup(func() { _ = cache.Close() })
	_, err := cache.Token(context.Background())
	require.NoError(t, err)
	return p.NewClient(cache)
}

// Every call refuses a redirect to another origin, so neither the client
// secret (sent with the login) nor a token follows it.
func TestCalls_RefuseRedirectsToAnotherOrigin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	api := func(name string, call func(context.Context, *mxchip.Client) error) redirecttest.Call {
		return redirecttest.Call{Name: name, Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			c := apiClient(t, f)
			return func(ctx context.Context) error { return call(ctx, c) }
		}}
	}
	redirecttest.Run(t, srv.URL, []redirecttest.Call{
		{Name: "login", Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			p := provider(t, f)
			return func(ctx context.Context) error { _, err := p.Token(ctx); return err }
		}},
		api("CreateMQTTClient", func(ctx context.Context, c *mxchip.Client) error {
			_, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
			return err
		}),
		api("GrantPermission", func(ctx context.Context, c *mxchip.Client) error {
			return c.GrantPermission(ctx, "client", "device")
		}),
		api("RevokePermission", func(ctx context.Context, c *mxchip.Client) error {
			return c.RevokePermission(ctx, "client", "device")
		}),
		api("ProductIDs", func(ctx context.Context, c *mxchip.Client) error {
			_, err := c.ProductIDs(ctx)
			return err
		}),
	}, iotauthtest.MXCHIPClientSecret)
}

// A body-less call (GET) follows a redirect within its origin; the token
// goes with it, to the same origin only.
func TestProductIDs_FollowsASameOriginRedirect(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	f := redirecttest.NewFront(t, srv.URL)
	c := apiClient(t, f)
	f.Redirect(http.StatusFound, redirecttest.SameOrigin, redirecttest.Path("/v3/open_api/product/ids/"))
	_, err := c.ProductIDs(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.Followed())
}
