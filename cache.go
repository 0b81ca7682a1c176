package iotauth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a TokenSource that calls its source only when it must, and never
// twice at once. It is what makes a platform that keeps only the last token
// valid (OceanConnect) safe to use from many goroutines, and it is the only
// place in iotauth that decides when a platform is called:
//
//   - A cached token is served with two atomic loads: no lock, no
//     allocation, no clock read. A timer moves the cached entry from fresh to
//     due to dead (the expiry rule is documented at [Skew]).
//   - Once a token is due, one background refresh starts; callers keep
//     getting the current token meanwhile. Only callers that hold no token
//     wait, and they all wait for the same login.
//   - The login runs detached from the callers' contexts, bounded by its own
//     timeout (WithRefreshTimeout); a caller whose context ends stops waiting.
//   - A failed refresh keeps the current token in service until its real
//     expiry (stale-if-error) and is retried with exponential backoff and
//     jitter; credential failures are latched for a hold-off.
//   - With WithStore, tokens are shared with other processes, and with a
//     Locker store only one process of the fleet logs in at a time.
//
// A Cache describes its source's platform (Describe), so a Transport over a
// Cache behaves as one over the source.
type Cache struct {
	// Read by every hit: kept together at the front.
	cur  atomic.Pointer[entry]  // nil before the first token and after Close
	fl   atomic.Pointer[flight] // the login or refresh in progress; written under mu
	gate gate                   // no call to the source starts before it opens
	hits hitCounter

	src TokenSource
	cfg *cacheConfig // shared by Caches built with the same plain options

	mu       sync.Mutex
	isClosed bool
	timer    *time.Timer // moves the current entry on; made at the first install of an expiring token
	cold     *coldState  // made at the first failure or rejection, or by NewCache with a store
	n        struct{ waits, logins, refreshes, fails atomic.Int64 }
}

// coldState is what a Cache needs only after a failure, a rejection or with
// a store, so that the many Caches of a healthy service stay small. Under mu.
type coldState struct {
	lastErr   error         // the failure being backed off or held off; nil after a success
	failures  int32         // consecutive failures, deferrals included
	deferred  bool          // the last flight made no call: the store was down and the token still good
	early     int32         // tokens rejected soon after they were issued, for the "share a Store" hint
	installed chan struct{} // closed at the next install; nil until someone waits for one
	fleet     *fleet        // the fleet protocol, with a store; set by NewCache and never replaced
}

// coldLocked returns c's cold state, making it. c.mu must be held.
func (c *Cache) coldLocked() *coldState {
	if c.cold == nil {
		c.cold = new(coldState)
	}
	return c.cold
}

// fleet returns c's fleet protocol, or nil without a store.
func (c *Cache) fleet() *fleet {
	if c.cfg.store == nil {
		return nil
	}
	return c.cold.fleet // set before c was shared, never written again
}

// hitCounter counts cache hits, WithHitCounting only: nil costs a hit nothing.
type hitCounter struct{ n *atomic.Int64 }

func (h hitCounter) add() {
	if h.n != nil {
		h.n.Add(1)
	}
}

func (h hitCounter) load() int64 {
	if h.n == nil {
		return 0
	}
	return h.n.Load()
}

// CacheStats counts what a Cache did.
type CacheStats struct {
	Hits      int64 // tokens served without waiting; counted only WithHitCounting
	Waits     int64 // callers that waited for a login or refresh
	Logins    int64 // calls to the source's Token
	Refreshes int64 // calls to the source's Refresh
	Failures  int64 // logins and refreshes that failed and were not recovered
}

// NewCache wraps src. It panics when src or an option is nil, or when
// WithStore is given and neither src's Describe nor WithStoreKey names the
// credential (without a key, processes could not find each other's tokens):
// each is a mistake in the program, not a condition to handle.
func NewCache(src TokenSource, opts ...CacheOption) *Cache {
	if src == nil {
		panic("iotauth: NewCache: nil TokenSource; pass a provider (such as oceanconnect.New's) or an iotauth.TokenSourceFunc")
	}
	cfg := newCacheConfig("NewCache: option", opts)
	if cfg.store != nil {
		p := Describe(src)
		cfg.lastTokenOnly = p.LastTokenOnly
		if cfg.storeKey == "" {
			cfg.storeKey = p.StoreKey
		}
		if cfg.storeKey == "" {
			panic("iotauth: NewCache: WithStore needs a key: the source's Describe has no StoreKey, so add WithStoreKey(iotauth.StoreKey(...))")
		}
	}
	return newCache(src, cfg.intern())
}

// newCacheConfig is the default configuration with opts applied, each
// checked: a nil one panics, naming it as what (such as "NewCache: option")
// and its position.
func newCacheConfig(what string, opts []CacheOption) cacheConfig {
	cfg := defaultCacheConfig()
	for i, o := range opts {
		if o == nil {
			panic(fmt.Sprintf("iotauth: %s %d is nil; leave it out instead", what, i+1))
		}
		o(&cfg)
	}
	cfg.sanitize()
	return cfg
}

// newCache builds a Cache over src with cfg, which it may share with other
// Caches (it never writes it).
func newCache(src TokenSource, cfg *cacheConfig) *Cache {
	c := &Cache{src: src, cfg: cfg}
	if cfg.countHits {
		c.hits.n = new(atomic.Int64)
	}
	if cfg.store != nil {
		c.cold = &coldState{fleet: &fleet{c: c}}
	}
	return c
}

// Token returns a token that may be sent now, from the cache when it has one.
// After Close it returns ErrClosed.
func (c *Cache) Token(ctx context.Context) (*Token, error) {
	if e := c.cur.Load(); e != nil {
		switch e.state.Load() {
		case stateFresh:
			c.hits.add()
			return e.tok, nil
		case stateDue:
			c.hits.add()
			if c.fl.Load() == nil && c.gate.open(time.Now()) {
				c.refreshAhead(ctx, e)
			}
			return e.tok, nil
		}
	}
	return c.wait(ctx)
}

// Invalidate drops t if it is still the cached token, so that the next
// caller gets a new one. Many requests rejected with the same token cause
// one new login, not one each.
func (c *Cache) Invalidate(t *Token) {
	if t == nil {
		return
	}
	e := c.cur.Load()
	if e == nil || e.tok != t || e.state.Swap(stateRejected) == stateRejected {
		return
	}
	c.hintShareStore()
}

// earlyRejection is how young a rejected token must be for the rejection to
// suggest that another process logs in with the same credential.
const earlyRejection = time.Minute

// hintShareStore says once, when the platform has rejected a second token
// soon after it was obtained and no Store is shared, what is most likely
// going on. The last successful call began minimum backoff before the gate
// opens.
func (c *Cache) hintShareStore() {
	if c.cfg.store != nil {
		return
	}
	age := -c.gate.wait(time.Now()) + c.cfg.minBackoff
	c.mu.Lock()
	early := int32(0)
	if age < earlyRejection {
		cs := c.coldLocked()
		cs.early++
		early = cs.early
	}
	c.mu.Unlock()
	if early != 2 {
		return
	}
	c.cfg.warnings().LogAttrs(context.Background(), slog.LevelWarn,
		"iotauth: the platform rejected a token soon after it was issued; if another process logs in with the same credential, share a Store (iotauth.WithStore) so that they stop invalidating each other's tokens",
		slog.String("platform", c.name()), slog.Duration("token_age", age))
}

// Stats returns what the cache has done so far.
func (c *Cache) Stats() CacheStats {
	return CacheStats{
		Hits: c.hits.load(), Waits: c.n.waits.Load(), Logins: c.n.logins.Load(),
		Refreshes: c.n.refreshes.Load(), Failures: c.n.fails.Load(),
	}
}

// Describe returns the source's description of its platform, with the
// WithStoreKey key when one was given.
func (c *Cache) Describe() Platform {
	p := Describe(c.src)
	if c.cfg.storeKey != "" {
		p.StoreKey = c.cfg.storeKey
	}
	return p
}

// name names the platform, for logs and errors.
func (c *Cache) name() string { return Describe(c.src).Name }

// Close stops the cache: every caller waiting for a token returns ErrClosed
// at once, a login in flight is cancelled, timers and the store watch stop,
// and Token returns ErrClosed from then on. It is safe to call more than
// once and from many goroutines; calls after the first return nil.
//
// The source is closed too when it is an io.Closer (OceanConnect logs out),
// except with a Store: other processes may be using the same token, and a
// logout by one replica in a rolling restart would have them all rejected.
func (c *Cache) Close() error {
	if !c.stop() {
		return nil
	}
	return c.closeSource()
}

// closeSource closes the source when it is an io.Closer and no Store is
// shared (see Close).
func (c *Cache) closeSource() error {
	if cl, ok := c.src.(io.Closer); ok && c.cfg.store == nil {
		return cl.Close()
	}
	return nil
}

// stop is Close without closing the source: it reports whether this call
// stopped c (false when it was stopped or closed before).
func (c *Cache) stop() bool {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return false
	}
	c.isClosed = true
	c.cur.Store(nil)
	if c.timer != nil {
		c.timer.Stop()
	}
	f := c.fl.Swap(nil)
	c.mu.Unlock()
	if f != nil {
		f.cancel()
		f.finish(outcome{op: "login", err: ErrClosed})
	}
	if fs := c.fleet(); fs != nil {
		fs.close()
	}
	return true
}

// String describes the cache without its source's configuration or token.
func (c *Cache) String() string {
	if c == nil {
		return "<nil>"
	}
	return "iotauth.Cache{platform: " + c.name() + "}"
}

// GoString is String, so %#v reveals nothing either.
func (c *Cache) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *Cache) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue makes log/slog print the platform and the counters only.
func (c *Cache) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	st := c.Stats()
	return slog.GroupValue(slog.String("platform", c.name()),
		slog.Int64("logins", st.Logins), slog.Int64("refreshes", st.Refreshes), slog.Int64("failures", st.Failures))
}

// MarshalJSON encodes the platform and the counters only.
func (c *Cache) MarshalJSON() ([]byte, error) {
	st := c.Stats()
	return fmt.Appendf(nil, `{"platform":%q,"logins":%d,"refreshes":%d,"failures":%d}`,
		c.name(), st.Logins, st.Refreshes, st.Failures), nil
}
