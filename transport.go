package iotauth

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/iotauth/iotauth/internal/loopback"
)

// Transport is an http.RoundTripper that authorizes requests with tokens from
// a TokenSource, usually a *Cache:
//
//   - Credentials are attached the way the source's platform wants
//     (Platform.Header and Authorize, else "Authorization: <type> <token>")
//     on the Transport's own copy of the request: the caller's request is
//     never modified. The header values are built once per token.
//   - Credentials go only to the origins (scheme, host and port) the source
//     declares (Platform.Origins) or WithHosts names, so a source declared
//     for https never has its credentials sent over http. A source that
//     declares none gets them sent only over https or to loopback (unless
//     WithInsecureHTTP), and only to the host the caller sent to, never to
//     another host a redirect leads to. Every redirect hop is checked again.
//     Other requests pass through without credentials.
//   - When the response says the token was rejected (HTTP 401, or the
//     platform's Rejected), the token is invalidated and the request is sent
//     once more with a fresh token, if its body can be replayed (no body, or
//     GetBody). Otherwise the response is returned as it is.
type Transport struct {
	src      TokenSource
	inv      Invalidator // src, when it is one
	base     http.RoundTripper
	plat     Platform
	origins  []origin // where credentials may go; none: https or loopback
	insecure bool
	last     atomic.Pointer[tokenHeader] // the header values of the last token used
}

// origin is a scheme, host and port that may receive credentials. An empty
// port matches any port; scheme "" matches https, and http on loopback.
type origin struct{ scheme, host, port string }

// tokenHeader is the header values that carry tok, built once.
type tokenHeader struct {
	tok  *Token
	h    http.Header
	drop []string // canonical forms of non-canonical keys in h, removed from the request
}

// NewTransport returns a Transport that takes tokens from src and sends
// requests through base (http.DefaultTransport when nil). It panics when src
// or an option is nil, or when an origin cannot be parsed: each is a mistake
// in the program.
func NewTransport(src TokenSource, base http.RoundTripper, opts ...TransportOption) *Transport {
	if src == nil {
		panic("iotauth: NewTransport: nil TokenSource; pass an iotauth.NewCache(provider)")
	}
	if base == nil {
		base = http.DefaultTransport
	}
	var cfg transportConfig
	for i, o := range opts {
		if o == nil {
			panic(fmt.Sprintf("iotauth: NewTransport: option %d is nil; leave it out instead", i+1))
		}
		o(&cfg)
	}
	t := &Transport{src: src, base: base, plat: Describe(src), insecure: cfg.insecure}
	t.inv, _ = src.(Invalidator)
	for _, s := range append(append([]string(nil), t.plat.Origins...), cfg.origins...) {
		o, err := parseOrigin(s)
		if err != nil {
			panic("iotauth: NewTransport: " + err.Error())
		}
		t.origins = append(t.origins, o)
	}
	return t
}

// TransportOption configures NewTransport. A nil TransportOption makes
// NewTransport panic.
type TransportOption func(*transportConfig)

type transportConfig struct {
	origins  []string
	insecure bool
}

// WithHosts lets credentials go to these origins as well as those the source
// declares. Each is "https://host:port", "host:port" (https on that port),
// or "host" (https on any port). Plain http must be spelled out
// ("http://host:port").
func WithHosts(hosts ...string) TransportOption {
	return func(t *transportConfig) { t.origins = append(t.origins, hosts...) }
}

// WithInsecureHTTP lets a Transport over a source that declares no origin
// send credentials over plain http to any host, not only over https or to
// loopback. It is meant for tests against emulators on other hosts: on a
// real network, anyone on the path reads the credentials.
func WithInsecureHTTP() TransportOption {
	return func(t *transportConfig) { t.insecure = true }
}

// parseOrigin reads "scheme://host[:port]", "host:port" or "host".
func parseOrigin(s string) (origin, error) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return origin{}, fmt.Errorf("origin %q is not scheme://host[:port] with scheme http or https", s)
		}
		port := u.Port()
		if port == "" {
			port = defaultPort(u.Scheme)
		}
		return origin{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: port}, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), ""
	}
	if host == "" {
		return origin{}, fmt.Errorf("origin %q has no host", s)
	}
	return origin{host: strings.ToLower(host), port: port}, nil
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// RoundTrip authorizes and sends req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("iotauth: Transport.RoundTrip: nil request or URL")
	}
	if !t.mayAuthorize(req) {
		return t.base.RoundTrip(req)
	}
	tok, err := t.token(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	canReplay := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.send(req, req.Body, tok)
	if err != nil || !t.plat.rejected(resp) {
		return resp, err
	}
	if t.inv != nil {
		t.inv.Invalidate(tok)
	}
	if !canReplay {
		return resp, nil
	}
	body := req.Body
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	fresh, err := t.token(req)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return resp, nil
	}
	drain(resp.Body)
	return t.send(req, body, fresh)
}

// token gets a token for req, refusing what no request could carry.
func (t *Transport) token(req *http.Request) (*Token, error) {
	tok, err := t.src.Token(req.Context())
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, &Error{Platform: t.plat.Name, Op: "token", Kind: ErrMalformedResponse,
			Message: "source returned no access token and no error"}
	}
	return tok, nil
}

// send sends a copy of req with body and tok's credentials. Only the header
// map is copied; its value slices are shared with req and never modified.
func (t *Transport) send(req *http.Request, body io.ReadCloser, tok *Token) (*http.Response, error) {
	th := t.headerFor(tok)
	r := new(http.Request)
	*r = *req
	h := make(http.Header, len(req.Header)+len(th.h))
	for k, v := range req.Header {
		h[k] = v
	}
	for _, k := range th.drop {
		delete(h, k)
	}
	for k, v := range th.h {
		h[k] = v
	}
	r.Header = h
	r.Body = body
	if t.plat.Authorize != nil {
		if err := t.plat.Authorize(r, tok); err != nil {
			closeBody(r)
			return nil, err
		}
	}
	return t.base.RoundTrip(r)
}

// headerFor returns tok's header values, built once per token.
func (t *Transport) headerFor(tok *Token) *tokenHeader {
	if th := t.last.Load(); th != nil && th.tok == tok {
		return th
	}
	th := &tokenHeader{tok: tok, h: t.plat.header(tok)}
	for k := range th.h {
		if ck := http.CanonicalHeaderKey(k); ck != k {
			th.drop = append(th.drop, ck)
		}
	}
	t.last.Store(th)
	return th
}

// mayAuthorize applies the origin binding to this hop of a request.
func (t *Transport) mayAuthorize(req *http.Request) bool {
	scheme, host, port := strings.ToLower(req.URL.Scheme), strings.ToLower(req.URL.Hostname()), req.URL.Port()
	if port == "" {
		port = defaultPort(scheme)
	}
	if len(t.origins) > 0 {
		for _, o := range t.origins {
			if o.host == host && (o.port == "" || o.port == port) &&
				(o.scheme == scheme || (o.scheme == "" && (scheme == "https" || (scheme == "http" && loopback.Host(host))))) {
				return true
			}
		}
		return false
	}
	if scheme != "https" && !(scheme == "http" && (t.insecure || loopback.Host(host))) {
		return false
	}
	// No declared origin: the caller's own host only, never a redirect's.
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first == req || (strings.EqualFold(first.URL.Host, req.URL.Host) && strings.EqualFold(first.URL.Scheme, req.URL.Scheme))
}

// drain reads a little of a body so its connection can be reused, and closes it.
func drain(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, b, 4<<10)
	_ = b.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// String describes the transport without its source's configuration.
func (t *Transport) String() string {
	if t == nil {
		return "<nil>"
	}
	return "iotauth.Transport{platform: " + t.plat.Name + "}"
}

// GoString is String, so %#v reveals nothing either.
func (t *Transport) GoString() string { return t.String() }

// Format prints String for every verb.
func (t *Transport) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue makes log/slog print the platform only.
func (t *Transport) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON encodes the platform only.
func (t *Transport) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"platform":%q}`, t.plat.Name), nil
}
