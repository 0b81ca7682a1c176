package iotauth

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/iotauth/iotauth/internal/redact"
)

// A Cache and a Transport hold a source (with its secrets) and tokens in
// unexported fields, which fmt would print by reflection: they print through
// these descriptions instead.

func (c *Cache) describe() redact.Desc {
	tok, exp := "none", "none"
	if e := c.cur.Load(); e != nil && e.tok != nil {
		tok = redact.Redacted
		exp = "never"
		if !e.tok.Expiry.IsZero() {
			exp = e.tok.Expiry.UTC().Format(time.RFC3339)
		}
	}
	return redact.Struct("iotauth.Cache", "Platform", c.platform, "Token", tok, "Expiry", exp)
}

// String describes the cache without its source's secrets or its token.
func (c *Cache) String() string { return c.describe().String() }

// Format prints String for every verb.
func (c *Cache) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue makes log/slog print the cache without secrets.
func (c *Cache) LogValue() slog.Value { return c.describe().LogValue() }

func (t *Transport) describe() redact.Desc {
	return redact.Struct("iotauth.Transport", "Platform", platformOf(t.src))
}

// String describes the transport without its source's secrets.
func (t *Transport) String() string { return t.describe().String() }

// Format prints String for every verb.
func (t *Transport) Format(f fmt.State, verb rune) { redact.Format(f, verb, t.String()) }

// LogValue makes log/slog print the transport without secrets.
func (t *Transport) LogValue() slog.Value { return t.describe().LogValue() }
