package httpc

import (
	"net/http"
	"strings"

	"github.com/iotauth/iotauth"
)

// Rule maps a platform error code to an iotauth kind. A Code ending in "*"
// matches every code with that prefix ("Throttling*", "InvalidParameter.*").
type Rule struct {
	Code string
	Kind error
}

// Table is a provider's one error-mapping table. The first matching rule
// wins; a code no rule matches is mapped by its HTTP status.
type Table []Rule

// Kind returns the kind for a platform code and HTTP status.
func (t Table) Kind(code string, status int) error {
	for _, r := range t {
		if p, ok := strings.CutSuffix(r.Code, "*"); ok {
			if strings.HasPrefix(code, p) {
				return r.Kind
			}
		} else if r.Code == code {
			return r.Kind
		}
	}
	return StatusKind(status)
}

// StatusKind maps an HTTP status to a kind, for answers without a known code.
func StatusKind(status int) error {
	switch {
	case status == http.StatusTooManyRequests:
		return iotauth.ErrRateLimited
	case status == http.StatusUnauthorized:
		return iotauth.ErrInvalidCredentials
	case status == http.StatusForbidden:
		return iotauth.ErrForbidden
	case status >= 500:
		return iotauth.ErrServer
	case status >= 400:
		return iotauth.ErrBadRequest
	}
	return iotauth.ErrMalformedResponse
}
