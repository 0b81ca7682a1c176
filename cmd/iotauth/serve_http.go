package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iotauth/iotauth"
	iotauthotel "github.com/iotauth/iotauth/otel"
)

// maxReplay bounds the request body the proxy holds so that the Transport
// can resend a request whose token was rejected; a larger body streams and
// is not resent.
const maxReplay = 1 << 20

// sinkPoll is how often a credential with a token_file asks its Cache for
// the token, which keeps it fresh and the file current.
const sinkPoll = 15 * time.Second

// credential is one configured credential while it serves.
type credential struct {
	name, platform string
	fingerprint    string
	cache          *iotauth.Cache // nil: no token source (alimqtt without resources)
	rec            *iotauthotel.Recorder
	proxy          *httputil.ReverseProxy // nil: no HTTP API to proxy
	mqtt           mqttLogins             // nil: no MQTT logins
	closeMQTT      func()                 // closes what the MQTT logins keep; nil: nothing
	sink           string
	log            *slog.Logger

	// mu is held for reading by each request in flight, and for writing by
	// retire, which so waits for them before closing the cache.
	mu      sync.RWMutex
	retired bool

	failure atomic.Pointer[error] // the last login's or refresh's failure; nil: none
	kick    chan struct{}         // wakes the token file writer
	done    chan struct{}         // closed by retire
	stopped chan struct{}         // closed when the token file writer is done
}

// base is the http.RoundTripper under every proxy's iotauth.Transport:
// http.DefaultTransport with more idle connections kept per host, as a
// proxy that many clients share needs.
var base = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	t.MaxIdleConns = 1024
	return t
}()

// newCredential builds a credential's provider, Cache, proxy and MQTT
// logins. It contacts no platform.
func (a *agent) newCredential(cc credConfig) (*credential, error) {
	s := cc.settings()
	c := &credential{
		name: cc.name, platform: cc.platform, fingerprint: cc.fingerprint(), sink: cc.sink,
		log:  a.log.With("credential", cc.name),
		kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	logOpt := iotauth.WithLogger(c.log)
	src, err := cc.build()
	if err != nil {
		return nil, err
	}
	if src != nil {
		c.rec, err = iotauthotel.New(iotauthotel.WithMeterProvider(a.metrics.mp), iotauthotel.WithHook(c.event))
		if err != nil {
			return nil, failure(err)
		}
		opts := []iotauth.CacheOption{logOpt}
		if a.store != nil && iotauth.Describe(src).StoreKey != "" {
			opts = append(opts, iotauth.WithStore(a.store))
		}
		c.cache = c.rec.NewCache(src, opts...)
		if slices.Contains(commandPlatforms["header"], cc.platform) {
			c.proxy = c.newProxy(cc.keys["base_url"], src)
		}
	}
	if mk := serveMQTTLogins[cc.platform]; mk != nil {
		if c.mqtt, c.closeMQTT, err = mk(s, c.cache, []iotauth.CacheOption{logOpt}); err != nil {
			c.retire()
			return nil, err
		}
	}
	if c.sink != "" && c.cache != nil {
		go c.writeSink()
	} else {
		close(c.stopped)
	}
	return c, nil
}

// event records the outcome of the credential's logins and refreshes for
// /readyz, and wakes the token file writer on a new token.
func (c *credential) event(ev iotauth.Event) {
	switch ev.Op {
	case "login", "refresh", "adopt":
		if ev.Err != nil {
			if ev.Op != "adopt" {
				err := ev.Err
				c.failure.Store(&err)
			}
			return
		}
		c.failure.Store(nil)
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// retire waits for the requests in flight, then closes the cache and what
// the MQTT logins keep.
func (c *credential) retire() {
	c.mu.Lock()
	if c.retired {
		c.mu.Unlock()
		return
	}
	c.retired = true
	c.mu.Unlock()
	close(c.done)
	<-c.stopped
	if c.closeMQTT != nil {
		c.closeMQTT()
	}
	if c.cache != nil {
		c.cache.Close()
		c.rec.Forget(c.cache)
		c.rec.Close()
	}
}

// acquire marks a request in flight; false when the credential was retired.
func (c *credential) acquire() bool {
	c.mu.RLock()
	if c.retired {
		c.mu.RUnlock()
		return false
	}
	return true
}

func (c *credential) release() { c.mu.RUnlock() }

// writeSink keeps the token file current: it asks the Cache for the token
// at start, every sinkPoll and on every new token, and rewrites the file
// when the token changed.
func (c *credential) writeSink() {
	defer close(c.stopped)
	var last string
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		case <-c.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		tok, err := c.cache.Token(ctx)
		cancel()
		if err == nil && tok.AccessToken != last {
			if err := writeFileAtomic(c.sink, []byte(tok.AccessToken)); err != nil {
				c.log.Error("iotauth serve: writing the token file failed", "token_file", c.sink, "error", err.Error())
			} else {
				last = tok.AccessToken
				c.log.Info("iotauth serve: token file written", "token_file", c.sink, "expiry", tok.Expiry)
			}
		}
		t.Reset(sinkPoll)
	}
}

// writeFileAtomic writes b to path with mode 0600 through a rename, so that
// a reader sees the old file or the new one, never a part.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o600); err == nil {
		if _, err = f.Write(b); err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err == nil {
			return nil
		}
	} else {
		f.Close()
	}
	os.Remove(tmp)
	return err
}

// apiError is an answer other than 200, as JSON {"error": kind, "message"}.
type apiError struct {
	status int
	kind   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"error": e.kind, "message": e.msg})
}

// tokenFailure is the answer to a failure to get a token: 503 while the
// Cache holds off after refused credentials, else 502. It names the kind;
// an iotauth error never holds a secret.
func tokenFailure(name string, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	status := http.StatusBadGateway
	if iotauth.IsCredentialFailure(err) {
		status = http.StatusServiceUnavailable
	}
	return &apiError{status, iotauthotel.ErrorType(err), fmt.Sprintf("%s: %s", name, oneLine(err.Error()))}
}

// ServeHTTP routes a request: serve's own routes, the token API, or a
// credential's proxy.
func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := a.state.Load()
	if !a.authorized(r, st, true) {
		writeError(w, &apiError{http.StatusUnauthorized, "unauthorized", "this listener requires Authorization: Bearer <api token> or a client certificate"})
		return
	}
	if e := checkPath(r); e != nil {
		writeError(w, e)
		return
	}
	first, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch first {
	case "healthz":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "readyz":
		a.ready(w, st)
	case "metrics":
		a.metrics.handler.ServeHTTP(w, r)
	case "v1":
		a.api(w, r, st, rest)
	default:
		a.proxy(w, r, st, first)
	}
}

// authorized checks the bearer: on every route with TLS, on the token API
// over loopback TCP, never on a unix socket.
func (a *agent) authorized(r *http.Request, st *agentState, everyRoute bool) bool {
	if a.unix || (everyRoute && !a.tls) {
		return true
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && len(st.bearer) > 0 &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), st.bearer) == 1
}

// checkPath refuses a path that could leave a credential's route: a "." or
// ".." segment (also percent-encoded) or an encoded slash or backslash.
func checkPath(r *http.Request) *apiError {
	raw := strings.ToLower(r.URL.RawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(r.URL.Path, "\\") {
		return &apiError{http.StatusBadRequest, "bad_path", "the path has an encoded slash or a backslash"}
	}
	for seg := range strings.SplitSeq(r.URL.Path, "/") {
		if seg == "." || seg == ".." {
			return &apiError{http.StatusBadRequest, "bad_path", "the path has a . or .. segment"}
		}
	}
	return nil
}

// ready answers /readyz: 200 when every credential's last login succeeded
// or none was needed yet, else 503 naming the failing ones.
func (a *agent) ready(w http.ResponseWriter, st *agentState) {
	failing := map[string]string{}
	for name, c := range st.creds {
		if p := c.failure.Load(); p != nil {
			failing[name] = iotauthotel.ErrorType(*p)
		}
	}
	if len(failing) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failing", "failing": failing})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// credentialFor finds a credential and marks a request in flight on it.
func (a *agent) credentialFor(st *agentState, name string) (*credential, *apiError) {
	for range 3 {
		c := st.creds[name]
		if c == nil {
			return nil, &apiError{http.StatusNotFound, "unknown_credential", fmt.Sprintf("no credential named %q", name)}
		}
		if c.acquire() {
			return c, nil
		}
		st = a.state.Load() // retired by a reload: take the new one
	}
	return nil, &apiError{http.StatusServiceUnavailable, "reloading", errNotServing.Error()}
}

// api answers /v1/credentials/<name>/{token,headers,mqtt}.
func (a *agent) api(w http.ResponseWriter, r *http.Request, st *agentState, rest string) {
	if !a.authorized(r, st, false) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="iotauth"`)
		writeError(w, &apiError{http.StatusUnauthorized, "unauthorized", "the token API requires Authorization: Bearer <contents of api_token_file>"})
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] != "credentials" || !slices.Contains([]string{"token", "headers", "mqtt"}, parts[2]) {
		writeError(w, &apiError{http.StatusNotFound, "not_found", "want /v1/credentials/<name>/token, /headers or /mqtt"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, &apiError{http.StatusMethodNotAllowed, "method_not_allowed", "the token API answers GET"})
		return
	}
	c, e := a.credentialFor(st, parts[1])
	if e != nil {
		writeError(w, e)
		return
	}
	defer c.release()
	v, err := c.answer(r, parts[2])
	if err != nil {
		writeError(w, tokenFailure(c.name, err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// answer is the body of a token API request.
func (c *credential) answer(r *http.Request, what string) (any, error) {
	if what == "mqtt" {
		if c.mqtt == nil {
			return nil, &apiError{http.StatusNotFound, "no_mqtt", fmt.Sprintf("%s: %s has no MQTT logins", c.name, c.platform)}
		}
		l, err := c.mqtt(r.Context(), r.URL.Query())
		if err != nil {
			return nil, err
		}
		return newMQTTLoginJSON(c.platform, l), nil
	}
	if c.cache == nil {
		return nil, &apiError{http.StatusNotFound, "no_tokens", fmt.Sprintf("%s: an alimqtt credential has tokens only when resources is configured; its MQTT logins are at /v1/credentials/%s/mqtt", c.name, c.name)}
	}
	tok, err := c.cache.Token(r.Context())
	if err != nil {
		return nil, err
	}
	if what == "token" {
		out := map[string]any{"access_token": tok.AccessToken, "token_type": tok.Type()}
		if !tok.Expiry.IsZero() {
			out["expiry"] = tok.Expiry.UTC().Format(time.RFC3339)
		}
		return out, nil
	}
	req, _ := http.NewRequest(http.MethodGet, "http://platform.invalid/", nil)
	if err := iotauth.Authorize(c.cache, req, tok); err != nil {
		return nil, err
	}
	h := map[string]string{}
	for name, vs := range req.Header {
		if strings.Contains(name, "_") {
			name = strings.ToLower(name)
		}
		h[name] = strings.Join(vs, ", ")
	}
	return map[string]any{"headers": h}, nil
}

// proxy sends /<name>/<rest> to the credential's base URL.
func (a *agent) proxy(w http.ResponseWriter, r *http.Request, st *agentState, name string) {
	c, e := a.credentialFor(st, name)
	if e != nil {
		writeError(w, e)
		return
	}
	defer c.release()
	if c.proxy == nil {
		writeError(w, &apiError{http.StatusNotFound, "no_proxy", fmt.Sprintf("%s: %s has no HTTP API to proxy; see /v1/credentials/%s/mqtt", name, c.platform, name)})
		return
	}
	replayable(r)
	c.proxy.ServeHTTP(w, r)
}

// replayable holds a body of at most maxReplay bytes in memory and sets
// GetBody, so that the Transport may resend the request once; a larger body
// streams on.
func replayable(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > maxReplay {
		return
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxReplay+1))
	if err != nil || len(buf) > maxReplay {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		return
	}
	r.Body.Close()
	r.ContentLength = int64(len(buf))
	r.Body = io.NopCloser(bytes.NewReader(buf))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
}

// newProxy is the reverse proxy to baseURL through an iotauth.Transport
// over src's Cache. The client's own credentials headers are dropped, and
// so is any response header that carries the token.
func (c *credential) newProxy(baseURL string, src iotauth.TokenSource) *httputil.ReverseProxy {
	target, _ := url.Parse(baseURL) // checked by the provider
	basePath := strings.TrimSuffix(target.EscapedPath(), "/")
	prefix := "/" + c.name
	return &httputil.ReverseProxy{
		Transport: iotauth.NewTransport(c.cache, base),
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			rest := strings.TrimPrefix(pr.In.URL.EscapedPath(), prefix)
			out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
			p, err := url.PathUnescape(basePath + rest)
			if err != nil {
				p = basePath + rest
			}
			out.URL.Path, out.URL.RawPath = p, basePath+rest
			if out.URL.Path == "" {
				out.URL.Path, out.URL.RawPath = "/", ""
			}
			out.URL.RawQuery = pr.In.URL.RawQuery
			out.Host = ""
			for k := range out.Header {
				if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "app_key") {
					delete(out.Header, k)
				}
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			tok, err := c.cache.Token(resp.Request.Context())
			for k, vs := range resp.Header {
				if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "app_key") {
					delete(resp.Header, k)
					continue
				}
				if err == nil && tok.AccessToken != "" && slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, tok.AccessToken) }) {
					delete(resp.Header, k)
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away
			}
			var ie *iotauth.Error
			if errors.As(err, &ie) || errors.Is(err, iotauth.ErrClosed) {
				writeError(w, tokenFailure(c.name, err))
				return
			}
			c.log.Warn("iotauth serve: proxy: the platform could not be reached", "error", oneLine(err.Error()))
			writeError(w, &apiError{http.StatusBadGateway, "upstream", fmt.Sprintf("%s: the platform could not be reached", c.name)})
		},
		ErrorLog: slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
}
