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

// The documents errorTable cites, by title and section as docs/platforms.md
// lists them.
const (
	docCred   = "Alibaba Cloud MQTT, RegisterDeviceCredential (一机一密), 错误码"
	docCommon = "Alibaba Cloud OpenAPI, 错误代码表 (common error codes)"
	docSTS    = "Alibaba Cloud STS, error codes"
)

// errorTable is the provider's one classification of the platform's error
// codes. A code it does not list (InvalidTimeStamp.*, SignatureNonceUsed,
// anything new) is transient (httpc.Unknown): backed off, never latched.
var errorTable = httpc.Table{
	{Code: "ApplyTokenOverFlow", Kind: iotauth.ErrRateLimited, Doc: docCred + ": 400 ApplyTokenOverFlow"},
	{Code: "SystemOverFlow", Kind: iotauth.ErrRateLimited, Doc: docCred + ": 500 SystemOverFlow"},
	{Code: "Throttling*", Kind: iotauth.ErrRateLimited, Doc: docCommon + ": 400 Throttling (Throttling.User)"},
	{Code: "InvalidAccessKeyId*", Kind: iotauth.ErrInvalidCredentials, Doc: docCommon + ": 400 InvalidAccessKeyId.NotFound"},
	{Code: "SignatureDoesNotMatch", Kind: iotauth.ErrInvalidCredentials, Doc: docCommon + ": 403 SignatureDoesNotMatch"},
	{Code: "CheckAccountInfoFailed", Kind: iotauth.ErrInvalidCredentials, Doc: docCred + ": 400 CheckAccountInfoFailed (STS token)"},
	{Code: "InvalidSecurityToken*", Kind: iotauth.ErrInvalidCredentials, Doc: docSTS + ": InvalidSecurityToken.*"},
	{Code: "MissingSecurityToken", Kind: iotauth.ErrInvalidCredentials, Doc: docSTS + ": MissingSecurityToken"},
	{Code: "InstancePermissionCheckFailed", Kind: iotauth.ErrForbidden, Doc: docCred + ": 400 InstancePermissionCheckFailed"},
	{Code: "PermissionCheckFailed", Kind: iotauth.ErrForbidden, Doc: docCred + ": 400 PermissionCheckFailed"},
	{Code: "Forbidden*", Kind: iotauth.ErrForbidden, Doc: docCommon + ": 403 Forbidden, Forbidden.RiskControl"},
	{Code: "ParameterCheckFailed", Kind: iotauth.ErrBadRequest, Doc: docCred + ": 400 ParameterCheckFailed"},
	{Code: "InvalidParameter*", Kind: iotauth.ErrBadRequest, Doc: docCred + ": 400 InvalidParameter.%s"},
	{Code: "MissingParameter", Kind: iotauth.ErrBadRequest, Doc: docCommon + ": 400 MissingParameter"},
	{Code: "ApiNotSupport", Kind: iotauth.ErrBadRequest, Doc: docCred + ": 404 ApiNotSupport"},
	{Code: CodeDeviceCredentialNumExceed, Kind: iotauth.ErrQuotaExceeded, Doc: docCred + ": 400 DeviceCredentialNumExceed"},
	{Code: CodeDeviceCredentialExsit, Kind: iotauth.ErrBadRequest, Doc: docCred + ": 400 DeviceCredentialExsit"},
	{Code: CodeDeviceCredentialNotFound, Kind: iotauth.ErrBadRequest, Doc: docCred + ": 400 DeviceCredentialNotFound"},
	{Code: "InternalError", Kind: iotauth.ErrServer, Doc: docCred + ": 500 InternalError"},
	{Code: "ServiceUnavailable*", Kind: iotauth.ErrServer, Doc: docCommon + ": 503 ServiceUnavailable"},
}

// errorBody is the platform's error answer.
type errorBody struct {
	RequestID string           `json:"RequestId"`
	HostID    string           `json:"HostId"`
	Code      httpc.FlexString `json:"Code"`
	Message   string           `json:"Message"`
	Recommend string           `json:"Recommend"`
}

// fail builds the error of a refused call from its answer: the table
// classifies the platform's Code, and the error keeps it and the RequestId.
// An answer that is not the documented JSON error body (a gateway's HTML
// page) is transient.
func fail(c *httpc.Client, res *httpc.Response) error {
	var body errorBody
	if err := c.DecodeJSON(res, &body); err != nil || body.Code == "" {
		var e *iotauth.Error
		msg := "no platform error body"
		if errors.As(err, &e) {
			msg = e.Message
		}
		return c.Fail(res, httpc.Unknown(res.Status), "", msg, body.RequestID)
	}
	code := string(body.Code)
	return c.Fail(res, errorTable.Kind(code, res.Status), code, body.Message, body.RequestID)
}

// hasCode reports whether err is a platform error with this code.
func hasCode(err error, code string) bool {
	var e *iotauth.Error
	return errors.As(err, &e) && e.Code == code
}
