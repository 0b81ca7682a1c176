package iotauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Token is a credential issued by a platform. AccessToken and RefreshToken are
// secrets: a *Token prints as [REDACTED] through fmt, encoding/json and log/slog.
type Token struct {
	// AccessToken is the credential sent with each request.
	AccessToken string
	// TokenType is the scheme for the Authorization header, canonically
	// "Bearer" (see CanonicalTokenType).
	TokenType string
	// RefreshToken, when set, lets a Refresher renew the token without a login.
	RefreshToken string
	// Expiry is when the platform stops accepting AccessToken. The zero time
	// means the token does not expire.
	Expiry time.Time
	// IssuedAt is when the token was obtained, on the platform's clock when
	// it says. It is informational: the expiry rule never trusts it.
	IssuedAt time.Time
	// Scope is the platform's scope string, if it sends one.
	Scope string
	// ID is the platform's identifier for the token, where it has one
	// (Cloud Studio's ClientAccessTokenID), needed to revoke it.
	ID string
	// Extra holds platform data that must travel with the token through a
	// Store. It must not be modified once the token is handed out.
	Extra map[string]string
}

// Valid reports whether t is non-nil, has an AccessToken and has time left
// until its Expiry (a token without one is always valid). It judges by the
// time left, never by IssuedAt; when a token stops being sent, shortly
// before its Expiry, is the Cache's decision (the expiry rule is documented at
// [Skew]).
func (t *Token) Valid() bool {
	return t != nil && t.AccessToken != "" && !t.ExpiredAt(time.Now())
}

// Type returns the canonical token type, "Bearer" when TokenType is empty.
func (t *Token) Type() string { return CanonicalTokenType(t.TokenType) }

// CanonicalTokenType trims the spaces platforms send ("Bearer " from
// OceanConnect) and canonicalizes the case of the well-known schemes;
// an empty type is "Bearer".
func CanonicalTokenType(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "", strings.EqualFold(s, "bearer"):
		return "Bearer"
	case strings.EqualFold(s, "mac"):
		return "MAC"
	case strings.EqualFold(s, "basic"):
		return "Basic"
	}
	return s
}

// String describes the token without its secrets.
//
// String, GoString, Format, MarshalJSON and LogValue have value receivers, so
// that a Token value prints redacted as well as a *Token.
func (t Token) String() string {
	exp := "never"
	if !t.Expiry.IsZero() {
		exp = t.Expiry.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("Token{Type: %s, AccessToken: %s, RefreshToken: %s, Expiry: %s}",
		t.Type(), redactNonEmpty(t.AccessToken), redactNonEmpty(t.RefreshToken), exp)
}

// GoString is String, so %#v does not reveal the secrets either.
func (t Token) GoString() string { return t.String() }

// Format prints String for every verb.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// MarshalJSON encodes the token's non-secret fields; the access and refresh
// tokens are encoded as "[REDACTED]". Stores persist tokens with their own
// encoding, not this one.
func (t Token) MarshalJSON() ([]byte, error) {
	type public struct {
		TokenType    string     `json:"token_type"`
		AccessToken  Secret     `json:"access_token"`
		RefreshToken Secret     `json:"refresh_token,omitempty"`
		Expiry       *time.Time `json:"expiry,omitempty"`
		Scope        string     `json:"scope,omitempty"`
		ID           string     `json:"id,omitempty"`
	}
	p := public{TokenType: t.Type(), AccessToken: Secret(t.AccessToken), RefreshToken: Secret(t.RefreshToken), Scope: t.Scope, ID: t.ID}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		p.Expiry = &e
	}
	return json.Marshal(p)
}

// LogValue makes log/slog print the token's non-secret fields.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.Type()),
		slog.String("access_token", redactNonEmpty(t.AccessToken)),
		slog.Time("expiry", t.Expiry),
	)
}

func redactNonEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}
