package mxchip

import (
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// platform is the platform id in errors, logs and store keys.
const platform = "mxchip"

// DefaultBaseURL is the public MXCHIP (FogCloud) API.
const DefaultBaseURL = "https://api.fogcloud.io"

// Config is an MXCHIP account.
type Config struct {
	// BaseURL is the API's scheme and host, DefaultBaseURL when empty.
	BaseURL string
	// AllowInsecureHTTP lets BaseURL be an http:// URL to a host that is not
	// a loopback one (http to 127.0.0.1, ::1 or localhost is always allowed).
	// Only for tests and emulators: the credentials then travel in clear.
	AllowInsecureHTTP bool
	// ClientID is the AccessKey ID from the MXCHIP console. Required.
	ClientID string
	// ClientSecret is the AccessKey Secret from the MXCHIP console. Required.
	ClientSecret iotauth.Secret
	// HTTPClient makes the calls, for TLS settings, proxies and timeouts;
	// a client with a 30 s timeout when nil. A Client made by NewClient
	// uses its Transport underneath the iotauth.Transport.
	HTTPClient *http.Client
}

// Provider is an iotauth.TokenSource for one MXCHIP account. It is safe
// for concurrent use; wrap it in an iotauth.Cache so that tokens are reused.
type Provider struct {
	base     string
	clientID string
	secret   iotauth.Secret
	http     *httpc.Client
}

// New checks cfg and returns its Provider. A missing ClientID or
// ClientSecret, or a BaseURL that is not an http(s) URL, is an error that
// names the field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: platform}
	base, err := f.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL, cfg.AllowInsecureHTTP)
	if err == nil {
		err = httpc.First(f.Required("ClientID", cfg.ClientID != ""), f.Required("ClientSecret", !cfg.ClientSecret.IsZero()))
	}
	if err != nil {
		return nil, err
	}
	return &Provider{
		base:     base,
		clientID: cfg.ClientID,
		secret:   cfg.ClientSecret,
		http:     httpc.New(platform, cfg.HTTPClient, string(cfg.ClientSecret)),
	}, nil
}

var (
	_ iotauth.Describer   = (*Provider)(nil)
	_ iotauth.TokenSource = (*Provider)(nil)
)
