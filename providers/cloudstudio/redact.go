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
