package iotda

import (
	"bytes"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// The documents errorTable cites, by title and section as docs/platforms.md
// lists them.
const (
	docIAMToken = "Huawei Cloud IAM API Reference, Obtaining an IAM User Token (Using a Password), Status Codes"
	docIAMLock  = "Huawei Cloud IAM FAQ, What Should I Do If My Account Is Locked?"
	docAPIG     = "Huawei Cloud API Gateway FAQ, Incorrect IAM authentication information"
	docAPIGCode = "Huawei Cloud API Gateway API Reference, Error Codes"
)

// errorTable is the provider's one classification of the platform's error
// codes: IAM's token errors, whose body is {"error":{"code":<HTTP
// status>,"message","title"}}, and API Gateway's, {"error_code","error_msg"}
// in front of IoTDA. A code it does not list, or an error answer without a
// code, is transient (httpc.Unknown): backed off, never latched.
var errorTable = httpc.Table{
	{Code: "400", Kind: iotauth.ErrBadRequest, Doc: docIAMToken + ": 400 the server failed to process the request"},
	{Code: "401", Kind: iotauth.ErrInvalidCredentials, Doc: docIAMToken + ": 401 authentication failed (\"The username or password is wrong.\"; \"The account is locked.\", " + docIAMLock + ")"},
	{Code: "403", Kind: iotauth.ErrForbidden, Doc: docIAMToken + ": 403 access denied (a disabled user, or no permission for the project)"},
	{Code: "429", Kind: iotauth.ErrRateLimited, Doc: docIAMToken + ": 429 too many requests"},
	{Code: "APIGW.0301", Kind: iotauth.ErrTokenRejected, Doc: docAPIG + ": 401 APIGW.0301 incorrect IAM authentication information (token expired or invalid, signature wrong)"},
	{Code: "APIG.0301", Kind: iotauth.ErrTokenRejected, Doc: docAPIG + ": 401 APIG.0301, the same for dedicated gateways"},
	{Code: "APIGW.0308", Kind: iotauth.ErrRateLimited, Doc: docAPIGCode + ": 429 APIGW.0308 the throttling threshold has been reached"},
}

// errorBody is an error answer in either of the platform's shapes.
type errorBody struct {
	Error *struct {
		Code    httpc.FlexString `json:"code"`
		Message httpc.FlexString `json:"message"`
		Title   httpc.FlexString `json:"title"`
	} `json:"error"`
	ErrorCode httpc.FlexString `json:"error_code"`
	ErrorMsg  httpc.FlexString `json:"error_msg"`
}

// code is the platform's error code, in whichever shape it came.
func (b errorBody) code() string {
	if b.ErrorCode != "" {
		return string(b.ErrorCode)
	}
	if b.Error != nil {
		return string(b.Error.Code)
	}
	return ""
}

// message is the platform's error text.
func (b errorBody) message() string {
	if b.ErrorMsg != "" {
		return string(b.ErrorMsg)
	}
	if b.Error != nil {
		if b.Error.Message != "" {
			return string(b.Error.Message)
		}
		return string(b.Error.Title)
	}
	return ""
}

// requestIDHeader carries the platform's request id.
const requestIDHeader = "X-Request-Id"

// fail builds the error for a refused call: the kind comes from the error
// code; an answer without one (an empty body, a gateway's page) is
// transient.
func fail(c *httpc.Client, res *httpc.Response) error {
	reqID := res.Header.Get(requestIDHeader)
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no error body", reqID)
	}
	var b errorBody
	if err := c.DecodeJSON(res, &b); err != nil {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no platform error body", reqID)
	}
	code := b.code()
	return c.Fail(res, errorTable.Kind(code, res.Status), code, b.message(), reqID)
}
