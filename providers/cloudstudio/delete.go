package cloudstudio

import (
	"bytes"
	"context"
	"strconv"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// opDelete names the deletion call in errors.
const opDelete = "DeleteClientAccessToken"

const deletePath = "/services/gear/AuthorizationService.svc/DeleteClientAccessToken"

// deleteRequest is the deletion call's body.
type deleteRequest struct {
	AccessToken         string `json:"accessToken"`
	ClientAccessTokenID int64  `json:"clientAccessTokenID"`
}

// Revoke deletes the given tokens on the platform, usually the one a Cache
// holds: p.Revoke(ctx, tok) with tok from cache.Token(ctx). A token the
// platform refuses to delete (it was deleted already, or the account may
// not delete it) is an *iotauth.Error of kind ErrRevokeRefused with the
// platform's FaultCode; the first failure is returned. The Provider keeps
// no token of its own, so Revoke without a token is an ErrBadRequest.
func (p *Provider) Revoke(ctx context.Context, toks ...*iotauth.Token) error {
	if len(toks) == 0 {
		return httpc.Refuse(platform, opDelete, "Revoke needs the token to delete: pass the Cache's current token (cache.Token(ctx))")
	}
	var first error
	for _, t := range toks {
		if err := p.delete(ctx, t); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// delete deletes t on the platform. A refusal (FaultCode 8001) is an
// iotauth.ErrRevokeRefused: the token may live on until its expiry.
func (p *Provider) delete(ctx context.Context, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return httpc.Refuse(platform, opDelete, "no token to delete")
	}
	id, err := strconv.ParseInt(t.ID, 10, 64)
	if err != nil || id <= 0 {
		return httpc.Refuse(platform, opDelete, "the token has no ClientAccessTokenID, which the platform needs to delete it")
	}
	res, err := p.http.Do(ctx, httpc.Request{Op: opDelete, URL: p.base + deletePath,
		JSON: &deleteRequest{AccessToken: t.AccessToken, ClientAccessTokenID: id}})
	if err != nil {
		return err
	}
	return parseDelete(p.http, res)
}

// parseDelete checks the deletion call's answer: HTTP 200 with {} (or an
// empty body) is success, an Exception is a failure.
func parseDelete(c *httpc.Client, res *httpc.Response) error {
	if res.Status != 200 || decodeException(res.Body) != nil {
		return fail(c, res)
	}
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return nil
	}
	var b map[string]any
	return c.DecodeJSON(res, &b)
}
