package httpc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/iotauth/iotauth"
)

// maxRedirects is how many same-origin redirects of a body-less call are
// followed, as net/http does by default.
const maxRedirects = 10

// guard returns a copy of hc whose redirects never carry a credential: a
// redirect to another origin (scheme, host or port) is refused, and so is
// any redirect of a request that has a body, since net/http re-sends the
// body of a 307 or 308 and the body is where logins put their secrets.
// A same-origin redirect of a body-less request is followed, and then
// offered to hc's own CheckRedirect, which can refuse it but never allow
// what is refused here. hc itself is not modified.
func guard(hc *http.Client) *http.Client {
	c := *hc
	user := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via); err != nil {
			return err
		}
		if user != nil {
			return user(req, via)
		}
		return nil
	}
	return &c
}

// redirectError is a refused redirect, turned into an iotauth.ErrRedirect
// by Do. It names the target's host, never its path or query, nor the body.
type redirectError struct {
	status int
	host   string
	why    string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("redirect to %s refused: %s", e.host, e.why)
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	re := &redirectError{host: req.URL.Host}
	if req.Response != nil {
		re.status = req.Response.StatusCode
	}
	switch {
	case Origin(req.URL) != Origin(first.URL):
		re.why = "another origin than " + first.URL.Host
	case hasBody(first):
		re.why = "the request has a body"
	case len(via) >= maxRedirects:
		re.why = fmt.Sprintf("more than %d redirects", maxRedirects)
	default:
		return nil
	}
	return re
}

// hasBody reports whether req was sent with a body.
func hasBody(req *http.Request) bool {
	return req.ContentLength != 0 || (req.Body != nil && req.Body != http.NoBody)
}

// Origin returns u's origin as scheme://host:port, lower-cased, with the
// scheme's default port made explicit, so that two URLs of one origin
// compare equal.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = defaultPort(scheme)
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// asRedirect turns a refused redirect into its iotauth error, or returns nil.
func (c *Client) asRedirect(op string, err error) error {
	var re *redirectError
	if !errors.As(err, &re) {
		return nil
	}
	return &iotauth.Error{Platform: c.Platform, Op: op, HTTPStatus: re.status, Kind: iotauth.ErrRedirect,
		Message: re.Error()}
}
