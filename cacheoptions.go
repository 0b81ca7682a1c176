package iotauth

import (
	"log/slog"
	"sync"
	"time"
)

// CacheOption configures NewCache. A duration option given zero or a
// negative value keeps its default. A nil CacheOption makes NewCache panic.
type CacheOption func(*cacheConfig)

// cacheConfig is a Cache's configuration, declared once: the plain part,
// which Caches with the same settings share, and what makes a configuration
// a Cache's own.
type cacheConfig struct {
	plainConfig
	logger        *slog.Logger
	hook          func(Event)
	store         Store
	lastTokenOnly bool // the source's Platform.LastTokenOnly, with a store
}

// plainConfig is the comparable part of a configuration. A configuration
// without a logger, hook or store is interned by it, so that the many Caches
// of a service with one credential per device share one copy instead of
// holding a copy each.
type plainConfig struct {
	window         time.Duration // 0: the default rule
	holdOff        time.Duration
	refreshTimeout time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	lease          time.Duration
	storeTimeout   time.Duration
	storeKey       string
	countHits      bool
}

func defaultCacheConfig() cacheConfig {
	return cacheConfig{plainConfig: plainConfig{
		holdOff:        5 * time.Minute,
		refreshTimeout: 30 * time.Second,
		minBackoff:     time.Second,
		maxBackoff:     time.Minute,
		lease:          15 * time.Second,
		storeTimeout:   2 * time.Second,
	}}
}

// plainConfigs holds the interned plain configurations.
var plainConfigs sync.Map // plainConfig -> *cacheConfig

// intern returns a shared copy of c when it is plain, else a copy of its own.
func (c cacheConfig) intern() *cacheConfig {
	if c.logger != nil || c.hook != nil || c.store != nil {
		return &c
	}
	if v, ok := plainConfigs.Load(c.plainConfig); ok {
		return v.(*cacheConfig)
	}
	v, _ := plainConfigs.LoadOrStore(c.plainConfig, &c)
	return v.(*cacheConfig)
}

// sanitize puts back the default of every duration set to zero or less,
// so that a mistyped option cannot make every login time out at once.
func (c *cacheConfig) sanitize() {
	def := defaultCacheConfig()
	for _, f := range []struct{ v, d *time.Duration }{
		{&c.holdOff, &def.holdOff}, {&c.refreshTimeout, &def.refreshTimeout},
		{&c.minBackoff, &def.minBackoff}, {&c.maxBackoff, &def.maxBackoff},
		{&c.lease, &def.lease}, {&c.storeTimeout, &def.storeTimeout},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	c.window = max(c.window, 0)
	c.maxBackoff = max(c.maxBackoff, c.minBackoff)
}

// WithRefreshWindow refreshes every token d before it stops being served,
// instead of DefaultRefreshWindow of its time left with a random spread. A
// window wider than half the time a token has left is clamped to that half
// (the expiry rule is documented at [Skew]).
func WithRefreshWindow(d time.Duration) CacheOption { return func(c *cacheConfig) { c.window = d } }

// WithHoldOff sets how long a credential failure (ErrInvalidCredentials,
// ErrCaptchaRequired, ErrForbidden) is latched: no call to the source is made
// during it, and callers get the latched error. Default 5 minutes.
func WithHoldOff(d time.Duration) CacheOption { return func(c *cacheConfig) { c.holdOff = d } }

// WithRefreshTimeout bounds one login or refresh, which runs detached from
// the callers' contexts. Default 30 seconds.
func WithRefreshTimeout(d time.Duration) CacheOption {
	return func(c *cacheConfig) { c.refreshTimeout = d }
}

// WithBackoff sets the retry backoff after a retryable failure: min doubling
// up to max, with jitter. Default 1 s to 1 min.
func WithBackoff(min, max time.Duration) CacheOption {
	return func(c *cacheConfig) { c.minBackoff, c.maxBackoff = min, max }
}

// WithLogger logs one record per login or refresh, with the platform, the
// outcome and the duration; never a token or a secret. Without it, only
// warnings are logged, to slog.Default().
func WithLogger(l *slog.Logger) CacheOption { return func(c *cacheConfig) { c.logger = l } }

// WithHook calls h after every login and refresh, with the new token or the
// failure: to persist rotated tokens elsewhere or to export metrics. h runs
// on the refreshing goroutine and should return quickly.
func WithHook(h func(Event)) CacheOption { return func(c *cacheConfig) { c.hook = h } }

// WithStore shares tokens through s: a token saved by another process is
// adopted instead of logging in, and when s is a Locker, one process in the
// fleet logs in at a time.
func WithStore(s Store) CacheOption { return func(c *cacheConfig) { c.store = s } }

// WithStoreKey names the credential in the Store, for sources that do not
// describe none (Platform.StoreKey), or to share a credential under another
// name. Build it with StoreKey.
func WithStoreKey(key string) CacheOption { return func(c *cacheConfig) { c.storeKey = key } }

// WithLease sets the fleet lock's lease (default 15 s), renewed while a
// login runs; a holder that dies releases the lock after at most this long.
func WithLease(d time.Duration) CacheOption { return func(c *cacheConfig) { c.lease = d } }

// WithStoreTimeout bounds each Store call (default 2 s). A slow or absent
// store never blocks a caller longer.
func WithStoreTimeout(d time.Duration) CacheOption {
	return func(c *cacheConfig) { c.storeTimeout = d }
}

// WithHitCounting makes Stats count Hits. Counting costs every cache hit
// an atomic add on a counter shared by all goroutines, several times the
// cost of an uncounted hit when many cores read the same Cache, so it is off
// by default and Hits stays 0.
func WithHitCounting() CacheOption { return func(c *cacheConfig) { c.countHits = true } }
