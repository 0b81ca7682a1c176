// Package stubhttp is a small in-memory http.RoundTripper for narrow unit
// tests of providers: each request is answered by a function registered for
// its method and URL, and every call is counted.
package stubhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Responder answers one request.
type Responder func(*http.Request) (*http.Response, error)

// ErrNoResponder is returned (wrapped) for a request nothing was registered for.
var ErrNoResponder = fmt.Errorf("stubhttp: no responder")

// Transport is an http.RoundTripper that never touches the network.
// The zero value is ready to use and answers every request with ErrNoResponder.
type Transport struct {
	mu       sync.Mutex
	routes   map[string]Responder
	fallback Responder
	calls    map[string]int
	total    int
}

// New returns an empty Transport.
func New() *Transport { return &Transport{} }

func key(method, url string) string { return strings.ToUpper(method) + " " + url }

// Register answers requests for method and url with fn, replacing any
// earlier registration. A url without a query also matches requests to it
// that carry one.
func (t *Transport) Register(method, url string, fn Responder) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.routes == nil {
		t.routes = map[string]Responder{}
	}
	t.routes[key(method, url)] = fn
}

// Fallback answers every request no registration matches.
func (t *Transport) Fallback(fn Responder) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fallback = fn
}

// Calls is how many requests were answered by the registration for method and url.
func (t *Transport) Calls(method, url string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[key(method, url)]
}

// TotalCalls is how many requests reached the Transport, answered or not.
func (t *Transport) TotalCalls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Client returns an http.Client whose requests go to t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	fn, k := t.lookup(req)
	if fn == nil {
		return nil, fmt.Errorf("%w for %s %s", ErrNoResponder, req.Method, req.URL)
	}
	res, err := fn(req)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("stubhttp: responder for %s returned no response", k)
	}
	if res.Request == nil {
		res.Request = req
	}
	return res, nil
}

// lookup finds the responder for req and counts the call.
func (t *Transport) lookup(req *http.Request) (Responder, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	full := req.URL.String()
	candidates := []string{key(req.Method, full)}
	if u := *req.URL; u.RawQuery != "" || u.Fragment != "" {
		u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
		candidates = append(candidates, key(req.Method, u.String()))
	}
	for _, k := range candidates {
		if fn, ok := t.routes[k]; ok {
			if t.calls == nil {
				t.calls = map[string]int{}
			}
			t.calls[k]++
			return fn, k
		}
	}
	return t.fallback, "fallback"
}

// BytesResponse returns a response with status and body.
func BytesResponse(status int, body []byte) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}

// StringResponse returns a response with status and body.
func StringResponse(status int, body string) *http.Response {
	return BytesResponse(status, []byte(body))
}

// StringResponder answers every request with status and body.
func StringResponder(status int, body string) Responder {
	return func(*http.Request) (*http.Response, error) { return StringResponse(status, body), nil }
}
