package httpc_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/loopback"
)

// FuzzBaseURL: a base URL New accepts is absolute, https (or http to a
// loopback host, or allowed), without user info, query or fragment, and
// keeps its origin; a refused one is an ErrBadRequest that never quotes
// it. Seeds: the documents' addresses and the attacks of issue reports.
func FuzzBaseURL(f *testing.F) {
	fields := httpc.Fields{Platform: "test"}
	// The only messages a refusal may have: one per reason, none quoting
	// the URL.
	messages := map[string]bool{}
	for _, bad := range []string{"", "::", "ftp://x", "https://u@x", "https://", "https://x?", "http://x"} {
		_, err := fields.BaseURL("BaseURL", bad, "", false)
		messages[err.Error()] = true
	}
	f.Fuzz(func(t *testing.T, raw string, allowHTTP bool) {
		base, err := fields.BaseURL("BaseURL", raw, "", allowHTTP)
		if err != nil {
			var e *iotauth.Error
			if !errors.As(err, &e) || !errors.Is(err, iotauth.ErrBadRequest) {
				t.Fatalf("untyped error %v", err)
			}
			if !messages[err.Error()] {
				t.Fatalf("unknown message, or one quoting the URL: %v", err)
			}
			return
		}
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("accepted %q, which gives %q that does not parse", raw, base)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.Hostname() == "" {
			t.Fatalf("accepted %q", raw)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !allowHTTP && !loopback.Host(u.Hostname()) {
				t.Fatalf("accepted http to %q", u.Hostname())
			}
		default:
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
		orig, _ := url.Parse(raw)
		if httpc.Origin(u) != httpc.Origin(orig) {
			t.Fatalf("origin changed from %s to %s", httpc.Origin(orig), httpc.Origin(u))
		}
	})
}

// buildMessages are the only messages BuildToken refuses with.
var buildMessages = map[string]bool{"missing access token": true, "missing token lifetime": true,
	"non-positive token lifetime": true, "token lifetime over 100 years": true}

// FuzzBuildToken: any login answer body, decoded with the flexible types
// platforms need, gives a token that expires after now and within a
// century, or a typed error that never quotes the token.
func FuzzBuildToken(f *testing.F) {
	c := httpc.New("test", nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		res := &httpc.Response{Op: "login", Status: 200, Header: http.Header{}, Body: body}
		var a struct {
			AccessToken  string           `json:"accessToken"`
			TokenType    string           `json:"tokenType"`
			RefreshToken string           `json:"refreshToken"`
			Code         httpc.FlexString `json:"error_code"`
			ExpiresIn    httpc.FlexInt    `json:"expiresIn"`
		}
		if err := c.DecodeJSON(res, &a); err != nil {
			if !errors.Is(err, iotauth.ErrMalformedResponse) {
				t.Fatalf("decoding failed with %v", err)
			}
			return
		}
		tok, err := c.BuildToken(res, httpc.TokenFields{AccessToken: a.AccessToken, TokenType: a.TokenType,
			RefreshToken: a.RefreshToken, ExpiresIn: a.ExpiresIn}, now)
		if err != nil {
			if !errors.Is(err, iotauth.ErrMalformedResponse) || tok != nil {
				t.Fatalf("building failed with %v, token %v", err, tok)
			}
			var e *iotauth.Error
			if errors.As(err, &e) && !buildMessages[e.Message] {
				t.Fatalf("unknown message, or one quoting the answer: %v", err)
			}
			return
		}
		if tok.AccessToken == "" || !tok.Expiry.After(now) || tok.Expiry.Sub(now) > 100*366*24*time.Hour ||
			strings.TrimSpace(tok.TokenType) != tok.TokenType || tok.TokenType == "" {
			t.Fatalf("unusable token %v", tok)
		}
	})
}
