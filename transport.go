package iotauth

import (
	"net/http"
)

// Transport is an http.RoundTripper that authorizes requests with tokens
// from a TokenSource.
type Transport struct {
	src   TokenSource
	base  http.RoundTripper
	hosts []string
}

// NewTransport returns a Transport that takes tokens from src (usually a
// *Cache) and sends requests through base (http.DefaultTransport when nil).
func NewTransport(src TokenSource, base http.RoundTripper, opts ...TransportOption) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{src: src, base: base}
	for _, o := range opts {
		o(t)
	}
	return t
}

// RoundTrip authorizes and sends req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	panic("not yet")
}
