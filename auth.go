// Package iotauth authenticates backend services against IoT platforms
// (Huawei OceanConnect, Cloud Studio, Alibaba Cloud MQTT, MXCHIP) and keeps
// their credentials fresh, safe and shared.
//
// A provider under providers/ turns a platform's login API into a
// TokenSource. NewCache wraps it so that exactly one login is in flight per
// credential, tokens are refreshed ahead of expiry in the background, and
// failures are retried with backoff or, for refused credentials, latched.
// NewTransport wraps an http.RoundTripper so that every request to the
// platform carries the right headers and a request whose token the platform
// rejects is resent once with a fresh token.
//
//	p, _ := oceanconnect.New(oceanconnect.Config{BaseURL: url, AppID: id, Secret: secret})
//	client := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(p), nil)}
//
// Secrets and tokens print as [REDACTED] everywhere, and errors carry the
// platform's code and request id but never a credential.
package iotauth

import (
	"context"
	"net/http"
)

// TokenSource returns a token. A provider's Token makes one call to the
// platform; a *Cache makes calls only when needed.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context) (*Token, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// Refresher is implemented by sources whose tokens carry a refresh token.
// The Cache calls Refresh instead of Token when the current token has one,
// and falls back to Token when Refresh fails.
type Refresher interface {
	Refresh(ctx context.Context, old *Token) (*Token, error)
}

// Authorizer is implemented by sources whose platform wants more than
// "Authorization: <type> <token>" (OceanConnect also wants app_key).
// Authorize sets the headers or query on req, which the Transport has
// already cloned.
type Authorizer interface {
	Authorize(req *http.Request, t *Token) error
}

// RejectionClassifier is implemented by sources whose platform signals a
// rejected token in other ways than HTTP 401 (MXCHIP answers HTTP 200 with
// meta.code 10100). TokenRejected may read resp.Body but must leave an
// equivalent unread body in its place.
type RejectionClassifier interface {
	TokenRejected(resp *http.Response) bool
}

// HostBinder is implemented by sources that know which hosts may receive
// their credentials, as host or host:port. The Transport sends credentials
// to no other host.
type HostBinder interface {
	Hosts() []string
}

// Platformer is implemented by sources that name their platform, for logs
// and errors.
type Platformer interface {
	Platform() string
}

// Keyer is implemented by sources that can name their credential for a
// Store: the same platform, base URL and account give the same key, on every
// host of a fleet. Build it with StoreKey so it contains no secret.
type Keyer interface {
	CacheKey() string
}

// Invalidator drops a token that the platform rejected, if it is still the
// current one. *Cache implements it.
type Invalidator interface {
	Invalidate(t *Token)
}

// Authorize attaches t to req the way src wants: through src's Authorizer
// when it has one, else as "Authorization: <type> <token>".
func Authorize(src TokenSource, req *http.Request, t *Token) error {
	if a, ok := src.(Authorizer); ok {
		return a.Authorize(req, t)
	}
	req.Header.Set("Authorization", t.Type()+" "+t.AccessToken)
	return nil
}

// TokenRejected reports whether resp says the token sent with it was
// rejected: through src's RejectionClassifier when it has one, else HTTP 401.
func TokenRejected(src TokenSource, resp *http.Response) bool {
	if c, ok := src.(RejectionClassifier); ok {
		return c.TokenRejected(resp)
	}
	return resp.StatusCode == http.StatusUnauthorized
}

// platformOf names src's platform, "custom" when it does not say.
func platformOf(src TokenSource) string {
	if p, ok := src.(Platformer); ok {
		return p.Platform()
	}
	return "custom"
}
