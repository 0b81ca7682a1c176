package mxchip

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// tokenPath is the client-credentials token endpoint.
const tokenPath = "/v3/open_api/token/"

// tokenData is the data of a token answer. expires_in is documented as an
// int (604800) and accepted as a numeric string too.
type tokenData struct {
	AccessToken string        `json:"access_token"`
	TokenType   string        `json:"token_type"`
	ExpiresIn   httpc.FlexInt `json:"expires_in"`
	Scope       string        `json:"scope"`
}

// Token obtains a new access token with the client-credentials grant. Each
// call is one request to the platform; earlier tokens stay valid.
func (p *Provider) Token(ctx context.Context) (*iotauth.Token, error) {
	res, err := p.http.Do(ctx, httpc.Request{
		Op:     "token",
		Method: http.MethodPost,
		URL:    p.base + tokenPath,
		Form: url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {p.clientID},
			"client_secret": {string(p.secret)},
		},
	})
	if err != nil {
		return nil, err
	}
	return parseToken(p.http, res, time.Now())
}

// parseToken turns a token answer received at now into a Token.
func parseToken(c *httpc.Client, res *httpc.Response, now time.Time) (*iotauth.Token, error) {
	var d tokenData
	if err := decode(c, res, &d); err != nil {
		return nil, err
	}
	return c.BuildToken(res, httpc.TokenFields{
		AccessToken: d.AccessToken,
		TokenType:   d.TokenType,
		Scope:       d.Scope,
		ExpiresIn:   d.ExpiresIn,
	}, now)
}
