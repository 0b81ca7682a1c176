package mxchip

import (
	"encoding/json"
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only as "Authorization: Bearer <token>" (the
// default header), a rejection is what TokenRejected says (MXCHIP answers
// HTTP 200 with meta.code 10100 or 10101), and the store key names the
// account by its base URL and AccessKey ID, without the secret.
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:     platform,
		Origins:  []string{httpc.OriginOf(p.base)},
		Rejected: p.TokenRejected,
		StoreKey: iotauth.StoreKey(platform, p.base, p.clientID),
	}
}

// rejectionPeek is how much of a body TokenRejected reads: a rejection is a
// short envelope, so a longer body is an answer, not a rejection.
const rejectionPeek = 4 << 10

// TokenRejected reports whether resp says the token sent with it was
// rejected: HTTP 401, or an envelope with meta.code 10100 (expired) or
// 10101 (token error), which the platform sends with HTTP 200. The body is
// left in place, unread, for the caller.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	var env envelope
	if json.Unmarshal(httpc.PeekBody(resp, rejectionPeek), &env) != nil || env.Meta == nil {
		return false
	}
	r, ok := errorTable.Rule(string(env.Meta.Code))
	return ok && r.Kind == iotauth.ErrTokenRejected
}

// envelope is the body of every answer.
type envelope struct {
	Meta *struct {
		Message string           `json:"message"`
		Code    httpc.FlexString `json:"code"`
	} `json:"meta"`
	Data json.RawMessage `json:"data"`
}

// decode checks res's envelope and decodes its data into out (skipped when
// out is nil). meta.code decides success whatever the HTTP status; a body
// that is not an envelope is an ErrMalformedResponse on a success status
// and transient on an error status (a gateway's page).
func decode(c *httpc.Client, res *httpc.Response, out any) error {
	var env envelope
	if err := c.DecodeJSON(res, &env); err != nil {
		if res.Status >= 400 {
			return fail(c, res)
		}
		return err
	}
	if env.Meta == nil || env.Meta.Code == "" {
		if res.Status >= 400 {
			return fail(c, res)
		}
		return c.Malformed(res, "missing meta.code")
	}
	if string(env.Meta.Code) != codeOK {
		return fail(c, res)
	}
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return c.Malformed(res, "missing data")
	}
	return c.DecodeJSON(&httpc.Response{Op: res.Op, Status: res.Status, Body: env.Data}, out)
}
