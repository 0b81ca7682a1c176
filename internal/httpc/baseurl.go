package httpc

import (
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/iotauth/iotauth"

	"github.com/iotauth/iotauth/internal/loopback"
)

// Fields checks the fields of a provider's Config in New. Its errors are
// *iotauth.Error of kind iotauth.ErrBadRequest, with Op "New", that name
// the field and say what is wrong with it, never its value: a value may be
// a secret, and a URL may carry a password in its user info.
type Fields struct {
	Platform string
}

// Err reports that field is wrong: why says how, without its value.
func (f Fields) Err(field, why string) error {
	return &iotauth.Error{Platform: f.Platform, Op: "New", Kind: iotauth.ErrBadRequest,
		Message: "Config." + field + " " + why}
}

// Required fails when a required field is not set.
func (f Fields) Required(field string, set bool) error {
	if !set {
		return f.Err(field, "is required")
	}
	return nil
}

// Match fails when value does not match re; rule describes re for people.
func (f Fields) Match(field, value string, re *regexp.Regexp, rule string) error {
	if !re.MatchString(value) {
		return f.Err(field, "must be "+rule)
	}
	return nil
}

// hostname is a host name: letters, digits, hyphens and dots, starting and
// ending with a letter or digit. Empty labels ("a..b") are let through:
// platforms' documents elide names so, and they cannot change which host
// a URL names.
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

// Hostname fails when value is not a host name or an IP address.
func (f Fields) Hostname(field, value string) error {
	if !IsHost(value) {
		return f.Err(field, "must be a host name (letters, digits, hyphens and dots) or an IP address")
	}
	return nil
}

// IsHost reports whether s is a DNS host name or an IP address, and nothing
// more: no port, user info, path or space that could make a URL built
// with it name another host.
func IsHost(s string) bool {
	return net.ParseIP(s) != nil || (len(s) <= 253 && hostname.MatchString(s))
}

// BaseURL checks a base URL (raw, or def when raw is empty) and returns it
// without a trailing slash, so that paths are appended with +. It must
// parse, be absolute, name a host, carry no user info, query or fragment,
// and use https; http is accepted for a loopback host, or for any host when
// allowHTTP (a Config's AllowInsecureHTTP) says so.
func (f Fields) BaseURL(field, raw, def string, allowHTTP bool) (string, error) {
	if raw == "" {
		raw = def
	}
	if raw == "" {
		return "", f.Err(field, "is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", f.Err(field, "is not a URL")
	case u.Scheme != "http" && u.Scheme != "https", u.Opaque != "":
		return "", f.Err(field, "must be an absolute https:// URL")
	case u.User != nil:
		return "", f.Err(field, "must not carry user info")
	case u.Hostname() == "":
		return "", f.Err(field, "has no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return "", f.Err(field, "must not have a query or fragment")
	case u.Scheme == "http" && !allowHTTP && !loopback.Host(u.Hostname()):
		return "", f.Err(field, "must use https (http only for a loopback host, or with AllowInsecureHTTP, for tests)")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// HostOf returns the host:port a base URL's requests go to, with the
// scheme's default port made explicit.
func HostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), defaultPort(u.Scheme))
}

// OriginOf returns the origin a base URL's requests go to, as
// "scheme://host:port" with the scheme's default port made explicit, for
// iotauth.Platform.Origins.
func OriginOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return Origin(u)
}

// First returns the first non-nil error.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Refuse is the error of a call refused before it was sent, because an
// argument is missing or not what the platform accepts: an *iotauth.Error
// of kind iotauth.ErrBadRequest for platform's operation op. why says
// what is wrong, never the argument's value.
func Refuse(platform, op, why string) *iotauth.Error {
	return &iotauth.Error{Platform: platform, Op: op, Kind: iotauth.ErrBadRequest, Message: why}
}
