package mxchip

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Seeds in testdata/fuzz/<FuzzName>/ are the platform document's examples.

// fuzzResponse is body as an answer to op with HTTP 200, as the platform
// sends business errors too.
func fuzzResponse(op string, body []byte) *httpc.Response {
	return &httpc.Response{Op: op, Status: http.StatusOK, Header: http.Header{}, Body: body}
}

// failed reports whether the parser failed, after checking that its error
// is an *iotauth.Error of a documented kind that does not quote the body,
// and that it returned no result (noResult) with it.
func failed(t *testing.T, err error, body []byte, noResult bool) bool {
	t.Helper()
	if err == nil {
		return false
	}
	if !noResult {
		t.Fatal("a result with an error")
	}
	var ie *iotauth.Error
	if !errors.As(err, &ie) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	if len(body) >= 32 && strings.Contains(fmt.Sprintf("%+v", err), string(body)) {
		t.Fatal("the error quotes the body")
	}
	for _, kind := range []error{iotauth.ErrTokenRejected, iotauth.ErrBadRequest, iotauth.ErrServer, iotauth.ErrMalformedResponse, iotauth.ErrRateLimited} {
		if errors.Is(err, kind) {
			return true
		}
	}
	t.Fatalf("error of no documented kind: %v", err)
	return true
}

func FuzzParseToken(f *testing.F) {
	c := httpc.New(platform, nil)
	now := time.Now()
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := parseToken(c, fuzzResponse("token", body), now)
		if failed(t, err, body, tok == nil) {
			return
		}
		if tok == nil || tok.AccessToken == "" || !tok.Expiry.After(now) || tok.IssuedAt != now {
			t.Fatalf("nil error with an invalid token: %v", tok)
		}
	})
}

func FuzzParseMQTTClient(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		mc, err := parseMQTTClient(c, fuzzResponse("CreateMQTTClient", body))
		if failed(t, err, body, mc == nil) {
			return
		}
		if mc == nil || mc.LoginName == "" || mc.Password == "" || mc.ClientID == "" || mc.Host == "" {
			t.Fatalf("nil error with an incomplete MQTT client: %+v", mc)
		}
		if mc.Port <= 0 && mc.TLSPort <= 0 || mc.Port < 0 || mc.TLSPort < 0 || mc.Port > 65535 || mc.TLSPort > 65535 {
			t.Fatalf("nil error with invalid ports %d/%d", mc.Port, mc.TLSPort)
		}
	})
}

func FuzzParseProducts(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := parseProducts(c, fuzzResponse("ProductIDs", body))
		if failed(t, err, body, ps == nil) {
			return
		}
		if ps == nil {
			t.Fatal("nil error with a nil list")
		}
		for _, p := range ps {
			if p.ID == "" {
				t.Fatal("nil error with a product without id")
			}
		}
	})
}

func FuzzDecodeEnvelope(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		err := decode(c, fuzzResponse("GrantPermission", body), nil)
		if failed(t, err, body, true) {
			return
		}
		// Success only for an envelope whose meta.code is 0.
		var env envelope
		if c.DecodeJSON(fuzzResponse("", body), &env) != nil || env.Meta == nil || env.Meta.Code != codeOK {
			t.Fatal("nil error for a body that is not a success envelope")
		}
	})
}

func FuzzTokenRejected(f *testing.F) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(string(body)))}
		rejected := p.TokenRejected(resp)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != string(body) {
			t.Fatal("the body was consumed")
		}
		if status == http.StatusUnauthorized && !rejected {
			t.Fatal("HTTP 401 not rejected")
		}
		if rejected && status != http.StatusUnauthorized {
			// A rejection must be the envelope the API call would decode
			// as ErrTokenRejected.
			err := decode(httpc.New(platform, nil), &httpc.Response{Status: status, Body: body}, nil)
			if !errors.Is(err, iotauth.ErrTokenRejected) {
				t.Fatalf("classified as rejected, decoded as %v", err)
			}
		}
	})
}
