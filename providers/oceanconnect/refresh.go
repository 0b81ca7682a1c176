package oceanconnect

import (
	"context"
	"net/http"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

const refreshPath = "/iocm/app/sec/v1.1.0/refreshToken"

// refreshRequest is the body of a refresh. Secret is the plain value: an
// iotauth.Secret would be encoded as [REDACTED].
type refreshRequest struct {
	AppID        string `json:"appId"`
	Secret       string `json:"secret"`
	RefreshToken string `json:"refreshToken"`
}

// Refresh renews old with its refresh token (POST
// /iocm/app/sec/v1.1.0/refreshToken) and returns the new token, which makes
// old invalid. Without a refresh token it logs in: an empty refresh token
// is never sent.
//
// A refresh token the platform refuses (HTTP 401, error_code 100006) is an
// ErrTokenRejected: log in with Token, as iotauth.Cache does. A new token
// without a refresh token (null or absent in the answer) is refreshed by a
// login next time.
func (p *Provider) Refresh(ctx context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	if old == nil || old.RefreshToken == "" {
		return p.Token(ctx)
	}
	p.warnInsecure()
	res, err := p.http.Do(ctx, httpc.Request{
		Op:     "refresh",
		Method: http.MethodPost,
		URL:    p.base + refreshPath,
		JSON:   refreshRequest{AppID: p.appID, Secret: string(p.secret), RefreshToken: old.RefreshToken},
	})
	if err != nil {
		return nil, err
	}
	return p.keep(parseToken(p.http, res, time.Now()))
}
