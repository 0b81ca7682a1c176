package iotauth

import (
	"io"
	"net/http"
	"strings"
)

// Transport is an http.RoundTripper that authorizes requests with tokens from
// a TokenSource, usually a *Cache:
//
//   - Credentials are attached through the source's Authorizer, else as
//     "Authorization: <type> <token>", on a clone: the caller's request is
//     never modified.
//   - Credentials go only to the hosts the source declares (HostBinder) or
//     WithHosts names. With neither, they go to the host the caller sends to,
//     but not to another host a redirect leads to. Other requests pass through
//     without credentials.
//   - When the response says the token was rejected (HTTP 401, or the
//     source's RejectionClassifier), the token is invalidated and the request
//     is sent once more with a fresh token, if its body can be replayed
//     (no body, or GetBody). Otherwise the response is returned as it is.
type Transport struct {
	src      TokenSource
	base     http.RoundTripper
	hosts    []string // host:port or host that may receive credentials
	declared bool     // hosts came from the source or WithHosts
}

// NewTransport returns a Transport that takes tokens from src and sends
// requests through base (http.DefaultTransport when nil).
func NewTransport(src TokenSource, base http.RoundTripper, opts ...TransportOption) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{src: src, base: base}
	if hb, ok := src.(HostBinder); ok {
		t.hosts = append(t.hosts, hb.Hosts()...)
	}
	for _, o := range opts {
		o(t)
	}
	for i, h := range t.hosts {
		t.hosts[i] = strings.ToLower(h)
	}
	t.declared = len(t.hosts) > 0
	return t
}

// RoundTrip authorizes and sends req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.mayAuthorize(req) {
		return t.base.RoundTrip(req)
	}
	tok, err := t.src.Token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	canReplay := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.send(req, req.Body, tok)
	if err != nil || !TokenRejected(t.src, resp) {
		return resp, err
	}
	if inv, ok := t.src.(Invalidator); ok {
		inv.Invalidate(tok)
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
	fresh, err := t.src.Token(req.Context())
	if err != nil {
		if body != nil {
			body.Close()
		}
		return resp, nil
	}
	drain(resp.Body)
	return t.send(req, body, fresh)
}

// send sends a clone of req with body and tok's credentials.
func (t *Transport) send(req *http.Request, body io.ReadCloser, tok *Token) (*http.Response, error) {
	r := cloneRequest(req)
	r.Body = body
	if err := Authorize(t.src, r, tok); err != nil {
		closeBody(r)
		return nil, err
	}
	return t.base.RoundTrip(r)
}

// mayAuthorize applies the host binding.
func (t *Transport) mayAuthorize(req *http.Request) bool {
	if req.URL == nil {
		return false
	}
	if t.declared {
		return t.allowed(req.URL.Scheme, req.URL.Host)
	}
	// No declared hosts: the caller's own host only, never a redirect's.
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first == req || strings.EqualFold(first.URL.Host, req.URL.Host)
}

// allowed reports whether host (as in a URL, with or without a port) is
// one of t.hosts, treating a missing port as the scheme's default.
func (t *Transport) allowed(scheme, host string) bool {
	port := ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host, port = host[:i], host[i+1:]
	} else if scheme == "http" {
		port = "80"
	} else {
		port = "443"
	}
	for _, h := range t.hosts {
		if len(h) == len(host) && strings.EqualFold(h, host) {
			return true // declared without a port: any port
		}
		if len(h) == len(host)+1+len(port) && strings.EqualFold(h[:len(host)], host) &&
			h[len(host)] == ':' && h[len(host)+1:] == port {
			return true
		}
	}
	return false
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

// cloneRequest copies req shallowly with its own header map: the caller's
// request is not modified, at the cost of two allocations.
func cloneRequest(req *http.Request) *http.Request {
	r := new(http.Request)
	*r = *req
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	return r
}
