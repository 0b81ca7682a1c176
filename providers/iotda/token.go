package iotda

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/hwsign"
)

// tokenPath obtains IAM tokens.
const tokenPath = "/v3/auth/tokens"

// subjectTokenHeader carries the token IAM issues.
const subjectTokenHeader = "X-Subject-Token"

// signingType is the TokenType of the signing credential an access key
// provider returns instead of a token.
const signingType = hwsign.Algorithm

// Token returns a credential for IoTDA calls.
//
// With an IAM user it obtains a token (POST {IAMEndpoint}/v3/auth/tokens,
// password identity, project scope), which does not invalidate the earlier
// ones. A refused call is an *iotauth.Error: ErrInvalidCredentials for a
// wrong password or a locked account (401), ErrForbidden for a disabled user
// (403), ErrRateLimited for 429.
//
// With an access key no call is made: the token is the signing credential,
// AccessToken the access key id (not a secret) and TokenType
// "SDK-HMAC-SHA256", without an expiry; the Transport signs each request
// with the secret key (see Describe).
func (p *Provider) Token(ctx context.Context) (*iotauth.Token, error) {
	if p.signing() {
		return &iotauth.Token{AccessToken: p.accessKey, TokenType: signingType, IssuedAt: time.Now()}, nil
	}
	res, err := p.http.Do(ctx, httpc.Request{
		Op:     "token",
		Method: http.MethodPost,
		URL:    p.iam + tokenPath,
		JSON:   p.tokenRequest(),
	})
	if err != nil {
		return nil, err
	}
	return tokenFrom(p.http, res, time.Now())
}

// The request body of a password token, as IAM documents it: the secret
// travels as a plain string here and nowhere else.
type (
	tokenRequest struct {
		Auth authBody `json:"auth"`
	}
	authBody struct {
		Identity identity `json:"identity"`
		Scope    scope    `json:"scope"`
	}
	identity struct {
		Methods  []string      `json:"methods"`
		Password passwordIdent `json:"password"`
	}
	passwordIdent struct {
		User userIdent `json:"user"`
	}
	userIdent struct {
		Name     string `json:"name"`
		Password string `json:"password"`
		Domain   named  `json:"domain"`
	}
	scope struct {
		Project named `json:"project"`
	}
	named struct {
		Name string `json:"name"`
	}
)

func (p *Provider) tokenRequest() tokenRequest {
	return tokenRequest{Auth: authBody{
		Identity: identity{Methods: []string{"password"}, Password: passwordIdent{User: userIdent{
			Name: p.user, Password: string(p.password), Domain: named{p.domain},
		}}},
		Scope: scope{Project: named{p.project}},
	}}
}

// tokenResponse is the part of IAM's answer the provider reads.
type tokenResponse struct {
	Token *struct {
		ExpiresAt *string `json:"expires_at"`
	} `json:"token"`
}

// maxTokenHeader bounds the X-Subject-Token value: IAM tokens are a few KiB.
const maxTokenHeader = 64 << 10

// tokenFrom turns IAM's answer, received at now, into a token or into the
// platform's error. The token comes from X-Subject-Token; a missing one, a
// missing or unreadable token.expires_at, or an expiry that is past or
// beyond 100 years is an ErrMalformedResponse.
func tokenFrom(c *httpc.Client, res *httpc.Response, now time.Time) (*iotauth.Token, error) {
	if res.Status < 200 || res.Status > 299 {
		return nil, fail(c, res)
	}
	var r tokenResponse
	if err := c.DecodeJSON(res, &r); err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(res.Header.Get(subjectTokenHeader))
	switch {
	case tok == "":
		return nil, c.Malformed(res, "missing "+subjectTokenHeader+" header")
	case len(tok) > maxTokenHeader || strings.ContainsAny(tok, " \t"):
		return nil, c.Malformed(res, subjectTokenHeader+" is not a token")
	case r.Token == nil:
		return nil, c.Malformed(res, "missing token object")
	case r.Token.ExpiresAt == nil:
		return nil, c.Malformed(res, "missing token.expires_at")
	}
	exp, err := time.Parse(time.RFC3339Nano, *r.Token.ExpiresAt)
	if err != nil {
		return nil, c.Malformed(res, "token.expires_at is not an RFC 3339 time")
	}
	life := exp.Sub(now)
	if life <= 0 {
		return nil, c.Malformed(res, "token.expires_at is in the past")
	}
	return c.BuildToken(res, httpc.TokenFields{
		AccessToken: tok,
		ExpiresIn:   httpc.FlexInt{V: max(int64(life/time.Second), 1), Set: true},
	}, now)
}
