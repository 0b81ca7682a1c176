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

// delete deletes t on the platform. A refusal (FaultCode 8001) is an
// iotauth.ErrRevokeRefused: the token may live on until its expiry.
func (p *Provider) delete(ctx context.Context, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return p.refuse(opDelete, "no token to delete")
	}
	id, err := strconv.ParseInt(t.ID, 10, 64)
	if err != nil || id <= 0 {
		return p.refuse(opDelete, "the token has no ClientAccessTokenID, which the platform needs to delete it")
	}
	res, err := p.c.Do(ctx, httpc.Request{Op: opDelete, URL: p.base + deletePath,
		JSON: &deleteRequest{AccessToken: t.AccessToken, ClientAccessTokenID: id}})
	if err != nil {
		return err
	}
	return parseDelete(p.c, res)
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

// refuse is a call refused before it was sent.
func (p *Provider) refuse(op, why string) *iotauth.Error {
	return &iotauth.Error{Platform: platform, Op: op, Kind: iotauth.ErrBadRequest, Message: why}
}
