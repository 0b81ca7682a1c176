package mxchip

import (
	"fmt"
	"log/slog"

	"github.com/iotauth/iotauth/internal/redact"
)

// describe is the provider without its secret.
func (p *Provider) describe() redact.Desc {
	return redact.Struct("mxchip.Provider", "BaseURL", p.base, "ClientID", p.clientID, "ClientSecret", redact.Redacted)
}

// String describes the provider without its secret: fmt cannot call the
// secret's own redaction through an unexported field.
func (p *Provider) String() string { return p.describe().String() }

// GoString is String, so %#v does not reveal the secret either.
func (p *Provider) GoString() string { return p.String() }

// Format prints String for every verb, so that no verb prints the secret.
func (p *Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }

// LogValue makes log/slog print the provider without its secret.
func (p *Provider) LogValue() slog.Value { return p.describe().LogValue() }

// describe is the configuration without its secrets, nor a password in a URL.
func (c Config) describe() redact.Desc {
	return redact.Struct("mxchip.Config", "BaseURL", redact.URL(c.BaseURL), "ClientID", c.ClientID,
		"ClientSecret", redact.Secret(string(c.ClientSecret)), "AllowInsecureHTTP", redact.Bool(c.AllowInsecureHTTP))
}

// String describes the configuration without its secrets.
func (c Config) String() string { return c.describe().String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue makes log/slog print the configuration without its secrets.
func (c Config) LogValue() slog.Value { return c.describe().LogValue() }

// MarshalJSON encodes the configuration without its secrets, for
// configuration dumps.
func (c Config) MarshalJSON() ([]byte, error) { return c.describe().MarshalJSON() }

// String describes the client by its base URL: its tokens come from its
// source, and the provider's secret is not printed.
func (c *Client) String() string { return redact.Struct("mxchip.Client", "BaseURL", c.base).String() }

// Format prints String for every verb.
func (c *Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }
