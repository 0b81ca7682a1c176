package iotauth

import (
	"errors"
	"strconv"
	"strings"
)

// Kinds of failure, for errors.Is. Every error a provider returns for a
// platform's answer is an *Error whose Kind is one of these.
var (
	// ErrInvalidCredentials: the platform refused the account's id or secret.
	// Latched by the Cache: retrying cannot help and may lock the account.
	ErrInvalidCredentials = errors.New("iotauth: invalid credentials")
	// ErrTokenRejected: the platform no longer accepts an access token.
	ErrTokenRejected = errors.New("iotauth: token rejected")
	// ErrRateLimited: the platform throttled the call; retried with backoff.
	ErrRateLimited = errors.New("iotauth: rate limited")
	// ErrCaptchaRequired: the account is locked until a person logs in once
	// in the platform's web console. Latched.
	ErrCaptchaRequired = errors.New("iotauth: captcha required")
	// ErrForbidden: the account or application may not do this (frozen,
	// no permission). Latched.
	ErrForbidden = errors.New("iotauth: forbidden")
	// ErrBadRequest: the platform refused the request's parameters.
	ErrBadRequest = errors.New("iotauth: bad request")
	// ErrServer: the platform or the network failed; retried with backoff.
	ErrServer = errors.New("iotauth: server error")
	// ErrMalformedResponse: the platform answered with something that is not
	// the documented response (bad JSON, an HTML page, an oversized body, a
	// missing field, a non-positive lifetime).
	ErrMalformedResponse = errors.New("iotauth: malformed response")
	// ErrQuotaExceeded: a platform quota is used up (Alibaba's device
	// credential limit); retrying does not help until something is released.
	ErrQuotaExceeded = errors.New("iotauth: quota exceeded")
	// ErrRedirect: a platform call was redirected to another origin (scheme,
	// host or port), or a request with a body was redirected at all. The
	// redirect is refused so that no credential follows it.
	ErrRedirect = errors.New("iotauth: redirect refused")
	// ErrClosed: the Cache was closed; no token is served or fetched any more.
	ErrClosed = errors.New("iotauth: cache closed")
	// ErrRevokeRefused: the platform refused to delete or revoke a
	// credential (Cloud Studio's DeleteClientAccessToken answering FaultCode
	// 8001). The credential may still be valid on the platform until it
	// expires; it is never retried blindly.
	ErrRevokeRefused = errors.New("iotauth: revoke refused")
)

// Error is a failed platform call. It carries the platform's own code and
// request id for support tickets, and never a secret or a token.
type Error struct {
	Platform   string // "oceanconnect", "mxchip", "cloudstudio", "alimqtt", …
	Op         string // the call, such as "login" or "RegisterDeviceCredential"
	HTTPStatus int    // 0 when no response arrived
	Code       string // the platform's error code, such as "100208"
	Message    string // the platform's error text
	RequestID  string // the platform's request id, when it sends one
	Kind       error  // one of the Err* sentinels
	Err        error  // the underlying cause, such as a network error, if any
}

// Error describes the failure: the platform, the operation, the kind, the
// platform's code, message and request id, and the cause. It never holds a
// secret.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("iotauth")
	if e.Platform != "" {
		b.WriteString(": " + e.Platform)
	}
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "iotauth: "))
	} else {
		b.WriteString("error")
	}
	if e.HTTPStatus != 0 {
		b.WriteString(" (HTTP " + strconv.Itoa(e.HTTPStatus) + ")")
	}
	if e.Code != "" {
		b.WriteString(" code=" + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// Unwrap exposes Kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// IsCredentialFailure reports whether err means the account itself was
// refused (invalid credentials, captcha lock, forbidden). The Cache latches
// such failures instead of retrying.
func IsCredentialFailure(err error) bool {
	return errors.Is(err, ErrInvalidCredentials) || errors.Is(err, ErrCaptchaRequired) || errors.Is(err, ErrForbidden)
}

// IsRetryable reports whether trying again later may succeed: a server or
// network failure, throttling or a malformed answer.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrMalformedResponse)
}
