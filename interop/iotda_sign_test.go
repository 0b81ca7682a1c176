package interop

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/iotda"
)

// The access key of the signature tests: the SDK's signer and iotda's sign
// the same request with it.
const (
	hwAccessKey = "HPUAIOTAUTHTESTKEY01"
	hwSecretKey = iotauth.Secret("iotauth-test-secret-key-0123456789abcdef")
)

// signCase is one request, given to both signers.
type signCase struct {
	name    string
	method  string
	host    string
	path    string
	query   map[string][]string
	headers map[string]string
	body    string
}

var signCases = []signCase{
	{name: "GET with a query", method: http.MethodGet, host: "iotda.cn-north-4.myhuaweicloud.com",
		path:  "/v5/iot/0f5a1c2b3d4e5f60718293a4b5c6d7e8/devices",
		query: map[string][]string{"limit": {"10"}, "product_id": {"6543_ab"}, "marker": {"ffffffffffffffffffffffff"}}},
	{name: "POST JSON", method: http.MethodPost, host: "iotda.cn-north-4.myhuaweicloud.com",
		path:    "/v5/iot/0f5a1c2b3d4e5f60718293a4b5c6d7e8/devices",
		headers: map[string]string{"Content-Type": "application/json;charset=UTF-8", "X-Project-Id": "0f5a1c2b3d4e5f60718293a4b5c6d7e8"},
		body:    `{"node_id":"sensor-1","product_id":"6543","auth_info":{"secret":"s3cret"}}`},
	{name: "PUT form (unsigned payload)", method: http.MethodPut, host: "example.myhuaweicloud.com:8443",
		path:    "/v1/things/a b/c%d",
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "iotauth-interop"},
		body:    "a=1&b=2"},
	{name: "DELETE, query needing escapes, repeated values", method: http.MethodDelete, host: "h.example.com",
		path:  "/v5/iot/p/devices/d_1/",
		query: map[string][]string{"tag": {"z", "a b", "é"}, "empty": {""}, "x~y": {"1*2"}},
		headers: map[string]string{"X-Custom-Header": "  padded value  ", "Instance-Id": "e8c21a49-0f3d-4b6f",
			"Under_Score": "left out"}},
}

// TestSign_EqualsHuaweiSDKSigner signs each request with iotda.Sign and with
// huaweicloud-sdk-go-v3's signer at the same date: the Authorization
// headers are equal byte for byte.
func TestSign_EqualsHuaweiSDKSigner(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 48, 12, 0, time.UTC)
	for _, c := range signCases {
		t.Run(c.name, func(t *testing.T) {
			// iotauth's side: a Go request as a client would send it.
			u := "https://" + c.host + escapePath(c.path)
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			var req *http.Request
			var err error
			if body != nil {
				req, err = http.NewRequest(c.method, u, body)
			} else {
				req, err = http.NewRequest(c.method, u, nil)
			}
			require.NoError(t, err)
			q := req.URL.Query()
			for k, vs := range c.query {
				for _, v := range vs {
					q.Add(k, v)
				}
			}
			req.URL.RawQuery = q.Encode()
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			require.NoError(t, iotda.Sign(req, hwAccessKey, hwSecretKey, at))

			// The SDK's side: the same request in its own form. Its signer
			// signs the header params it is given; host is one of them, as
			// iotda signs it.
			b := request.NewHttpRequestBuilder().WithEndpoint("https://"+c.host).WithPath(c.path).WithMethod(c.method).
				AddHeaderParam("Host", c.host).AddHeaderParam("X-Sdk-Date", at.Format("20060102T150405Z"))
			for k, vs := range c.query {
				if len(vs) == 1 {
					b.AddQueryParam(k, reflect.ValueOf(vs[0]))
				} else {
					b.AddQueryParam(k, reflect.ValueOf(vs))
				}
			}
			for k, v := range c.headers {
				b.AddHeaderParam(k, v)
			}
			if c.body != "" {
				b.WithBody("body", c.body)
			}
			got, err := signer.Sign(b.Build(), hwAccessKey, string(hwSecretKey))
			require.NoError(t, err)

			assert.Equal(t, got["Authorization"], req.Header.Get("Authorization"))
			assert.Equal(t, got["X-Sdk-Date"], req.Header.Get("X-Sdk-Date"))
			assert.True(t, strings.HasPrefix(req.Header.Get("Authorization"), "SDK-HMAC-SHA256 Access="+hwAccessKey+", SignedHeaders="))
		})
	}
}

// escapePath escapes what a URL path cannot hold as it is.
func escapePath(p string) string {
	return strings.NewReplacer(" ", "%20", "%", "%25").Replace(p)
}
