package httpc

import (
	"net/http"
	"strings"

	"github.com/iotauth/iotauth"
)

// Rule maps one documented platform error code to an iotauth kind. A Code
// ending in "*" matches every code with that prefix ("Throttling*",
// "InvalidParameter.*"). Doc names the document and section that defines
// the code, so that every mapping can be checked against its source.
type Rule struct {
	Code string
	Kind error
	Doc  string
}

// Table is a provider's one error-mapping table. The first matching rule
// wins. A code no rule matches is Unknown: never a credential failure.
type Table []Rule

// Kind returns the kind for a platform code and HTTP status.
func (t Table) Kind(code string, status int) error {
	if r, ok := t.Rule(code); ok {
		return r.Kind
	}
	return Unknown(status)
}

// Rule returns the rule for code, if the table has one.
func (t Table) Rule(code string) (Rule, bool) {
	if code == "" {
		return Rule{}, false
	}
	for _, r := range t {
		if p, ok := strings.CutSuffix(r.Code, "*"); ok {
			if strings.HasPrefix(code, p) {
				return r, true
			}
		} else if r.Code == code {
			return r, true
		}
	}
	return Rule{}, false
}

// Unknown is the kind of an answer no table row explains: an unknown code, a
// 5xx, a gateway's page, a bare 401 or 403 without the platform's code. It
// is transient (ErrRateLimited for HTTP 429, else ErrServer), so that the
// Cache backs off and tries again instead of latching the credential on
// something the platform never documented as a refusal of it.
func Unknown(status int) error {
	if status == http.StatusTooManyRequests {
		return iotauth.ErrRateLimited
	}
	return iotauth.ErrServer
}

// RejectionPeek is how much of an error body a rejection check reads:
// error bodies are small.
const RejectionPeek = 4 << 10

// TokenRejected is the rejection rule of a platform that answers a refused
// credential with HTTP 401, or with HTTP 403 and an error code the table
// classifies as iotauth.ErrTokenRejected. code reads the error code from
// the first RejectionPeek bytes of the body ("" when there is none); the
// body is put back for the caller to read.
func (t Table) TokenRejected(resp *http.Response, code func(body []byte) string) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		r, ok := t.Rule(code(PeekBody(resp, RejectionPeek)))
		return ok && r.Kind == iotauth.ErrTokenRejected
	}
	return false
}
