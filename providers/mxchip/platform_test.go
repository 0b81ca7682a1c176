package mxchip

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func response(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
}

func TestTokenRejected_ClassifiesWithoutConsumingTheBody(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s"})
	require.NoError(t, err)
	long := `{"meta":{"message":"product id list","code":0},"data":[` +
		strings.Repeat(`{"productid":"f164aaf856f","pname":"x"},`, 500) + `{"productid":"b","pname":"y"}]}`
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		rejected bool
	}{
		{"10100 token expired with HTTP 200", 200, `{"meta":{"message":"token is expired","code":10100},"data":{}}`, true},
		{"10101 token error with HTTP 200", 200, `{"meta":{"message":"token is error","code":10101},"data":{}}`, true},
		{"10101 as a string", 200, `{"meta":{"message":"token is error","code":"10101"},"data":{}}`, true},
		{"HTTP 401 without a body", 401, ``, true},
		{"HTTP 401 with an HTML page", 401, `<html>Unauthorized</html>`, true},
		{"success", 200, `{"meta":{"message":"product id list","code":0},"data":[]}`, false},
		{"long success", 200, long, false},
		{"10000 bad params", 200, `{"meta":{"message":"app_id not found","code":10000},"data":{}}`, false},
		{"10050 internal error", 500, `{"meta":{"message":"internal error","code":10050},"data":{}}`, false},
		{"HTML page", 502, `<html><body>502 Bad Gateway</body></html>`, false},
		{"truncated JSON", 200, `{"meta":{"message":"token is expired","code":101`, false},
		{"empty body", 200, ``, false},
		{"HTTP 403", 403, `{}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := response(tc.status, tc.body)
			assert.Equal(t, tc.rejected, p.TokenRejected(resp))
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(rest), "the body is left for the caller")
			require.NoError(t, resp.Body.Close())
		})
	}
}

func TestTokenRejected_NilBody_IsNotRejected(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s"})
	require.NoError(t, err)
	assert.False(t, p.TokenRejected(&http.Response{StatusCode: 200, Body: http.NoBody}))
	assert.False(t, p.TokenRejected(&http.Response{StatusCode: 200}))
}
