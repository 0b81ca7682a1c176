package cloudstudio

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// FuzzFailure: any refused call, with any body, is a typed error, and an
// answer without the platform's Exception (an HTML page, garbage, a proxy's
// body) is never a credential failure: only documented answers are latched.
// Seeds: the document's Exception bodies.
func FuzzFailure(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, status int, create bool, body []byte) {
		op := opDelete
		if create {
			op = opCreate
		}
		res := &httpc.Response{Op: op, Status: status, Header: http.Header{}, Body: body}
		err := fail(c, res)
		var e *iotauth.Error
		if err == nil || !errors.As(err, &e) || e.Kind == nil {
			t.Fatalf("untyped failure %v", err)
		}
		if decodeException(body) == nil && iotauth.IsCredentialFailure(err) {
			t.Fatalf("HTTP %d without an Exception is latched as %v", status, e.Kind)
		}
	})
}

// FuzzParseDelete: only an HTTP 200 without an Exception is a deletion.
func FuzzParseDelete(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := parseDelete(c, &httpc.Response{Op: opDelete, Status: status, Header: http.Header{}, Body: body})
		if err == nil && (status != 200 || decodeException(body) != nil) {
			t.Fatalf("HTTP %d with this body counts as deleted", status)
		}
	})
}

// FuzzTokenRejected: any answer is classified without consuming its body,
// and only 401 or an Exception with FaultCode 8001 is a rejection.
func FuzzTokenRejected(f *testing.F) {
	p := &Provider{}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(body))}
		rejected := p.TokenRejected(resp)
		left, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(left, body) {
			t.Fatalf("the body was not left intact")
		}
		if rejected && status != http.StatusUnauthorized {
			if exc := decodeException(body); status < 400 || exc == nil || strings.TrimSpace(string(exc.FaultCode)) != faultTokenInvalid {
				t.Fatalf("HTTP %d counted as a rejection", status)
			}
		}
	})
}

// FuzzUniqueDescription: the description built for a creation fits the
// platform's 255 characters, starts with the configured text (or as much
// of it as fits) and is valid UTF-8 when the text is.
func FuzzUniqueDescription(f *testing.F) {
	now := time.Date(2022, 12, 16, 18, 38, 33, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		d := uniqueDescription(text, now)
		if utf8.RuneCountInString(d) > maxDescription {
			t.Fatalf("%d characters", utf8.RuneCountInString(d))
		}
		if !utf8.ValidString(text) {
			return // shortened by characters, its invalid bytes become U+FFFD
		}
		if !utf8.ValidString(d) {
			t.Fatalf("invalid UTF-8 from valid text")
		}
		keep := []rune(text)
		if n := utf8.RuneCountInString(d) - utf8.RuneCountInString(uniqueDescription("", now)); n < len(keep) {
			keep = keep[:n]
		}
		if !strings.HasPrefix(d, string(keep)) {
			t.Fatalf("does not start with the text")
		}
	})
}

// FuzzAuthorize: a token is attached as the document says, in the header or
// as the accessToken query parameter, whatever its characters, without
// changing where the request goes or the query it already had.
func FuzzAuthorize(f *testing.F) {
	f.Fuzz(func(t *testing.T, token, rawQuery string, query bool) {
		if token == "" {
			return
		}
		p := &Provider{query: query}
		req, err := http.NewRequest(http.MethodGet, "https://gear.cloud.studio/services/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = rawQuery
		before := req.URL.Query()
		before.Del("accessToken")
		if err := p.Describe().Authorize(req, &iotauth.Token{AccessToken: token}); err != nil {
			t.Fatalf("Authorize: %v", err)
		}
		if req.URL.Host != "gear.cloud.studio" || req.URL.Scheme != "https" || req.URL.Path != "/services/x" {
			t.Fatalf("the request now goes to %s", req.URL.Redacted())
		}
		after := req.URL.Query()
		if !query {
			if req.Header.Get("Authorization") != "Bearer "+token {
				t.Fatal("no Authorization header")
			}
			return
		}
		if got := after["accessToken"]; len(got) != 1 || got[0] != token {
			t.Fatalf("accessToken %q", got)
		}
		after.Del("accessToken")
		if after.Encode() != before.Encode() {
			t.Fatalf("the query changed: %q -> %q", before.Encode(), after.Encode())
		}
	})
}
