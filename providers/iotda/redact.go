package iotda

import (
	"fmt"
	"log/slog"

	"github.com/iotauth/iotauth/internal/redact"
)

// describe is the provider without its secrets.
func (p Provider) describe() redact.Desc {
	if p.signing() {
		return redact.Struct("iotda.Provider", "Endpoint", p.base, "AccessKey", p.accessKey, "SecretKey", redact.Redacted)
	}
	return redact.Struct("iotda.Provider", "Endpoint", p.base, "IAMEndpoint", p.iam, "DomainName", p.domain,
		"UserName", p.user, "Password", redact.Redacted, "ProjectName", p.project)
}

// String describes the provider without its secrets. String, GoString,
// Format and LogValue have value receivers, so that a Provider value prints
// redacted as well as a *Provider.
func (p Provider) String() string { return p.describe().String() }

// GoString is String, so %#v does not reveal the secrets either.
func (p Provider) GoString() string { return p.String() }

// Format prints String for every verb, so that no verb prints a secret.
func (p Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }

// LogValue makes log/slog print the provider without its secrets.
func (p Provider) LogValue() slog.Value { return p.describe().LogValue() }

// describe is the configuration without its secrets, nor a password in a
// URL.
func (c Config) describe() redact.Desc {
	return redact.Struct("iotda.Config", "Endpoint", redact.URL(c.Endpoint), "IAMEndpoint", redact.URL(c.IAMEndpoint),
		"DomainName", c.DomainName, "UserName", c.UserName, "Password", redact.Secret(string(c.Password)),
		"ProjectName", c.ProjectName, "AccessKey", c.AccessKey, "SecretKey", redact.Secret(string(c.SecretKey)),
		"AllowInsecureHTTP", redact.Bool(c.AllowInsecureHTTP))
}

// String describes the configuration without its secrets.
func (c Config) String() string { return c.describe().String() }

// GoString is String.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue makes log/slog print the configuration without its secrets.
func (c Config) LogValue() slog.Value { return c.describe().LogValue() }

// MarshalJSON encodes the configuration without its secrets.
func (c Config) MarshalJSON() ([]byte, error) { return c.describe().MarshalJSON() }

// String describes the device without its secret.
func (d Device) String() string {
	return redact.Struct("iotda.Device", "ID", d.ID, "Secret", redact.Secret(string(d.Secret)), "Host", d.Host,
		"Port", redact.Int(d.Port), "TLSPort", redact.Int(d.TLSPort)).String()
}

// GoString is String.
func (d Device) GoString() string { return d.String() }

// Format prints String for every verb.
func (d Device) Format(f fmt.State, verb rune) { redact.Format(f, verb, d.String()) }

// LogValue makes log/slog print the device without its secret.
func (d Device) LogValue() slog.Value { return slog.StringValue(d.String()) }

// String describes the source by its device, without the secret.
func (s *deviceSource) String() string { return "iotda.DeviceSource{" + s.d.String() + "}" }

// Format prints String for every verb.
func (s *deviceSource) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }
