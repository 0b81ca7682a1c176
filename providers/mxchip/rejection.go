package mxchip

import (
	"net/http"

	"github.com/iotauth/iotauth/internal/httpc"
)

// rejectionPeek is how much of a body TokenRejected reads: a rejection is a
// short envelope, so a longer body is an answer, not a rejection.
const rejectionPeek = 4 << 10

// TokenRejected reports whether resp says the token sent with it was
// rejected: HTTP 401, or an envelope with meta.code 10100 (expired) or
// 10101 (token error), which the platform sends with HTTP 200. The body is
// left in place, unread, for the caller.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	return rejectionCode(httpc.PeekBody(resp, rejectionPeek))
}
