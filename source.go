package iotauth

import "context"

// TokenSource returns a token. A provider's Token makes one call to the
// platform; a *Cache makes calls only when needed.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context) (*Token, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// Refresher is implemented by sources that can replace a token without a
// full login (OceanConnect's refresh token, Cloud Studio's rotation). The
// Cache calls Refresh instead of Token when it holds an old token, and falls
// back to Token when Refresh fails. A Refresh that got a new token but
// failed at a side effect (Cloud Studio could not delete the old token)
// returns both: the Cache installs the token and reports the error as a
// warning and a "refresh" Event carrying both.
type Refresher interface {
	Refresh(ctx context.Context, old *Token) (*Token, error)
}

// Invalidator drops a token that the platform rejected, if it is still the
// current one. *Cache implements it.
type Invalidator interface {
	Invalidate(t *Token)
}
