package oceanconnect

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redact"
)

// describe is the provider without its secret.
func (p *Provider) describe() redact.Desc {
	return redact.Struct("oceanconnect.Provider", "BaseURL", p.base, "AppID", p.appID, "Secret", redact.Redacted)
}

// String describes the provider without its secret.
func (p *Provider) String() string { return p.describe().String() }

// Format prints String for every verb, so that no verb prints the secret.
func (p *Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }

// LogValue makes log/slog print the provider without its secret.
func (p *Provider) LogValue() slog.Value { return p.describe().LogValue() }

// String describes the configuration without its secrets or key material.
func (c Config) String() string {
	return fmt.Sprintf("oceanconnect.Config{BaseURL: %s, AppID: %s, Secret: %s, CACertPEM: %d bytes, "+
		"ClientCertPEM: %d bytes, ClientKeyPEM: %s, ClientPKCS12: %s, PKCS12Password: %s, InsecureSkipVerify: %t}",
		redact.URL(c.BaseURL), c.AppID, c.Secret, len(c.CACertPEM), len(c.ClientCertPEM),
		redact.Bytes(c.ClientKeyPEM), redact.Bytes(c.ClientPKCS12), c.PKCS12Password, c.InsecureSkipVerify)
}

// Format prints String for every verb, so %v, %+v and %#v never print the
// private key.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// MarshalJSON encodes the configuration without its secrets or key
// material, for configuration dumps.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL            string
		AppID              string
		Secret             iotauth.Secret
		CACertPEM          int `json:"CACertPEMBytes"`
		ClientCertPEM      int `json:"ClientCertPEMBytes"`
		ClientKeyPEM       string
		ClientPKCS12       string
		PKCS12Password     iotauth.Secret
		InsecureSkipVerify bool
	}{redact.URL(c.BaseURL), c.AppID, c.Secret, len(c.CACertPEM), len(c.ClientCertPEM),
		redact.Bytes(c.ClientKeyPEM), redact.Bytes(c.ClientPKCS12), c.PKCS12Password, c.InsecureSkipVerify})
}

// LogValue makes log/slog print String.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
