package cloudstudio

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// platform is the platform id in errors, logs and store keys.
const platform = "cloudstudio"

// DefaultBaseURL is Cloud Studio's public address.
const DefaultBaseURL = "https://gear.cloud.studio"

// maxDescription is the platform's limit on a token description, in
// characters (Unicode is allowed).
const maxDescription = 255

// Config describes one Cloud Studio account and the tokens to create for it.
type Config struct {
	// BaseURL is the platform's address; DefaultBaseURL when empty.
	BaseURL string
	// AllowInsecureHTTP lets BaseURL be an http:// URL to a host that is not
	// a loopback one (http to 127.0.0.1, ::1 or localhost is always allowed).
	// Only for tests and emulators: the credentials then travel in clear.
	AllowInsecureHTTP bool
	// Email is the login of the account the tokens are created with; the
	// tokens inherit its permissions. Required.
	Email string
	// Password is the account's password. Required.
	Password iotauth.Secret
	// ClientID is the client the tokens are created for. Required (> 0).
	ClientID int
	// Description says what the tokens are for, at most 255 characters.
	// Each creation appends a timestamp and a random suffix (shortening the
	// text if needed), because the platform refuses two consecutive
	// creations with the same description. Required.
	Description string
	// Expiration is each token's lifetime, in whole minutes. Zero asks for
	// the platform's default expiry, 2099-01-01.
	Expiration time.Duration

	// HTTPClient sends the provider's calls, for TLS, proxies and timeouts.
	// When nil, a client with a 30 s timeout is used.
	HTTPClient *http.Client
	// QueryToken makes Authorize pass the token of an HTTP API call
	// (/api/v2/…) as the accessToken query parameter instead of the
	// "Authorization: Bearer" header. Service calls
	// (/services/…/*.svc/…) always take it in their JSON body.
	QueryToken bool
}

// Provider is an iotauth.TokenSource for one Cloud Studio account and
// client. It holds no token and is safe for concurrent use; every Token and
// Refresh creates a token on the platform, so wrap it in an iotauth.Cache.
type Provider struct {
	base       string
	email      string
	password   iotauth.Secret
	clientID   int
	desc       string
	expiration time.Duration
	query      bool
	http       *httpc.Client

	now func() time.Time // time.Now; replaced in tests
}

// New checks cfg and returns its Provider. The error names the missing or
// invalid field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: platform}
	base, err := f.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Email == "":
		return nil, f.Err("Email", "is required")
	case cfg.Password.IsZero():
		return nil, f.Err("Password", "is required")
	case cfg.ClientID <= 0:
		return nil, f.Err("ClientID", "is required (a positive client id)")
	case cfg.Description == "":
		return nil, f.Err("Description", "is required")
	case utf8.RuneCountInString(cfg.Description) > maxDescription:
		return nil, f.Err("Description", fmt.Sprintf("has %d characters, more than %d",
			utf8.RuneCountInString(cfg.Description), maxDescription))
	case cfg.Expiration < 0:
		return nil, f.Err("Expiration", "must not be negative")
	case cfg.Expiration%time.Minute != 0:
		return nil, f.Err("Expiration", fmt.Sprintf("%v is not a whole number of minutes", cfg.Expiration))
	}
	return &Provider{
		base:       base,
		email:      cfg.Email,
		password:   cfg.Password,
		clientID:   cfg.ClientID,
		desc:       cfg.Description,
		expiration: cfg.Expiration,
		query:      cfg.QueryToken,
		http:       httpc.New(platform, cfg.HTTPClient, string(cfg.Password)),
		now:        time.Now,
	}, nil
}

var (
	_ iotauth.Describer   = (*Provider)(nil)
	_ iotauth.TokenSource = (*Provider)(nil)
	_ iotauth.Refresher   = (*Provider)(nil)
)
