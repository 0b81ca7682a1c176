package mxchip

import (
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Platform is the platform id, as returned by Provider.Platform.
const Platform = "mxchip"

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
	hc       *http.Client // as configured, possibly nil
	http     *httpc.Client
}

// New checks cfg and returns its Provider. A missing ClientID or
// ClientSecret, or a BaseURL that is not an http(s) URL, is an error that
// names the field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: Platform}
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
		hc:       cfg.HTTPClient,
		http:     httpc.New(Platform, cfg.HTTPClient, string(cfg.ClientSecret)),
	}, nil
}

// Platform returns "mxchip".
func (p *Provider) Platform() string { return Platform }

// CacheKey names the account's token in an iotauth.Store, without the
// client id in clear.
func (p *Provider) CacheKey() string { return iotauth.StoreKey(Platform, p.base, p.clientID) }

// Hosts returns the one host the account's tokens may be sent to.
func (p *Provider) Hosts() []string { return []string{httpc.HostOf(p.base)} }

var (
	_ iotauth.Describer   = (*Provider)(nil)
	_ iotauth.TokenSource = (*Provider)(nil)
)
