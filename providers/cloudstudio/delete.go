package cloudstudio

import (
	"bytes"
	"context"
	"errors"
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

// errNoTokenID is returned for a token without a ClientAccessTokenID,
// which cannot be deleted.
var errNoTokenID = errors.New("cloudstudio: the token has no ClientAccessTokenID")

// delete deletes t on the platform. A token the platform does not know (or
// no longer accepts) is an ErrTokenRejected.
func (p *Provider) delete(ctx context.Context, t *iotauth.Token) error {
	id, err := strconv.ParseInt(t.ID, 10, 64)
	if err != nil || id <= 0 {
		return errNoTokenID
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
		return failure(c, res)
	}
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return nil
	}
	var b map[string]any
	return c.DecodeJSON(res, &b)
}
