package iotda

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// authTokenHeader carries an IAM token on every IoTDA call.
const authTokenHeader = "X-Auth-Token"

// Describe tells an iotauth Cache and Transport about the platform:
// credentials go to Endpoint's origin only; an IAM token travels as
// X-Auth-Token, while with an access key each request is signed instead
// (Authorize); a rejection is what TokenRejected says; the store key names
// the IAM user and project, or the access key, without a secret. A new IAM
// token leaves the earlier ones valid, so LastTokenOnly is false.
func (p *Provider) Describe() iotauth.Platform {
	d := iotauth.Platform{
		Name:     platform,
		Origins:  []string{httpc.OriginOf(p.base)},
		Header:   p.header,
		Rejected: p.TokenRejected,
		StoreKey: iotauth.StoreKey(platform, p.iam, p.domain+"|"+p.user+"|"+p.project),
	}
	if p.signing() {
		d.Header, d.Authorize = noHeader, p.Authorize
		d.StoreKey = iotauth.StoreKey(platform, p.base, "ak|"+p.accessKey)
	}
	return d
}

// header is "X-Auth-Token: <token>", the header of every IoTDA call made
// with an IAM token.
func (p *Provider) header(t *iotauth.Token) http.Header {
	return http.Header{authTokenHeader: {t.AccessToken}}
}

// noHeader leaves everything to Authorize: a signature depends on the
// request.
func noHeader(*iotauth.Token) http.Header { return nil }

// Authorize attaches t to req: X-Auth-Token for an IAM token, or, with an
// access key, the request's signature at the current time (see Sign). req's
// header map is modified.
func (p *Provider) Authorize(req *http.Request, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return httpc.Refuse(platform, "authorize", "no token to authorize with")
	}
	if req == nil {
		return httpc.Refuse(platform, "authorize", "no request to authorize")
	}
	if !p.signing() {
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		req.Header.Set(authTokenHeader, t.AccessToken)
		return nil
	}
	return Sign(req, p.accessKey, p.secretKey, time.Now())
}

// TokenRejected reports whether resp says the credential sent with it was
// rejected: HTTP 401 (API Gateway's APIGW.0301, an expired, revoked or
// unknown token or a wrong signature), or HTTP 403 with an error code the
// table names a token rejection. The body is left for the caller to read.
func (p *Provider) TokenRejected(resp *http.Response) bool {
	return errorTable.TokenRejected(resp, errorCode)
}

// errorCode reads the error code of an error body; "" if it has none.
func errorCode(body []byte) string {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	return b.code()
}
