package oceanconnect

import (
	"testing"

	"github.com/iotauth/iotauth"
)

// FuzzHeader: the headers built for a token are exactly the document's
// "app_key: <appId>" (spelled so) and "Authorization: <type> <token>",
// whatever the app id, token and type, and a new map for every token.
// Seeds: the document's app id, token and "Bearer " type.
func FuzzHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, appID, access, tokenType string) {
		if appID == "" {
			return
		}
		p, err := New(Config{BaseURL: "https://iot.example:8743", AppID: appID, Secret: "s"})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		tok := &iotauth.Token{AccessToken: access, TokenType: tokenType}
		h := p.Describe().Header(tok)
		//lint:ignore SA1008 app_key is sent spelled as the platform documents it, not canonicalized
		if v := h[appKeyHeader]; len(v) != 1 || v[0] != appID {
			t.Fatalf("app_key %q", v)
		}
		if v := h["Authorization"]; len(v) != 1 || v[0] != tok.Type()+" "+access {
			t.Fatalf("Authorization %q", v)
		}
		if len(h) != 2 {
			t.Fatalf("%d headers", len(h))
		}
		//lint:ignore SA1008 app_key is sent spelled as the platform documents it, not canonicalized
		h[appKeyHeader][0] = "changed"
		//lint:ignore SA1008 app_key is sent spelled as the platform documents it, not canonicalized
		if p.Describe().Header(tok)[appKeyHeader][0] != appID {
			t.Fatal("the header map is shared between calls")
		}
	})
}
