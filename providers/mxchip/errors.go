package mxchip

import (
	"encoding/json"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// MXCHIP's documented meta.code values.
const (
	codeOK           = "0"
	codeBadParams    = "10000"
	codeInternal     = "10050"
	codeTokenExpired = "10100"
	codeTokenError   = "10101"
)

// doc is the document every row of errorTable cites.
const doc = "MXCHIP v3 open API (004_eaa5de85ac968f65.txt), 错误码"

// errorTable is the provider's one classification of meta.code. The
// platform documents no code for refused client credentials, so nothing
// here is a credential failure; a code it does not list is transient
// (httpc.Unknown), never latched.
var errorTable = httpc.Table{
	{Code: codeTokenExpired, Kind: iotauth.ErrTokenRejected, Doc: doc + ": 10100 token过期 (token expired)"},
	{Code: codeTokenError, Kind: iotauth.ErrTokenRejected, Doc: doc + ": 10101 token错误 (token error)"},
	{Code: codeBadParams, Kind: iotauth.ErrBadRequest, Doc: doc + ": 10000 参数错误 (bad parameters, see message)"},
	{Code: codeInternal, Kind: iotauth.ErrServer, Doc: doc + ": 10050 内部错误 (internal error)"},
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
			return c.Fail(res, httpc.Unknown(res.Status), "", "no platform envelope", "")
		}
		return err
	}
	if env.Meta == nil || env.Meta.Code == "" {
		if res.Status >= 400 {
			return c.Fail(res, httpc.Unknown(res.Status), "", "no meta.code", "")
		}
		return c.Malformed(res, "missing meta.code")
	}
	code := string(env.Meta.Code)
	if code != codeOK {
		return c.Fail(res, errorTable.Kind(code, res.Status), code, env.Meta.Message, "")
	}
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return c.Malformed(res, "missing data")
	}
	return c.DecodeJSON(&httpc.Response{Op: res.Op, Status: res.Status, Body: env.Data}, out)
}

// rejectionCode reports whether body is an envelope whose meta.code says the
// token was rejected (10100 expired, 10101 error).
func rejectionCode(body []byte) bool {
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.Meta == nil {
		return false
	}
	r, ok := errorTable.Rule(string(env.Meta.Code))
	return ok && r.Kind == iotauth.ErrTokenRejected
}
