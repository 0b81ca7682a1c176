package iotda

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
	p, err := New(user())
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		rejected bool
	}{
		{"401 APIGW.0301", 401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: token expires","request_id":"r"}`, true},
		{"401 without a body", 401, ``, true},
		{"401 with an HTML page", 401, `<html>Unauthorized</html>`, true},
		{"403 APIG.0301", 403, `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}`, true},
		{"403 IAM access denied", 403, `{"error":{"code":403,"message":"The user is disabled.","title":"Forbidden"}}`, false},
		{"403 without a code", 403, `{}`, false},
		{"403 HTML page", 403, `<html>Forbidden</html>`, false},
		{"429 APIGW.0308", 429, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`, false},
		{"200 that mentions APIGW.0301", 200, `{"error_code":"APIGW.0301"}`, false},
		{"500", 500, `{"error_code":"IOTDA.000006"}`, false},
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
	p, err := New(user())
	require.NoError(t, err)
	assert.False(t, p.TokenRejected(&http.Response{StatusCode: 403, Body: http.NoBody}))
	assert.False(t, p.TokenRejected(&http.Response{StatusCode: 403}))
}

func TestAuthorize_NilArguments_AreBadRequests(t *testing.T) {
	p, err := New(user())
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, "https://iotda.example.com/", nil)
	require.NoError(t, err)
	assert.Error(t, p.Authorize(req, nil))
	assert.Error(t, p.Authorize(nil, nil))
	assert.Empty(t, req.Header)
}
