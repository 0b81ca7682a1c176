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
	return p.tokenFrom(res)
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

// tokenFrom turns a login or refresh answer into a token, remembered for
// Close, or into the platform's error.
func (p *Provider) tokenFrom(res *httpc.Response) (*iotauth.Token, error) {
	if res.Status < 200 || res.Status > 299 {
		return nil, fail(p.http, res)
	}
	var r tokenResponse
	if err := p.http.DecodeJSON(res, &r); err != nil {
		return nil, err
	}
	if r.AccessToken == "" && r.Code != "" {
		return nil, fail(p.http, res) // an error body with HTTP 2xx
	}
	t, err := p.http.BuildToken(res, httpc.TokenFields{
		AccessToken:  r.AccessToken,
		TokenType:    r.TokenType,
		RefreshToken: r.RefreshToken,
		Scope:        r.Scope,
		ExpiresIn:    r.ExpiresIn,
	}, time.Now())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.last = t
	p.mu.Unlock()
	return t, nil
}

// warnInsecure logs, on every login, that the platform's certificate is not
// verified.
func (p *Provider) warnInsecure() {
	if p.insecure {
		p.logger.Warn("oceanconnect: TLS certificate verification is disabled (InsecureSkipVerify); use it only in tests",
			"platform", platform, "host", httpc.HostOf(p.base))
	}
}
