package mxchip

import (
	"context"
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
	ts   iotauth.TokenSource // as given to NewClient
}

// NewClient returns a Client that takes tokens from ts, normally
// iotauth.NewCache(p). Requests go through the Config's HTTPClient (its
// Transport and Timeout) with an iotauth.Transport on top, which sends
// tokens to the Provider's host only and recognises MXCHIP's rejections
// (see TokenRejected) whatever ts is.
func (p *Provider) NewClient(ts iotauth.TokenSource) *Client {
	hc := *p.http.HTTPClient()
	hc.Transport = iotauth.NewTransport(platformSource{ts, p}, hc.Transport)
	return &Client{base: p.base, http: httpc.New(platform, &hc, string(p.secret)), ts: ts}
}

// platformSource is ts as the Transport should see it on MXCHIP: described
// as the Provider's platform, with ts's Invalidator (a Cache's) where it has one.
type platformSource struct {
	iotauth.TokenSource
	p *Provider
}

func (s platformSource) Describe() iotauth.Platform { return s.p.Describe() }

func (s platformSource) Invalidate(t *iotauth.Token) {
	if inv, ok := s.TokenSource.(iotauth.Invalidator); ok {
		inv.Invalidate(t)
	}
}

// do sends one API call, with its parameters form-encoded in the body
// (DELETE included), and returns the answer for its parser.
func (c *Client) do(ctx context.Context, op, method, path string, form url.Values) (*httpc.Response, error) {
	return c.http.Do(ctx, httpc.Request{Op: op, Method: method, URL: c.base + path, Form: form})
}
