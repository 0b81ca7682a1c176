package mxchip

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Client makes the platform's API calls with tokens from a TokenSource,
// through an iotauth.Transport: a call whose token the platform rejects
// (expired, revoked) is resent once with a fresh token.
type Client struct {
	base string
	http *httpc.Client
}

// NewClient returns a Client that takes tokens from ts, normally
// iotauth.NewCache(p). Requests go through the Config's HTTPClient (its
// Transport and Timeout) with an iotauth.Transport on top, which sends
// tokens to the Provider's host only.
func (p *Provider) NewClient(ts iotauth.TokenSource) *Client {
	hc := &http.Client{Timeout: httpc.DefaultTimeout}
	if p.hc != nil {
		c := *p.hc
		hc = &c
	}
	hc.Transport = iotauth.NewTransport(ts, hc.Transport, iotauth.WithHosts(p.Hosts()...))
	return &Client{base: p.base, http: httpc.New(Platform, hc)}
}

// do sends one API call, with its parameters form-encoded in the body
// (DELETE included), and returns the answer for its parser.
func (c *Client) do(ctx context.Context, op, method, path string, form url.Values) (*httpc.Response, error) {
	return c.http.Do(ctx, httpc.Request{Op: op, Method: method, URL: c.base + path, Form: form})
}
