package mxchip

import (
	"encoding/json"
	"net/http"

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

// errTable maps meta.code to a kind. A code it does not know is mapped by
// the HTTP status, and to ErrBadRequest when the status is a success: the
// platform answers business errors with HTTP 200.
var errTable = httpc.Table{
	{Code: codeTokenExpired, Kind: iotauth.ErrTokenRejected},
	{Code: codeTokenError, Kind: iotauth.ErrTokenRejected},
	{Code: codeBadParams, Kind: iotauth.ErrBadRequest},
	{Code: codeInternal, Kind: iotauth.ErrServer},
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
// that is not an envelope is an ErrMalformedResponse.
func decode(c *httpc.Client, res *httpc.Response, out any) error {
	var env envelope
	if err := c.DecodeJSON(res, &env); err != nil {
		return err
	}
	if env.Meta == nil || env.Meta.Code == "" {
		return c.Malformed(res, "missing meta.code")
	}
	code := string(env.Meta.Code)
	if code != codeOK {
		kind := errTable.Kind(code, res.Status)
		if res.Status < http.StatusBadRequest && kind == iotauth.ErrMalformedResponse {
			kind = iotauth.ErrBadRequest
		}
		return c.Fail(res, kind, code, env.Meta.Message, "")
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
	return errTable.Kind(string(env.Meta.Code), http.StatusOK) == iotauth.ErrTokenRejected
}
