package oceanconnect

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth/internal/kindtest"
)

// FuzzTokenResponse feeds login and refresh answers to the parser: it must
// return a valid token or a typed error, never panic, never a zero token.
func FuzzTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"scope":"default","tokenType":"Bearer ","expiresIn":"3600","accessToken":"at","refreshToken":"rt"}`))
	f.Add(401, []byte(`{"error_code":"100208","error_desc":"AppId or secret is not right."}`))
	p := testProvider(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		tok, err := parseToken(p.http, response(status, string(body)), time.Now())
		if err != nil {
			if tok != nil {
				t.Fatalf("token %v with error %v", tok, err)
			}
			kindtest.RequireTyped(t, err)
			return
		}
		if tok == nil || tok.AccessToken == "" || !tok.Expiry.After(tok.IssuedAt) || tok.Type() == "" {
			t.Fatalf("nil error with an invalid token %#v", tok)
		}
		if status < 200 || status > 299 {
			t.Fatalf("a token from HTTP %d", status)
		}
	})
}

// FuzzErrorResponse feeds error answers to the error mapping: it must always
// return a typed error.
func FuzzErrorResponse(f *testing.F) {
	f.Add(400, []byte(`{"error_code":"102202","error_desc":"Required Parameter is null or empty."}`))
	p := testProvider(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			status = 400
		}
		err := fail(p.http, response(status, string(body)))
		if err == nil {
			t.Fatal("nil error for a refusal")
		}
		kindtest.RequireTyped(t, err)
	})
}

// FuzzTokenRejected feeds answers to the rejection classifier: it must not
// panic, must leave the body intact, and must say true for every 401.
func FuzzTokenRejected(f *testing.F) {
	f.Add(403, []byte(`{"error_code":"1010005","error_desc":"Invalid access token."}`))
	p := testProvider(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(string(body)))}
		got := p.TokenRejected(resp)
		if status == http.StatusUnauthorized && !got {
			t.Fatal("a 401 is a rejection")
		}
		if status != http.StatusUnauthorized && status != http.StatusForbidden && got {
			t.Fatalf("HTTP %d classified as a rejection", status)
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != string(body) {
			t.Fatalf("body not left intact: %q, %v", rest, err)
		}
	})
}
