package cloudstudio

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// doc is the document every row of errorTable cites, by its title as
// docs/platforms.md lists it; each row names the section.
const doc = "Cloud Studio, 持久访问令牌 (persistent access tokens)"

// Keys of errorTable. The platform answers every failure with HTTP 500 and
// an Exception. Its FaultCode 8001 is documented; refused creations are told
// apart only by their Message, so they get keys of their own. A key names
// the call too, because 8001 means something else on each.
const (
	keyCreateCaptcha     = "create:captcha"     // "Please complete the captcha"
	keyCreateCredentials = "create:credentials" // a message about the login, e-mail, password or credentials
	keyCreateDuplicate   = "create:duplicate"   // the previous creation had the same description
	keyCreate8001        = "create:8001"        // the login may not create tokens for this client
	keyDelete8001        = "delete:8001"        // the delete was refused
	keyService8001       = "service:8001"       // the access token is invalid or not allowed
)

// faultTokenInvalid is the documented FaultCode of "The access token is
// invalid or it doesn't have sufficient permissions to execute the
// requested operation".
const faultTokenInvalid = "8001"

// errorTable is the provider's one classification of Cloud Studio's
// answers. Anything it does not list (another FaultCode or Message, an
// answer without an Exception, a gateway's page) is transient
// (httpc.Unknown): backed off by the Cache, never latched.
var errorTable = httpc.Table{
	{Code: keyCreateCaptcha, Kind: iotauth.ErrCaptchaRequired,
		Doc: doc + ", Considerations › Repeated incorrect credentials: \"Please complete the captcha\""},
	{Code: keyCreateCredentials, Kind: iotauth.ErrInvalidCredentials,
		Doc: doc + ", Considerations › Repeated incorrect credentials: incorrect Email / Password (wording undocumented: a message about the login, e-mail, password or credentials, in English or Spanish)"},
	{Code: keyCreateDuplicate, Kind: iotauth.ErrBadRequest,
		Doc: doc + ", Considerations › Duplicate description"},
	{Code: keyCreate8001, Kind: iotauth.ErrForbidden,
		Doc: doc + ", Deleting › Response: FaultCode 8001, \"doesn't have sufficient permissions\"; Creating › (*) permissions are the user's"},
	{Code: keyDelete8001, Kind: iotauth.ErrRevokeRefused,
		Doc: doc + ", Deleting › Response: HTTP 500 \"should be considered a failed request\", FaultCode 8001"},
	{Code: keyService8001, Kind: iotauth.ErrTokenRejected,
		Doc: doc + ", Deleting › Response: FaultCode 8001 \"The access token is invalid\"; Platform services … with persistent 访问令牌"},
}

// captchaAdvice is appended to the captcha error's message.
const captchaAdvice = " (the account is locked after repeated bad logins: log in once in the Cloud Studio web console " +
	"with the right e-mail and password, completing the captcha, then try again)"

// exception is the platform's error object, sent with HTTP 500.
type exception struct {
	ClassName string
	FaultCode httpc.FlexString
	FaultData json.RawMessage
	Message   string
}

// decodeException returns the Exception a body holds, or nil when it holds
// none (an empty body, another object, an HTML page, bad JSON).
func decodeException(body []byte) *exception {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil
	}
	var b struct{ Exception *exception }
	if err := json.Unmarshal(body, &b); err != nil {
		return nil
	}
	return b.Exception
}

// errorKey names an Exception answered to the call op ("create", "delete"
// or "service") for errorTable; "" when no row can explain it.
func errorKey(op string, exc *exception) string {
	if string(exc.FaultCode) == faultTokenInvalid {
		return op + ":" + faultTokenInvalid
	}
	if op != "create" {
		return ""
	}
	m := strings.ToLower(exc.Message)
	switch {
	case strings.Contains(m, "captcha"):
		return keyCreateCaptcha
	case strings.Contains(m, "description"):
		return keyCreateDuplicate
	case containsAny(m, "password", "credential", "login", "e-mail", "email", "contraseña", "credencial", "usuario"):
		return keyCreateCredentials
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// callOf names the table's call for an httpc operation.
func callOf(op string) string {
	switch op {
	case opCreate:
		return "create"
	case opDelete:
		return "delete"
	}
	return "service"
}

// fail builds the error for a refused call.
func fail(c *httpc.Client, res *httpc.Response) error {
	exc := decodeException(res.Body)
	if exc == nil {
		return c.Fail(res, httpc.Unknown(res.Status), "", "no Exception in the answer", "")
	}
	kind := errorTable.Kind(errorKey(callOf(res.Op), exc), res.Status)
	msg := exc.Message
	if kind == iotauth.ErrCaptchaRequired {
		msg += captchaAdvice
	}
	return c.Fail(res, kind, string(exc.FaultCode), msg, "")
}
