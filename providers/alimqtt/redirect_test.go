package alimqtt_test

import (
	"context"
	"testing"
	"time"

	"github.com/iotauth/iotauth/internal/redirecttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// Every OpenAPI call refuses a redirect to another origin, so neither the
// signed form (with the STS token) nor a device secret follows it.
func TestCalls_RefuseRedirectsToAnotherOrigin(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	const device = "GID_test@@@redirect-1"
	const sts = "sts-token-must-not-leak"
	call := func(name string, do func(context.Context, *alimqtt.Provider) error) redirecttest.Call {
		return redirecttest.Call{Name: name, Prepare: func(t *testing.T, f *redirecttest.Front) func(context.Context) error {
			c := emulatedWith(t, srv, func(cfg *alimqtt.Config) {
				cfg.Endpoint, cfg.HTTPClient, cfg.SecurityToken = f.URL, f.Client(), sts
			})
			return func(ctx context.Context) error { return do(ctx, c) }
		}}
	}
	redirecttest.Run(t, srv.URL, []redirecttest.Call{
		call("RegisterDeviceCredential", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.RegisterDeviceCredential(ctx, device)
			return err
		}),
		call("GetDeviceCredential", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.GetDeviceCredential(ctx, device)
			return err
		}),
		call("RefreshDeviceCredential", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.RefreshDeviceCredential(ctx, device)
			return err
		}),
		call("UnRegisterDeviceCredential", func(ctx context.Context, c *alimqtt.Provider) error {
			return c.UnRegisterDeviceCredential(ctx, device)
		}),
		call("DeviceCredential", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.DeviceCredential(ctx, device)
			return err
		}),
		call("ApplyToken", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.ApplyToken(ctx, []string{"t/#"}, alimqtt.ActionRead, time.Now().Add(time.Hour))
			return err
		}),
		call("TokenSource", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.TokenSource([]string{"t/#"}, alimqtt.ActionRead, time.Hour).Token(ctx)
			return err
		}),
		call("QueryToken", func(ctx context.Context, c *alimqtt.Provider) error {
			_, err := c.QueryToken(ctx, "some-token")
			return err
		}),
		call("RevokeToken", func(ctx context.Context, c *alimqtt.Provider) error {
			return c.RevokeToken(ctx, "some-token")
		}),
	}, iotauthtest.AlibabaAccessKeySecret, sts)
}
