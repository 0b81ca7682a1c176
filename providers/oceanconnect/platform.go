package oceanconnect

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only, with the app_key and Authorization headers
// (see Authorize), a rejection is what TokenRejected says, a login kills
// the application's previous token, and the store key names the
// application by its base URL and appId, without the secret.
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:          platform,
		Origins:       []string{httpc.OriginOf(p.base)},
		Header:        p.header,
		Rejected:      p.TokenRejected,
		LastTokenOnly: true, // "only the last token obtained is valid"
		StoreKey:      iotauth.StoreKey(platform, p.base, p.appID),
	}
}

// appKeyHeader names the application on every call. It is sent spelled
// exactly as the platform documents it, not canonicalized to "App_key":
// header names are case-insensitive, but some gateways in front of the
// platform compare them literally.
const appKeyHeader = "app_key"

// header is the two headers every call but the login carries.
func (p *Provider) header(t *iotauth.Token) http.Header {
	return http.Header{appKeyHeader: {p.appID}, "Authorization": {t.Type() + " " + t.AccessToken}}
}

// Authorize sets the two headers every OceanConnect call but the login
// wants: "app_key: <appId>" and "Authorization: Bearer <accessToken>".
func (p *Provider) Authorize(req *http.Request, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("oceanconnect: Authorize: no access token")
	}
	req.Header.Del(appKeyHeader)
	for k, v := range p.header(t) {
		req.Header[k] = v
	}
	return nil
}

// TokenRejected reports whether resp says the token was rejected: HTTP 401,
// or HTTP 403 with error_code 1010005 (invalid access token), which is what
// a token invalidated by a newer login gets. The body is left for the
// caller to read.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	return errorTable.TokenRejected(resp, errorCode)
}

// errorCode reads the error code of an error body; "" if it has none.
func errorCode(body []byte) string {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	return string(b.Code)
}
