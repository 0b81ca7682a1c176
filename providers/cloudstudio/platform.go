package cloudstudio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only, attached by Authorize, a rejection is what
// TokenRejected says, and the store key names the account and client by
// their base URL, e-mail and client id, without the password.
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:      platform,
		Origins:   []string{httpc.OriginOf(p.base)},
		Header:    noHeader,
		Authorize: p.Authorize,
		Rejected:  p.TokenRejected,
		StoreKey:  iotauth.StoreKey(platform, p.base, fmt.Sprintf("%s|%d", p.email, p.clientID)),
	}
}

// noHeader leaves every header to Authorize: where the token goes depends
// on the request (header, query or JSON body).
func noHeader(*iotauth.Token) http.Header { return nil }

// rejectionPeek is how much of an error body TokenRejected reads; an
// Exception object is far smaller.
const rejectionPeek = 64 << 10

// maxServiceBody bounds the request body Authorize rewrites.
const maxServiceBody = httpc.MaxBody

// accessTokenField is the body field and query parameter that carry the
// token on Cloud Studio.
const accessTokenField = "accessToken"

// Authorize puts t where the endpoint of req wants it:
//
//   - a service call (/services/…/*.svc/…, such as
//     DeviceIntegrationService.svc/UpdateDeviceGeolocation) takes it in its
//     JSON object body as "accessToken", which Authorize sets, replacing any
//     accessToken already there (a POST without a body gets the body
//     {"accessToken": …}); a GET service call takes it as the accessToken
//     query parameter;
//   - any other call (the HTTP API, /api/v2/…) takes it in the
//     "Authorization: Bearer" header, or as the accessToken query parameter
//     with Config.QueryToken.
//
// req is the Transport's clone: its body is replaced by the rewritten one,
// with a GetBody that returns it again.
func (p *Provider) Authorize(req *http.Request, t *iotauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("cloudstudio: no access token to authorize the request with")
	}
	switch {
	case isServiceCall(req) && req.Method != http.MethodGet && req.Method != http.MethodHead:
		return setBodyToken(req, t.AccessToken)
	case isServiceCall(req) || p.query:
		q := req.URL.Query()
		q.Set(accessTokenField, t.AccessToken)
		req.URL.RawQuery = q.Encode()
		return nil
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	return nil
}

// isServiceCall reports whether req calls one of the platform's WCF
// services, /services/<area>/<Name>.svc/<Method>.
func isServiceCall(req *http.Request) bool {
	if req.URL == nil {
		return false
	}
	path := strings.ToLower(req.URL.Path)
	return strings.HasPrefix(path, "/services/") && strings.Contains(path, ".svc/")
}

// setBodyToken sets the accessToken field of req's JSON object body to
// token. A body that is not one JSON object is refused: the platform would
// not find the token in it.
func setBodyToken(req *http.Request, token string) error {
	if ct := req.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return errors.New("cloudstudio: a service call takes the access token in a JSON body, not " + mt)
		}
	}
	var raw []byte
	var err error
	if req.Body != nil {
		raw, err = io.ReadAll(io.LimitReader(req.Body, maxServiceBody+1))
		_ = req.Body.Close()
	}
	if err != nil {
		return errors.New("cloudstudio: reading the service call's body: " + err.Error())
	}
	if len(raw) > maxServiceBody {
		return errors.New("cloudstudio: the service call's body is larger than 10 MiB")
	}
	body, err := withField(raw, accessTokenField, token)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.TransferEncoding = nil
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Header.Set("Content-Type", "application/json")
	return nil
}

// withField returns the JSON object raw (empty: {}) with name set to value,
// every other member kept as sent.
func withField(raw []byte, name, value string) ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&fields); err != nil || fields == nil || dec.More() {
			return nil, errors.New("cloudstudio: a service call's body must be one JSON object, to carry the access token")
		}
	}
	v, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	for k := range fields {
		if strings.EqualFold(k, name) {
			delete(fields, k)
		}
	}
	fields[name] = v
	return json.Marshal(fields)
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
	return exc != nil && errorTable.Kind(errorKey("service", exc), 0) == iotauth.ErrTokenRejected
}
