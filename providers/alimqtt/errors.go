package alimqtt

import (
	"errors"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Error codes callers may branch on through (*iotauth.Error).Code. The
// platform spells "Exsit" this way.
const (
	CodeDeviceCredentialNotFound  = "DeviceCredentialNotFound"
	CodeDeviceCredentialExsit     = "DeviceCredentialExsit"
	CodeDeviceCredentialNumExceed = "DeviceCredentialNumExceed"
)

// errorTable maps the platform's error codes to iotauth kinds; a code it
// does not list is mapped by its HTTP status.
var errorTable = httpc.Table{
	{Code: "ApplyTokenOverFlow", Kind: iotauth.ErrRateLimited},
	{Code: "SystemOverFlow", Kind: iotauth.ErrRateLimited},
	{Code: "Throttling*", Kind: iotauth.ErrRateLimited},
	{Code: "InvalidAccessKeyId*", Kind: iotauth.ErrInvalidCredentials},
	{Code: "SignatureDoesNotMatch", Kind: iotauth.ErrInvalidCredentials},
	{Code: "CheckAccountInfoFailed", Kind: iotauth.ErrInvalidCredentials},
	{Code: "InvalidSecurityToken*", Kind: iotauth.ErrInvalidCredentials},
	{Code: "InstancePermissionCheckFailed", Kind: iotauth.ErrForbidden},
	{Code: "PermissionCheckFailed", Kind: iotauth.ErrForbidden},
	{Code: "Forbidden*", Kind: iotauth.ErrForbidden},
	{Code: "ParameterCheckFailed", Kind: iotauth.ErrBadRequest},
	{Code: "InvalidParameter*", Kind: iotauth.ErrBadRequest},
	{Code: CodeDeviceCredentialNumExceed, Kind: iotauth.ErrQuotaExceeded},
	{Code: CodeDeviceCredentialExsit, Kind: iotauth.ErrBadRequest},
	{Code: CodeDeviceCredentialNotFound, Kind: iotauth.ErrBadRequest},
	{Code: "InternalError", Kind: iotauth.ErrServer},
	{Code: "ServiceUnavailable*", Kind: iotauth.ErrServer},
}

// errorBody is the platform's error answer.
type errorBody struct {
	RequestID string           `json:"RequestId"`
	HostID    string           `json:"HostId"`
	Code      httpc.FlexString `json:"Code"`
	Message   string           `json:"Message"`
	Recommend string           `json:"Recommend"`
}

// fail turns an HTTP error answer into an *iotauth.Error. An answer that is
// not the documented JSON error body (a gateway's HTML page) is mapped by
// its HTTP status alone.
func (c *Client) fail(res *httpc.Response) error {
	var body errorBody
	if err := c.http.DecodeJSON(res, &body); err != nil || body.Code == "" {
		var e *iotauth.Error
		msg := "no platform error body"
		if errors.As(err, &e) {
			msg = e.Message
		}
		return c.http.Fail(res, httpc.StatusKind(res.Status), "", msg, body.RequestID)
	}
	code := string(body.Code)
	return c.http.Fail(res, errorTable.Kind(code, res.Status), code, body.Message, body.RequestID)
}

// hasCode reports whether err is a platform error with this code.
func hasCode(err error, code string) bool {
	var e *iotauth.Error
	return errors.As(err, &e) && e.Code == code
}
