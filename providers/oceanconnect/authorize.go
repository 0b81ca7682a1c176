package oceanconnect

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// appKeyHeader names the application on every call. It is sent spelled
// exactly as the platform documents it, not canonicalized to "App_key":
// header names are case-insensitive, but some gateways in front of the
// platform compare them literally.
const appKeyHeader = "app_key"

// Authorize sets the two headers every OceanConnect call but the login
// wants: "app_key: <appId>" and "Authorization: Bearer <accessToken>".
func (p *Provider) Authorize(req *http.Request, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("oceanconnect: Authorize: no access token")
	}
	req.Header.Del(appKeyHeader)
	req.Header[appKeyHeader] = []string{p.appID}
	req.Header.Set("Authorization", t.Type()+" "+t.AccessToken)
	return nil
}

// peekLimit is how much of a 403 body TokenRejected reads: error bodies
// are small.
const peekLimit = 4 << 10

// TokenRejected reports whether resp says the token was rejected: HTTP 401,
// or HTTP 403 with error_code 1010005 (invalid access token), which is what
// a token invalidated by a newer login gets. The body is left for the
// caller to read.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		var b errorBody
		if json.Unmarshal(httpc.PeekBody(resp, peekLimit), &b) != nil {
			return false
		}
		return errorTable.Kind(string(b.Code), 0) == iotauth.ErrTokenRejected
	}
	return false
}
