package oceanconnect

import (
	"context"
	"errors"
	"net/http"

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
// old invalid. Without a refresh token it logs in.
//
// A refused refresh is an ErrTokenRejected, never a credential failure: the
// platform answers 100208 for a stale refresh token too (a login elsewhere
// makes it stale), so the caller should log in with Token, as iotauth.Cache
// does, and only a refused login means the credentials are wrong.
func (p *Provider) Refresh(ctx context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	if old == nil || old.RefreshToken == "" {
		return p.Token(ctx)
	}
	p.warnInsecure()
	res, err := p.c.Do(ctx, httpc.Request{
		Op:     "refresh",
		Method: http.MethodPost,
		URL:    p.base + refreshPath,
		JSON:   refreshRequest{AppID: p.appID, Secret: string(p.secret), RefreshToken: old.RefreshToken},
	})
	if err != nil {
		return nil, err
	}
	t, err := p.tokenFrom(res)
	if err != nil {
		var e *iotauth.Error
		if errors.As(err, &e) && iotauth.IsCredentialFailure(e) {
			e.Kind = iotauth.ErrTokenRejected
		}
		return nil, err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	return t, nil
}
