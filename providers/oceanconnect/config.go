package oceanconnect

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// platform is the platform id in errors, logs and store keys.
const platform = "oceanconnect"

// Config describes one OceanConnect application and how to reach it.
type Config struct {
	// BaseURL is the platform's address, such as https://host:8743. Required.
	BaseURL string
	// AllowInsecureHTTP lets BaseURL be an http:// URL to a host that is not
	// a loopback one (http to 127.0.0.1, ::1 or localhost is always allowed).
	// Only for tests and emulators: the credentials then travel in clear.
	AllowInsecureHTTP bool
	// AppID is the application id the platform allocated. Required.
	AppID string
	// Secret is the application's secret. Required.
	Secret iotauth.Secret

	// HTTPClient sends the provider's calls, for proxies and timeouts. When
	// nil, a client with a 30 s timeout is used. The TLS fields below are
	// applied to a copy of it, and only when set.
	HTTPClient *http.Client

	// CACertPEM holds extra PEM certificates to trust besides the system's,
	// typically the platform's own CA.
	CACertPEM []byte
	// ClientCertPEM and ClientKeyPEM are the client certificate (with its
	// chain) and private key, in PEM, for two-way TLS.
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	// ClientPKCS12 is the client certificate and key as a PKCS#12 (.p12,
	// .pfx) file protected by PKCS12Password; an alternative to the PEM pair.
	ClientPKCS12   []byte
	PKCS12Password iotauth.Secret
	// InsecureSkipVerify turns off the verification of the platform's
	// certificate. Only for tests: every login logs a warning.
	InsecureSkipVerify bool

	// Logger receives the InsecureSkipVerify warning; slog.Default when nil.
	Logger *slog.Logger
}

// Provider is an iotauth.TokenSource for one OceanConnect application. It is
// safe for concurrent use, but each Token or Refresh call invalidates the
// application's previous token: wrap it in an iotauth.Cache.
type Provider struct {
	base     string
	appID    string
	secret   iotauth.Secret
	insecure bool
	logger   *slog.Logger
	http     *httpc.Client

	mu   sync.Mutex
	last *iotauth.Token // the last token obtained, logged out by Close
}

// New checks cfg and returns its Provider. The error names the missing or
// invalid field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: platform}
	base, err := f.BaseURL("BaseURL", cfg.BaseURL, "", cfg.AllowInsecureHTTP)
	if err == nil {
		err = httpc.First(f.Required("AppID", cfg.AppID != ""), f.Required("Secret", !cfg.Secret.IsZero()))
	}
	if err != nil {
		return nil, err
	}
	hc, err := httpClient(cfg)
	if err != nil {
		return nil, &iotauth.Error{Platform: platform, Op: "New", Kind: iotauth.ErrBadRequest, Err: err}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Provider{
		base:     base,
		appID:    cfg.AppID,
		secret:   cfg.Secret,
		insecure: cfg.InsecureSkipVerify,
		logger:   logger,
		http:     httpc.New(platform, hc, string(cfg.Secret)),
	}, nil
}

var (
	_ iotauth.Describer   = (*Provider)(nil)
	_ iotauth.TokenSource = (*Provider)(nil)
	_ iotauth.Refresher   = (*Provider)(nil)
)
