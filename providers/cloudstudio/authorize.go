package cloudstudio

import (
	"errors"
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// rejectionPeek is how much of an error body TokenRejected reads; an
// Exception object is far smaller.
const rejectionPeek = 64 << 10

// Authorize puts t on req: "Authorization: Bearer <token>", or the
// accessToken query parameter when Config.QueryToken is set.
func (p *Provider) Authorize(req *http.Request, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("cloudstudio: no access token to authorize the request with")
	}
	if p.query {
		q := req.URL.Query()
		q.Set("accessToken", t.AccessToken)
		req.URL.RawQuery = q.Encode()
		return nil
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	return nil
}

// TokenRejected reports whether resp refuses the token it was sent with:
// HTTP 401, or the platform's own way, HTTP 500 with an Exception whose
// FaultCode is 8001. The body is left for the caller to read.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return true
	case resp.StatusCode < 400:
		return false
	}
	exc := decodeException(httpc.PeekBody(resp, rejectionPeek))
	return exc != nil && errorTable.Kind(string(exc.FaultCode), 0) == iotauth.ErrTokenRejected
}
