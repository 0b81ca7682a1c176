package alimqtt

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/iotauth/iotauth/internal/redact"
)

// describe is the provider without its AccessKey secret or STS token.
func (p *Provider) describe() redact.Desc {
	return redact.Struct("alimqtt.Provider", "Endpoint", p.base, "RegionID", p.cfg.RegionID,
		"InstanceID", p.cfg.InstanceID, "AccessKeyID", p.cfg.AccessKeyID, "AccessKeySecret", redact.Redacted,
		"SecurityToken", redact.Secret(string(p.cfg.SecurityToken)))
}

// String describes the provider without its secrets.
func (p *Provider) String() string { return p.describe().String() }

// Format prints String for every verb, so that no verb prints a secret.
func (p *Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }

// LogValue makes log/slog print the provider without its secrets.
func (p *Provider) LogValue() slog.Value { return p.describe().LogValue() }

// describe is the token source without its provider's secrets.
func (s *tokenSource) describe() redact.Desc {
	return redact.Struct("alimqtt.TokenSource", "Provider", s.p.String(),
		"Resources", strings.Join(s.resources, ","), "Actions", s.actions, "Lifetime", s.lifetime.String())
}

func (s *tokenSource) String() string                { return s.describe().String() }
func (s *tokenSource) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }
func (s *tokenSource) LogValue() slog.Value          { return s.describe().LogValue() }

// describe is the configuration without its secrets, nor a password in a URL.
func (c Config) describe() redact.Desc {
	return redact.Struct("alimqtt.Config", "RegionID", c.RegionID, "Endpoint", redact.URL(c.Endpoint),
		"AccessKeyID", c.AccessKeyID, "AccessKeySecret", redact.Secret(string(c.AccessKeySecret)),
		"SecurityToken", redact.Secret(string(c.SecurityToken)), "InstanceID", c.InstanceID, "MQTTHost", c.MQTTHost,
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
