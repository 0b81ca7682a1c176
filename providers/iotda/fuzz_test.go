package iotda

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/kindtest"
)

// FuzzTokenResponse feeds IAM answers (status, X-Subject-Token, body) to
// the parser: it returns a token that expires within 100 years and after
// now, or a typed error; it never panics. An answer without a documented
// credential code is never a credential failure.
func FuzzTokenResponse(f *testing.F) {
	f.Add(201, "MIItoken", []byte(`{"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}}`))
	f.Add(201, "", []byte(`{"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}}`))
	f.Add(201, "MIItoken", []byte(`{"token":{"expires_at":"9999-12-31T23:59:59Z"}}`))
	f.Add(401, "", []byte(`{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`))
	f.Add(401, "", []byte(`{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`))
	f.Add(502, "", []byte(`<html>bad gateway</html>`))
	p, err := New(Config{Endpoint: "https://iotda.example.com", DomainName: "d", UserName: "u", Password: "p", ProjectName: "x"})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, token string, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}}
		if token != "" {
			h.Set(subjectTokenHeader, token)
		}
		res := &httpc.Response{Op: "token", Status: status, Header: h, Body: body}
		tok, err := tokenFrom(p.http, res, now)
		if err != nil {
			if tok != nil {
				t.Fatal("a token and an error")
			}
			kindtest.RequireTyped(t, err)
			if iotauth.IsCredentialFailure(err) && !strings.Contains(string(body), "40") {
				t.Fatalf("a credential failure from an answer without a documented code: %v", err)
			}
			return
		}
		if tok.AccessToken == "" || !tok.Expiry.After(now) || tok.Expiry.After(now.Add(100*365*24*time.Hour)) {
			t.Fatalf("bad token %v", tok)
		}
	})
}

// FuzzDeviceLogin builds logins from any id and secret: a login's client id
// is the id, "_0_1_" and ten digits, its user name the id, its password 64
// hex digits; anything else is an ErrBadRequest.
func FuzzDeviceLogin(f *testing.F) {
	f.Add("6543_sensor-1", "secret")
	f.Add("a/b", "secret")
	f.Add("", "")
	f.Add("dev\n", "s")
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, id, secret string) {
		l, err := DeviceLogin(id, iotauth.Secret(secret), at)
		if err != nil {
			if !errors.Is(err, iotauth.ErrBadRequest) {
				t.Fatalf("error %v is not a bad request", err)
			}
			if secret != "" && strings.Contains(err.Error(), secret) && len(secret) > 3 {
				t.Fatalf("error %v holds the secret", err)
			}
			return
		}
		if l.ClientID != id+"_0_1_2026120309" || l.Username != id || len(l.Password) != 64 || !deviceIDForm.MatchString(id) {
			t.Fatalf("bad login %+v for %q", l, id)
		}
	})
}
