package tokencodec

import (
	"errors"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
)

// FuzzDecode feeds arbitrary bytes to Decode, in clear and with a key: it
// must return a typed error or a token with an access token, and a decoded
// token must encode and decode to the same fields.
func FuzzDecode(f *testing.F) {
	clear, _ := New("")
	sealed, _ := New(testKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []*Codec{clear, sealed} {
			tok, err := c.Decode(storeKey, data)
			if err != nil {
				if tok != nil {
					t.Fatalf("token and error: %v", err)
				}
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) {
					t.Fatalf("untyped error: %v", err)
				}
				continue
			}
			if tok == nil || tok.AccessToken == "" {
				t.Fatalf("nil error with an invalid token")
			}
			again, err := c.Encode(storeKey, tok)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			back, err := c.Decode(storeKey, again)
			if err != nil {
				t.Fatalf("decode of re-encoded token: %v", err)
			}
			if !sameToken(tok, back) {
				t.Fatalf("round trip changed the token")
			}
		}
	})
}

// FuzzRoundTrip encodes tokens built from arbitrary fields: a token with an
// access token and in-range times must come back unchanged, in clear and
// sealed; anything else must be refused with an error.
func FuzzRoundTrip(f *testing.F) {
	clear, _ := New("")
	sealed, _ := New(testKey)
	f.Fuzz(func(t *testing.T, access, typ, refresh, scope, id string, exp, iat int64, ek, ev string) {
		tok := &iotauth.Token{AccessToken: access, TokenType: typ, RefreshToken: refresh, Scope: scope, ID: id}
		if exp != 0 {
			tok.Expiry = time.Unix(exp, exp%1e9)
		}
		if iat != 0 {
			tok.IssuedAt = time.Unix(iat, 0)
		}
		if ek != "" {
			tok.Extra = map[string]string{ek: ev}
		}
		for _, c := range []*Codec{clear, sealed} {
			b, err := c.Encode(storeKey, tok)
			if err != nil {
				continue // refused: no access token or a time out of range
			}
			if access == "" {
				t.Fatal("encoded a token without an access token")
			}
			got, err := c.Decode(storeKey, b)
			if err != nil {
				t.Fatalf("decode of an encoded token: %v", err)
			}
			if !sameToken(normalized(tok), got) {
				t.Fatalf("round trip changed the token")
			}
		}
	})
}

// normalized is t as JSON carries it: strings with invalid UTF-8 become
// U+FFFD, which Encode accepts and Decode returns.
func normalized(t *iotauth.Token) *iotauth.Token {
	c := Clone(t)
	fix := func(s string) string { return string([]rune(s)) }
	c.AccessToken, c.TokenType, c.RefreshToken, c.Scope, c.ID = fix(c.AccessToken), fix(c.TokenType), fix(c.RefreshToken), fix(c.Scope), fix(c.ID)
	if c.Extra != nil {
		m := map[string]string{}
		for k, v := range c.Extra {
			m[fix(k)] = fix(v)
		}
		c.Extra = m
	}
	return c
}

func sameToken(a, b *iotauth.Token) bool {
	if a.AccessToken != b.AccessToken || a.TokenType != b.TokenType || a.RefreshToken != b.RefreshToken ||
		a.Scope != b.Scope || a.ID != b.ID || !a.Expiry.Equal(b.Expiry) || !a.IssuedAt.Equal(b.IssuedAt) ||
		len(a.Extra) != len(b.Extra) {
		return false
	}
	for k, v := range a.Extra {
		if w, ok := b.Extra[k]; !ok || w != v {
			return false
		}
	}
	return true
}
