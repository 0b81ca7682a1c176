package oceanconnect

import (
	"bytes"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// errorTable maps OceanConnect's error codes to iotauth kinds. A code not
// listed is mapped by its HTTP status.
var errorTable = httpc.Table{
	{Code: "100208", Kind: iotauth.ErrInvalidCredentials}, // appId or secret is not right
	{Code: "100247", Kind: iotauth.ErrForbidden},          // application frozen
	{Code: "100449", Kind: iotauth.ErrForbidden},          // no permission (frozen)
	{Code: "100203", Kind: iotauth.ErrForbidden},          // application does not exist
	{Code: "100217", Kind: iotauth.ErrForbidden},          // application not authorized
	{Code: "102202", Kind: iotauth.ErrBadRequest},         // mandatory parameter missing
	{Code: "50400", Kind: iotauth.ErrBadRequest},          // invalid input
	{Code: "1010009", Kind: iotauth.ErrRateLimited},       // throttled
	{Code: "50252", Kind: iotauth.ErrServer},              // internal server error
	{Code: "1010005", Kind: iotauth.ErrTokenRejected},     // invalid access token
}

// errorBody is the platform's error answer.
type errorBody struct {
	Code httpc.FlexString `json:"error_code"`
	Desc httpc.FlexString `json:"error_desc"`
}

// requestIDHeader carries the platform's request id, when it sends one.
const requestIDHeader = "X-Request-Id"

// fail builds the error for a refused call: the kind comes from the
// error_code, or from the HTTP status when the body has none. An error body
// that is not JSON (a gateway's HTML page) is an ErrMalformedResponse.
func (p *Provider) fail(res *httpc.Response) error {
	reqID := res.Header.Get(requestIDHeader)
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return p.c.Fail(res, httpc.StatusKind(res.Status), "", "", reqID)
	}
	var b errorBody
	if err := p.c.DecodeJSON(res, &b); err != nil {
		return err
	}
	return p.failWith(res, b)
}

// failWith builds the error for a decoded error body.
func (p *Provider) failWith(res *httpc.Response, b errorBody) error {
	code := string(b.Code)
	status := res.Status
	if status < 400 {
		// An error body with a success status: map by code alone.
		status = 0
	}
	return p.c.Fail(res, errorTable.Kind(code, status), code, string(b.Desc), res.Header.Get(requestIDHeader))
}
