package httpc

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// BaseURL parses a provider's base URL (raw, or def when raw is empty): it
// must be http or https with a host and no query or fragment. The result has
// no trailing slash, so paths are appended with +.
func BaseURL(raw, def string) (string, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("base URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("base URL %q: no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("base URL %q: must not have a query, fragment or user info", raw)
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
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// OriginOf returns the origin a base URL's requests go to, as
// "scheme://host:port" with the scheme's default port made explicit, for
// iotauth.Platform.Origins.
func OriginOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + HostOf(base)
}
