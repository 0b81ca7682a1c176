package iotauth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a TokenSource that calls its source only when it must, and never
// twice at once. It is what makes a platform that keeps only the last token
// valid (OceanConnect) safe to use from many goroutines.
//
//   - A valid cached token is served with two atomic loads: no lock, no
//     allocation, no clock read. Timers move the cached entry from fresh to
//     refresh-due to expired.
//   - Once a token enters its refresh window, one background refresh starts;
//     callers keep getting the current token meanwhile. Only callers that hold
//     no valid token wait, and they all wait for the same login.
//   - The login runs detached from the callers' contexts, bounded by its own
//     timeout (WithRefreshTimeout); a caller whose context ends stops waiting.
//   - A failed refresh keeps the current token in service (stale-if-error) and
//     is retried with exponential backoff and jitter. Without a valid token,
//     callers within the backoff get the last error without a new call.
//   - Credential failures (ErrInvalidCredentials, ErrCaptchaRequired,
//     ErrForbidden) are latched for a hold-off (WithHoldOff): no call at all.
//   - With WithStore, tokens are shared with other processes, and with a
//     Locker store only one process of the fleet logs in at a time.
//
// A Cache forwards the optional interfaces of its source (Authorizer,
// RejectionClassifier, HostBinder, Platformer, Keyer), so a Transport over a
// Cache behaves as one over the source.
type Cache struct {
	src      TokenSource
	cfg      cacheConfig
	platform string
	key      string // Store key; "" without a store

	cur atomic.Pointer[entry]

	mu           sync.Mutex
	fl           *flight       // the login or refresh in progress, if any
	flying       atomic.Bool   // fl != nil, readable without mu
	lastErr      error         // the last failure, served during backoff or hold-off
	retryAt      time.Time     // no new attempt before this
	retryAtNano  atomic.Int64  // retryAt in Unix nanoseconds (0: none), readable without mu
	failures     int           // consecutive failures, for the backoff
	installed    chan struct{} // closed and replaced when a token is installed
	watchStarted bool
	stopWatch    func()
	closed       bool

	hits                            hitCounter
	waits, logins, refreshes, fails atomic.Int64
}

// entry is one cached token with the state its timers move it through.
type entry struct {
	tok     *Token
	state   atomic.Int32
	refresh *time.Timer
	expire  *time.Timer
}

const (
	stateFresh int32 = iota
	stateDue
	stateExpired
)

// flight is one login or refresh that callers wait for.
type flight struct {
	done chan struct{}
	tok  *Token
	err  error
}

// CacheStats counts what a Cache did.
type CacheStats struct {
	Hits      int64 // tokens served from the cache without waiting
	Waits     int64 // callers that waited for a login or refresh
	Logins    int64 // calls to the source's Token
	Refreshes int64 // calls to the source's Refresh
	Failures  int64 // logins and refreshes that failed
}

// NewCache wraps src. It panics if WithStore is given and neither src (as a
// Keyer) nor WithStoreKey names the credential: without a key, processes
// could not find each other's tokens.
func NewCache(src TokenSource, opts ...CacheOption) *Cache {
	cfg := defaultCacheConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.sanitize()
	c := &Cache{src: src, cfg: cfg, platform: platformOf(src), installed: make(chan struct{})}
	if cfg.store != nil {
		c.key = cfg.storeKey
		if k, ok := src.(Keyer); ok && c.key == "" {
			c.key = k.CacheKey()
		}
		if c.key == "" {
			panic("iotauth: WithStore needs a key: the source is not a Keyer, so add WithStoreKey")
		}
	}
	return c
}

// Token returns a valid token, from the cache when it has one.
func (c *Cache) Token(ctx context.Context) (*Token, error) {
	if e := c.cur.Load(); e != nil {
		switch e.state.Load() {
		case stateFresh:
			c.hits.add()
			return e.tok, nil
		case stateDue:
			c.hits.add()
			if !c.flying.Load() && !c.backingOff() {
				c.refreshAhead(ctx, e)
			}
			return e.tok, nil
		}
	}
	return c.wait(ctx)
}

// backingOff reports, without the lock, whether a backoff or hold-off is
// running, so that refresh-due hits during one do not queue on c.mu.
func (c *Cache) backingOff() bool {
	n := c.retryAtNano.Load()
	return n != 0 && time.Now().UnixNano() < n
}

// refreshAhead starts a background refresh of e's token unless one is in
// flight, a backoff or hold-off is running, or e was already replaced.
func (c *Cache) refreshAhead(ctx context.Context, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fl == nil && c.cur.Load() == e && !c.closed && !time.Now().Before(c.retryAt) {
		c.start(ctx, e.tok)
	}
}

// wait serves a caller that holds no valid token: it joins the flight in
// progress or starts one, unless a backoff or hold-off says not to.
func (c *Cache) wait(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	var old *Token
	if e := c.cur.Load(); e != nil {
		if s := e.state.Load(); s != stateExpired {
			c.mu.Unlock()
			c.hits.add()
			return e.tok, nil
		}
		old = e.tok
	}
	f := c.fl
	if f == nil {
		if c.lastErr != nil && time.Now().Before(c.retryAt) {
			err := c.lastErr
			c.mu.Unlock()
			return nil, err
		}
		if c.closed {
			c.mu.Unlock()
			return nil, errCacheClosed
		}
		f = c.start(ctx, old)
	}
	c.mu.Unlock()
	c.waits.Add(1)
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var errCacheClosed = errors.New("iotauth: cache closed")

// start launches a flight that replaces old. c.mu must be held.
func (c *Cache) start(ctx context.Context, old *Token) *flight {
	f := &flight{done: make(chan struct{})}
	c.fl = f
	c.flying.Store(true)
	// The flight keeps the first caller's values (trace ids) but not its
	// cancellation: other callers depend on it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.refreshTimeout)
	go func() {
		defer cancel()
		c.fly(fctx, f, old)
	}()
	return f
}

// fly obtains a token and publishes the outcome to the flight's waiters.
func (c *Cache) fly(ctx context.Context, f *flight, old *Token) {
	began := time.Now()
	tok, op, err := c.obtain(ctx, old)
	if err == nil {
		err = c.check(op, tok)
	}
	if err != nil {
		tok = nil
	}
	c.mu.Lock()
	if err == nil {
		c.installLocked(tok)
		c.failures, c.lastErr, c.retryAt = 0, nil, time.Time{}
		c.retryAtNano.Store(0)
	} else {
		c.fails.Add(1)
		c.failures++
		c.lastErr = err
		if IsCredentialFailure(err) {
			c.retryAt = time.Now().Add(c.cfg.holdOff) // latched
		} else {
			c.retryAt = time.Now().Add(c.backoff(c.failures))
		}
		c.retryAtNano.Store(c.retryAt.UnixNano())
	}
	c.fl = nil
	c.flying.Store(false)
	c.mu.Unlock()

	// Report before waking the waiters, so that a hook persisting the token
	// has done so before anyone uses it.
	c.report(ctx, op, tok, err, time.Since(began))
	f.tok, f.err = tok, err
	close(f.done)
}

// check refuses a token no caller could use, so that a broken source does
// not look like a success.
func (c *Cache) check(op string, t *Token) error {
	why := ""
	switch {
	case t == nil:
		why = "source returned no token and no error"
	case t.AccessToken == "":
		why = "source returned a token without an access token"
	case !t.Expiry.IsZero() && !time.Now().Before(t.Expiry):
		why = "source returned an expired token"
	default:
		return nil
	}
	return &Error{Platform: c.platform, Op: op, Kind: ErrMalformedResponse, Message: why}
}

// obtain gets a new token: from the store when another process already got
// one, else by a refresh (if the source can) or a login, under the fleet
// lock when the store has one.
func (c *Cache) obtain(ctx context.Context, old *Token) (*Token, string, error) {
	if c.cfg.store == nil {
		return c.fetch(ctx, old)
	}
	c.ensureWatch()
	if t := c.loadUsable(ctx, old); t != nil {
		return t, "adopt", nil
	}
	unlock, t := c.lockFleet(ctx, old)
	if t != nil {
		return t, "adopt", nil
	}
	defer unlock()
	tok, op, err := c.fetch(ctx, old)
	if err == nil && c.check(op, tok) == nil {
		sctx, cancel := c.storeCtx(ctx)
		if serr := c.cfg.store.Save(sctx, c.key, tok); serr != nil {
			c.warn("iotauth: token store save failed; other processes will log in themselves", serr)
		}
		cancel()
	}
	return tok, op, err
}

// fetch refreshes old when the source is a Refresher, falling back to a
// login when the refresh fails for any reason but the flight's own timeout.
func (c *Cache) fetch(ctx context.Context, old *Token) (*Token, string, error) {
	if r, ok := c.src.(Refresher); ok && old != nil {
		c.refreshes.Add(1)
		began := time.Now()
		tok, err := r.Refresh(ctx, old)
		if err == nil {
			return tok, "refresh", nil
		}
		c.fails.Add(1)
		c.report(ctx, "refresh", nil, err, time.Since(began))
		if ctx.Err() != nil {
			return nil, "refresh", err
		}
	}
	c.logins.Add(1)
	tok, err := c.src.Token(ctx)
	return tok, "login", err
}

// backoff is the delay before retry n (1-based): cfg.minBackoff doubling to
// cfg.maxBackoff, scaled by a random factor in [0.8, 1.2).
func (c *Cache) backoff(n int) time.Duration {
	d := c.cfg.minBackoff
	for i := 1; i < n && d < c.cfg.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.maxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// installLocked makes t the cached token and arms the timers that move it
// to refresh-due and expired. c.mu must be held.
func (c *Cache) installLocked(t *Token) {
	e := &entry{tok: t}
	now := time.Now()
	if !t.Expiry.IsZero() {
		expireIn, window := c.timing(t, now)
		refreshIn := expireIn - c.spread(window, t.lifetime(now))
		switch {
		case expireIn <= 0:
			e.state.Store(stateExpired)
		case refreshIn <= 0:
			e.state.Store(stateDue)
			e.expire = time.AfterFunc(expireIn, func() { e.state.Store(stateExpired) })
		default:
			e.refresh = time.AfterFunc(refreshIn, func() { e.state.CompareAndSwap(stateFresh, stateDue) })
			e.expire = time.AfterFunc(expireIn, func() { e.state.Store(stateExpired) })
		}
	}
	if prev := c.cur.Swap(e); prev != nil {
		prev.stop()
	}
	close(c.installed)
	c.installed = make(chan struct{})
}

// timing returns how long until t stops being valid to the cache (its
// expiry less the skew) and the refresh window before that: WithRefreshWindow
// or the default rule, without jitter.
func (c *Cache) timing(t *Token, now time.Time) (expireIn, window time.Duration) {
	life := t.lifetime(now)
	expireIn = t.Expiry.Add(-skewFor(life)).Sub(now)
	if c.cfg.window > 0 {
		return expireIn, c.cfg.window
	}
	return expireIn, DefaultRefreshWindow(life)
}

// spread starts a default-rule window up to 10% earlier at random, so that
// a fleet does not refresh in lockstep, but never more than half of life.
// A fixed WithRefreshWindow is kept as it is.
func (c *Cache) spread(w, life time.Duration) time.Duration {
	if c.cfg.window > 0 {
		return w
	}
	w += time.Duration(rand.Float64() * 0.1 * float64(w))
	return min(w, life/2)
}

func (e *entry) stop() {
	if e.refresh != nil {
		e.refresh.Stop()
	}
	if e.expire != nil {
		e.expire.Stop()
	}
}

// Invalidate drops t if it is still the cached token, so that the next
// caller gets a new one. Many requests rejected with the same token cause
// one new login, not one each.
func (c *Cache) Invalidate(t *Token) {
	if t == nil {
		return
	}
	if e := c.cur.Load(); e != nil && e.tok == t {
		e.state.Store(stateExpired)
		e.stop()
	}
}

// Stats returns what the cache has done so far.
func (c *Cache) Stats() CacheStats {
	return CacheStats{
		Hits: c.hits.load(), Waits: c.waits.Load(), Logins: c.logins.Load(),
		Refreshes: c.refreshes.Load(), Failures: c.fails.Load(),
	}
}

// Close stops the cache's timers and store watch, and closes the source
// when it is an io.Closer (OceanConnect logs out). With a Store, the source
// is not closed: other processes may be using the same token, and a logout
// by one replica in a rolling restart would have them all rejected. Token
// fails afterwards once the cached token is no longer valid.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	stop := c.stopWatch
	c.stopWatch = nil
	if e := c.cur.Load(); e != nil {
		e.stop()
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	if cl, ok := c.src.(io.Closer); ok && c.cfg.store == nil {
		return cl.Close()
	}
	return nil
}

// report logs a login or refresh and calls the hook.
func (c *Cache) report(ctx context.Context, op string, tok *Token, err error, d time.Duration) {
	if l := c.cfg.logger; l != nil {
		if err != nil {
			l.LogAttrs(ctx, slog.LevelWarn, "iotauth: "+op+" failed", slog.String("platform", c.platform),
				slog.String("outcome", "error"), slog.Duration("duration", d), slog.String("error", err.Error()))
		} else {
			l.LogAttrs(ctx, slog.LevelInfo, "iotauth: "+op, slog.String("platform", c.platform),
				slog.String("outcome", "ok"), slog.Duration("duration", d), slog.Time("expiry", tok.Expiry))
		}
	}
	if c.cfg.hook != nil {
		c.cfg.hook(Event{Platform: c.platform, Op: op, Token: tok, Err: err, Duration: d})
	}
}

func (c *Cache) warn(msg string, err error) {
	if c.cfg.logger != nil {
		c.cfg.logger.LogAttrs(context.Background(), slog.LevelWarn, msg,
			slog.String("platform", c.platform), slog.String("error", err.Error()))
	}
}

// Authorize forwards to the source's Authorizer, else sets
// "Authorization: <type> <token>".
func (c *Cache) Authorize(req *http.Request, t *Token) error { return Authorize(c.src, req, t) }

// TokenRejected forwards to the source's RejectionClassifier, else reports HTTP 401.
func (c *Cache) TokenRejected(resp *http.Response) bool { return TokenRejected(c.src, resp) }

// Hosts forwards to the source's HostBinder, else returns nil.
func (c *Cache) Hosts() []string {
	if h, ok := c.src.(HostBinder); ok {
		return h.Hosts()
	}
	return nil
}

// Platform names the source's platform.
func (c *Cache) Platform() string { return c.platform }

// CacheKey forwards to the source's Keyer, else returns the WithStoreKey key.
func (c *Cache) CacheKey() string {
	if k, ok := c.src.(Keyer); ok {
		return k.CacheKey()
	}
	return c.cfg.storeKey
}
