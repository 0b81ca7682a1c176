// Package kindtest holds the providers' test check that an error is one of
// iotauth's typed errors.
package kindtest

import (
	"errors"
	"testing"

	"github.com/iotauth/iotauth"
)

// kinds are the sentinels a provider's failure may be: every kind of
// errors.go but ErrClosed, which only a Cache returns.
var kinds = []error{
	iotauth.ErrInvalidCredentials, iotauth.ErrTokenRejected, iotauth.ErrRateLimited,
	iotauth.ErrCaptchaRequired, iotauth.ErrForbidden, iotauth.ErrBadRequest, iotauth.ErrServer,
	iotauth.ErrMalformedResponse, iotauth.ErrQuotaExceeded, iotauth.ErrRedirect, iotauth.ErrRevokeRefused,
}

// RequireTyped fails t unless err is an *iotauth.Error of a known kind.
func RequireTyped(t testing.TB, err error) {
	t.Helper()
	var e *iotauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is a %T, not an *iotauth.Error", err, err)
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return
		}
	}
	t.Fatalf("error %v has no known kind", err)
}
