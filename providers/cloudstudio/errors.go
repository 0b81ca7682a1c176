package cloudstudio

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Keys of errorTable. The platform answers every failure with an
// Exception; its FaultCode names a rejected token (8001), while refused
// creations are told apart only by their Message, so they get synthetic keys.
const (
	faultTokenInvalid = "8001"                 // the access token is invalid or not allowed
	keyCaptcha        = "create:captcha"       // "Please complete the captcha"
	keyDuplicate      = "create:duplicate"     // the previous creation had the same description
	keyLoginRefused   = "create:login-refused" // any other refused creation
)

// errorTable maps Cloud Studio's failures to iotauth kinds. A key not
// listed is mapped by its HTTP status.
var errorTable = httpc.Table{
	{Code: faultTokenInvalid, Kind: iotauth.ErrTokenRejected},
	{Code: keyCaptcha, Kind: iotauth.ErrCaptchaRequired},
	{Code: keyDuplicate, Kind: iotauth.ErrBadRequest},
	// The wording for a bad password is not documented: every other
	// refusal is taken as one and latched, so that the account is never
	// locked by a second and third attempt.
	{Code: keyLoginRefused, Kind: iotauth.ErrInvalidCredentials},
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

// failure builds the error for a refused call. A 5xx without an Exception
// is an ErrServer; a refused creation is a credential failure unless it is
// the duplicate description.
func failure(c *httpc.Client, res *httpc.Response) error {
	exc := decodeException(res.Body)
	if exc == nil {
		switch {
		case res.Status >= 500:
			return c.Fail(res, iotauth.ErrServer, "", "no Exception in the answer", "")
		case res.Op == opCreate:
			return c.Fail(res, errorTable.Kind(keyLoginRefused, res.Status), "", "login refused without an Exception", "")
		}
		return c.Fail(res, httpc.StatusKind(res.Status), "", "no Exception in the answer", "")
	}
	key := string(exc.FaultCode)
	if res.Op == opCreate {
		key = createKey(exc.Message)
	}
	kind := errorTable.Kind(key, res.Status)
	msg := exc.Message
	if kind == iotauth.ErrCaptchaRequired {
		msg += captchaAdvice
	}
	return c.Fail(res, kind, string(exc.FaultCode), msg, "")
}

// createKey names a refused creation by its message.
func createKey(message string) string {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "captcha"):
		return keyCaptcha
	case strings.Contains(m, "description"):
		return keyDuplicate
	}
	return keyLoginRefused
}
