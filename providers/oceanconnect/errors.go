package oceanconnect

import (
	"bytes"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// The documents errorTable cites, by title and section as docs/platforms.md
// lists them.
const (
	docSDK  = "OceanConnect, Authentication (SDK view, getAuthToken), Error Codes"
	docREST = "OceanConnect, Authentication (REST view, POST /iocm/app/sec/v1.1.0/login), Error Code"
	docAPI  = "OceanConnect northbound API reference, error codes"
	capture = "real-server capture: refreshToken with a bad refresh token, HTTP 401"
)

// errorTable is the provider's one classification of OceanConnect's
// error_code values. A code it does not list, or an error answer without a
// code, is transient (httpc.Unknown): backed off, never latched.
var errorTable = httpc.Table{
	{Code: "100208", Kind: iotauth.ErrInvalidCredentials, Doc: docREST + ": 401 100208 appId or secret is incorrect"},
	{Code: "100247", Kind: iotauth.ErrForbidden, Doc: docSDK + ": 400 100247 the application has been frozen"},
	{Code: "100449", Kind: iotauth.ErrForbidden, Doc: docREST + ": 400 100449 the user has no operation permission"},
	{Code: "100203", Kind: iotauth.ErrForbidden, Doc: docAPI + ": 100203 the application does not exist"},
	{Code: "100217", Kind: iotauth.ErrForbidden, Doc: docAPI + ": 100217 the application is not authorized"},
	{Code: "102202", Kind: iotauth.ErrBadRequest, Doc: docREST + ": 400 102202 mandatory parameter null or empty"},
	{Code: "50400", Kind: iotauth.ErrBadRequest, Doc: docAPI + ": 50400 invalid input"},
	{Code: "1010009", Kind: iotauth.ErrRateLimited, Doc: docAPI + ": 1010009 app throttle exceeded"},
	{Code: "50252", Kind: iotauth.ErrServer, Doc: docREST + ": 500 50252 internal server error"},
	{Code: "1010005", Kind: iotauth.ErrTokenRejected, Doc: docAPI + ": 403 1010005 invalid access token"},
	{Code: "100006", Kind: iotauth.ErrTokenRejected, Doc: capture + " (log in again)"},
}

// errorBody is the platform's error answer.
type errorBody struct {
	Code httpc.FlexString `json:"error_code"`
	Desc httpc.FlexString `json:"error_desc"`
}

// requestIDHeader carries the platform's request id, when it sends one.
const requestIDHeader = "X-Request-Id"

// fail builds the error of a refused call from its answer: the kind comes
// from the error_code; an answer without one (an empty body, a gateway's
// page) is transient.
func fail(c *httpc.Client, res *httpc.Response) error {
	reqID := res.Header.Get(requestIDHeader)
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no error body", reqID)
	}
	var b errorBody
	if err := c.DecodeJSON(res, &b); err != nil {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no platform error body", reqID)
	}
	code := string(b.Code)
	return c.Fail(res, errorTable.Kind(code, res.Status), code, string(b.Desc), reqID)
}
