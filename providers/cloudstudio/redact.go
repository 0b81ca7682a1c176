package cloudstudio

import (
	"fmt"
	"log/slog"

	"github.com/iotauth/iotauth/internal/redact"
)

// describe is the provider without its password or token.
func (p *Provider) describe() redact.Desc {
	return redact.Struct("cloudstudio.Provider", "BaseURL", p.base, "Email", p.email,
		"Password", redact.Redacted, "ClientID", redact.Int(p.clientID))
}

// String describes the provider without its password or token.
func (p *Provider) String() string { return p.describe().String() }

// Format prints String for every verb, so that no verb prints a secret.
func (p *Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }

// LogValue makes log/slog print the provider without its secrets.
func (p *Provider) LogValue() slog.Value { return p.describe().LogValue() }

// describe is the configuration without its secrets, nor a password in a URL.
func (c Config) describe() redact.Desc {
	return redact.Struct("cloudstudio.Config", "BaseURL", redact.URL(c.BaseURL), "Email", c.Email,
		"Password", redact.Secret(string(c.Password)), "ClientID", redact.Int(c.ClientID), "Description", c.Description,
		"Expiration", c.Expiration.String(), "QueryToken", redact.Bool(c.QueryToken),
		"AllowInsecureHTTP", redact.Bool(c.AllowInsecureHTTP))
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
