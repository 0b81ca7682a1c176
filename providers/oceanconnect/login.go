package oceanconnect

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

const loginPath = "/iocm/app/sec/v1.1.0/login"

// Token logs in (POST /iocm/app/sec/v1.1.0/login, form appId and secret)
// and returns a new token, which makes the application's previous token
// invalid. A refused login is an *iotauth.Error: ErrInvalidCredentials for
// a wrong appId or secret (100208), ErrForbidden for a frozen application.
func (p *Provider) Token(ctx context.Context) (*iotauth.Token, error) {
	p.warnInsecure()
	res, err := p.http.Do(ctx, httpc.Request{
		Op:     "login",
		Method: http.MethodPost,
		URL:    p.base + loginPath,
		Form:   url.Values{"appId": {p.appID}, "secret": {string(p.secret)}},
	})
	if err != nil {
		return nil, err
	}
	return p.keep(parseToken(p.http, res, time.Now()))
}

// tokenResponse is the answer to a login or a refresh. The documents and
// real servers disagree, so every shape seen is accepted: expiresIn as a
// string ("3600", the REST example) or a number (the SDK view), tokenType
// "Bearer ", "bearer" or "BEARER", refreshToken a string, null or absent.
type tokenResponse struct {
	AccessToken  string        `json:"accessToken"`
	RefreshToken string        `json:"refreshToken"`
	ExpiresIn    httpc.FlexInt `json:"expiresIn"`
	TokenType    string        `json:"tokenType"`
	Scope        string        `json:"scope"`
	errorBody
}

// parseToken turns a login or refresh answer received at now into a token,
// or into the platform's error.
func parseToken(c *httpc.Client, res *httpc.Response, now time.Time) (*iotauth.Token, error) {
	if res.Status < 200 || res.Status > 299 {
		return nil, fail(c, res)
	}
	var r tokenResponse
	if err := c.DecodeJSON(res, &r); err != nil {
		return nil, err
	}
	if r.AccessToken == "" && r.Code != "" {
		return nil, fail(c, res) // an error body with HTTP 2xx
	}
	return c.BuildToken(res, httpc.TokenFields{
		AccessToken:  r.AccessToken,
		TokenType:    r.TokenType,
		RefreshToken: r.RefreshToken,
		Scope:        r.Scope,
		ExpiresIn:    r.ExpiresIn,
	}, now)
}

// keep remembers a new token for Close to log out.
func (p *Provider) keep(t *iotauth.Token, err error) (*iotauth.Token, error) {
	if err == nil {
		p.mu.Lock()
		p.last = t
		p.mu.Unlock()
	}
	return t, err
}

// warnInsecure logs, on every login, that the platform's certificate is not
// verified.
func (p *Provider) warnInsecure() {
	if p.insecure {
		p.logger.Warn("oceanconnect: TLS certificate verification is disabled (InsecureSkipVerify); use it only in tests",
			"platform", platform, "host", httpc.HostOf(p.base))
	}
}
