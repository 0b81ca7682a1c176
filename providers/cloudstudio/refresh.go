package cloudstudio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iotauth/iotauth"
)

// Refresh rotates old, which is due or was rejected: it creates a new
// token, then deletes old, so that there is never a moment without a valid
// one. An expired old token is not deleted.
//
// When the new token was created but old could not be deleted, Refresh
// returns the new token together with an *iotauth.Error whose Op is
// "DeleteClientAccessToken" (kind ErrRevokeRefused for a refusal, ErrServer
// when the platform could not be reached): the new token is good to use,
// and the error reports that old stays valid on the platform until its
// expiry. A nil token always comes with an error about the creation.
func (p *Provider) Refresh(ctx context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	tok, err := p.create(ctx)
	if err != nil {
		return nil, err
	}
	if old == nil || old.AccessToken == "" || old.AccessToken == tok.AccessToken ||
		old.ExpiredAt(p.now()) {
		return tok, nil
	}
	if err := p.delete(ctx, old); err != nil {
		return tok, notDeleted(old, err)
	}
	return tok, nil
}

// notDeleted reports that old outlives its rotation: the delete's
// *iotauth.Error (Op DeleteClientAccessToken, its kind, status, code and
// cause) with a message that names the old token and its expiry.
func notDeleted(old *iotauth.Token, err error) *iotauth.Error {
	until := "it expires"
	if !old.Expiry.IsZero() {
		until = old.Expiry.UTC().Format(time.RFC3339)
	}
	why := fmt.Sprintf("the replaced token (ClientAccessTokenID %s) was not deleted and stays valid until %s", old.ID, until)
	var e *iotauth.Error
	if !errors.As(err, &e) {
		return &iotauth.Error{Platform: platform, Op: opDelete, Kind: iotauth.ErrServer, Message: why, Err: err}
	}
	out := *e
	out.Op = opDelete
	if out.Message != "" {
		why += " (" + out.Message + ")"
	}
	out.Message = why
	return &out
}
