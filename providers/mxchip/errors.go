package mxchip

import (
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

// doc is the document every row of errorTable cites, by its title and
// section as docs/platforms.md lists them.
const doc = "MXCHIP, v3文档 v3-open-api, 错误码"

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

// fail builds the error of a refused call from its answer: meta.code
// decides, whatever the HTTP status; an answer without an envelope or a
// meta.code (a gateway's page) is transient.
func fail(c *httpc.Client, res *httpc.Response) error {
	var env envelope
	if c.DecodeJSON(res, &env) != nil {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no platform envelope", "")
	}
	if env.Meta == nil || env.Meta.Code == "" {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no meta.code", "")
	}
	code := string(env.Meta.Code)
	return c.Fail(res, errorTable.Kind(code, res.Status), code, env.Meta.Message, "")
}
