package httpc

import (
	"time"

	"github.com/iotauth/iotauth"
)

// TokenFields are the fields every bearer-token platform answers a login with.
type TokenFields struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	Scope        string
	ExpiresIn    FlexInt // seconds
}

// BuildToken turns a login answer into a Token issued at now. A missing
// access token or a missing, zero or negative lifetime is an
// ErrMalformedResponse, never a token that silently never expires.
func (c *Client) BuildToken(res *Response, f TokenFields, now time.Time) (*iotauth.Token, error) {
	if f.AccessToken == "" {
		return nil, c.Malformed(res, "missing access token")
	}
	if !f.ExpiresIn.Set {
		return nil, c.Malformed(res, "missing token lifetime")
	}
	if f.ExpiresIn.V <= 0 {
		return nil, c.Malformed(res, "non-positive token lifetime")
	}
	const maxLifetime = 100 * 365 * 24 * time.Hour
	life := time.Duration(f.ExpiresIn.V) * time.Second
	if f.ExpiresIn.V > int64(maxLifetime/time.Second) {
		return nil, c.Malformed(res, "token lifetime over 100 years")
	}
	return &iotauth.Token{
		AccessToken:  f.AccessToken,
		TokenType:    iotauth.CanonicalTokenType(f.TokenType),
		RefreshToken: f.RefreshToken,
		Scope:        f.Scope,
		IssuedAt:     now,
		Expiry:       now.Add(life),
	}, nil
}
