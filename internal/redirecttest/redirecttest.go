// Package redirecttest checks that providers' calls never follow a redirect
// that could carry a credential elsewhere. A Front is an https server in
// front of an emulator that answers chosen calls with a redirect, either to
// another origin (which counts every request that reaches it) or to itself.
package redirecttest

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/iotauth/iotauth"
)

// Statuses are the redirect statuses every call is tried with.
var Statuses = []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
	http.StatusTemporaryRedirect, http.StatusPermanentRedirect}

// Target is where a redirect leads.
type Target int

const (
	// ForeignTLS is another https server: another port, another origin.
	ForeignTLS Target = iota
	// ForeignHTTP is a plain http server.
	ForeignHTTP
	// Downgrade is the front's own host and port over http.
	Downgrade
	// SameOrigin is the front itself, at the same path.
	SameOrigin
)

// Targets are the other-origin targets every call is tried with.
var Targets = []Target{ForeignTLS, ForeignHTTP, Downgrade}

// String names the target in subtest names.
func (t Target) String() string {
	return [...]string{"foreign-https", "foreign-http", "downgrade-http", "same-origin"}[t]
}

// followedMark is added to the query of a same-origin redirect, so the
// front serves the second request instead of redirecting it again.
const followedMark = "iotauth-redirected"

// Front is an https server that proxies to an emulator and redirects the
// calls Redirect selects.
type Front struct {
	URL string // https://127.0.0.1:port

	srv         *httptest.Server
	foreignTLS  *httptest.Server
	foreignHTTP *httptest.Server
	foreignHits atomic.Int64
	followed    atomic.Int64
	mu          sync.Mutex
	match       func(*http.Request) bool
	status      int
	target      Target
}

// NewFront starts a Front proxying to upstream, and the foreign servers.
// Everything is closed when t ends.
func NewFront(t testing.TB, upstream string) *Front {
	t.Helper()
	up, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("redirecttest: upstream: %v", err)
	}
	f := &Front{}
	proxy := httputil.NewSingleHostReverseProxy(up)
	foreign := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.foreignHits.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	f.foreignTLS = httptest.NewTLSServer(foreign)
	f.foreignHTTP = httptest.NewServer(foreign)
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has(followedMark) {
			f.followed.Add(1)
			q := r.URL.Query()
			q.Del(followedMark)
			r.URL.RawQuery = q.Encode()
			proxy.ServeHTTP(w, r)
			return
		}
		if loc, status, ok := f.redirectFor(r); ok {
			http.Redirect(w, r, loc, status)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.foreignTLS.Close)
	t.Cleanup(f.foreignHTTP.Close)
	f.URL = f.srv.URL
	return f
}

// Redirect makes every later request that match selects (after its body
// was read by match, if needed: use Form) answer status to target.
func (f *Front) Redirect(status int, target Target, match func(*http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.target, f.match = status, target, match
}

// Path matches requests to a path.
func Path(p string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Path == p }
}

func (f *Front) redirectFor(r *http.Request) (string, int, bool) {
	f.mu.Lock()
	match, status, target := f.match, f.status, f.target
	f.mu.Unlock()
	if match == nil || !match(r) {
		return "", 0, false
	}
	path := r.URL.RequestURI()
	switch target {
	case ForeignTLS:
		return f.foreignTLS.URL + path + "?steal=1", status, true
	case ForeignHTTP:
		return f.foreignHTTP.URL + path + "?steal=1", status, true
	case Downgrade:
		return "http://" + f.srv.Listener.Addr().String() + path, status, true
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + followedMark + "=1", status, true
}

// Client returns an http.Client that trusts the front and the foreign
// https server (httptest servers share one certificate).
func (f *Front) Client() *http.Client { return f.srv.Client() }

// CAPEM returns the front's certificate in PEM, to trust it as a CA.
func (f *Front) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
}

// ForeignHits is how many requests reached a foreign server.
func (f *Front) ForeignHits() int64 { return f.foreignHits.Load() }

// Followed is how many same-origin redirects were followed.
func (f *Front) Followed() int64 { return f.followed.Load() }

// ForeignHost returns the host:port a target names, as a refused
// redirect's error must.
func (f *Front) ForeignHost(target Target) string {
	switch target {
	case ForeignTLS:
		return strings.TrimPrefix(f.foreignTLS.URL, "https://")
	case ForeignHTTP:
		return strings.TrimPrefix(f.foreignHTTP.URL, "http://")
	}
	return f.srv.Listener.Addr().String()
}

// RequireRefused fails t unless err is an iotauth.ErrRedirect naming the
// target's host, no request reached a foreign server, and no secret is in
// the error however it is printed.
func (f *Front) RequireRefused(t testing.TB, err error, target Target, secrets ...string) {
	t.Helper()
	if !errors.Is(err, iotauth.ErrRedirect) {
		t.Fatalf("want an iotauth.ErrRedirect, got %v", err)
	}
	var e *iotauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *iotauth.Error, got %T", err)
	}
	if n := f.ForeignHits(); n != 0 {
		t.Fatalf("%d request(s) reached the foreign host", n)
	}
	if host := f.ForeignHost(target); !strings.Contains(err.Error(), host) {
		t.Errorf("error %q does not name the target host %s", err, host)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, err)
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("error printed with %s holds a secret: %s", verb, out)
			}
		}
		if strings.Contains(out, "steal") {
			t.Errorf("error printed with %s holds the target's path or query: %s", verb, out)
		}
	}
}

// Call is one of a provider's calls to its platform.
type Call struct {
	Name string
	// Match selects the requests to redirect; nil redirects every request.
	Match func(*http.Request) bool
	// Prepare builds the provider over f (f.URL, f.Client() or f.CAPEM()),
	// does what must succeed before the call (such as a login), and
	// returns the call.
	Prepare func(t *testing.T, f *Front) func(context.Context) error
}

// Run tries every call with every status to every other-origin target, each
// on a fresh Front over upstream, and requires each to be refused without
// reaching the target and without secrets in its error.
func Run(t *testing.T, upstream string, calls []Call, secrets ...string) {
	for _, c := range calls {
		for _, target := range Targets {
			for _, status := range Statuses {
				t.Run(fmt.Sprintf("%s/%s/%d", c.Name, target, status), func(t *testing.T) {
					f := NewFront(t, upstream)
					do := c.Prepare(t, f)
					match := c.Match
					if match == nil {
						match = func(*http.Request) bool { return true }
					}
					f.Redirect(status, target, match)
					f.RequireRefused(t, do(context.Background()), target, secrets...)
				})
			}
		}
	}
}
