package iotauth

import (
	"context"
	"log/slog"
	"time"
)

// Event reports what a Cache did to a WithHook hook. Op is one of:
//
//   - "login": the source's Token was called;
//   - "refresh": the source's Refresh was called;
//   - "adopt": a token another process saved was taken from the Store;
//   - "store": a Store call failed or the Cache changed how it uses the
//     store (Message says what it does about it).
//
// Token is the new token (nil on failure), Err the failure (nil on success).
type Event struct {
	Platform string
	Op       string
	Token    *Token
	Err      error
	Message  string
	Duration time.Duration
}

// PoolEvent reports what a Pool did to a WithPoolHook hook. Op is one of:
//
//   - "load": load was called for Key and its Cache built (Cache, and
//     Platform, its source's Describe().Name) or not (Err), in Duration;
//   - "evict": the Pool dropped Key's Cache (of Platform), for Reason:
//     "idle" (WithIdleTimeout), "max" (WithMaxCaches), "forget"
//     (Pool.Forget) or "close" (Pool.Close).
//
// A load that Forget or Close overtook reports nothing: its Cache is never
// used. The Cache's own events go to its WithHook (a Pool option among
// WithPoolCacheOptions), which names the platform but not the key.
type PoolEvent struct {
	Op       string
	Key      string
	Platform string
	Cache    *Cache
	Reason   string
	Err      error
	Duration time.Duration
}

// report logs a call to the source or the store of platform and calls the
// hook. A failure is a warning, logged to slog.Default() when the user gave
// no logger; a success is logged only to the user's logger.
func (c *cacheConfig) report(ctx context.Context, platform string, ev Event) {
	ev.Platform = platform
	switch l := c.logger; {
	case ev.Err != nil:
		msg := "iotauth: " + ev.Op + " failed"
		if ev.Message != "" {
			msg = "iotauth: " + ev.Message
		}
		c.warnings().LogAttrs(ctx, slog.LevelWarn, msg, slog.String("platform", ev.Platform), slog.String("op", ev.Op),
			slog.String("outcome", "error"), slog.Duration("duration", ev.Duration), slog.String("error", ev.Err.Error()))
	case l != nil && ev.Token != nil:
		l.LogAttrs(ctx, slog.LevelInfo, "iotauth: "+ev.Op, slog.String("platform", ev.Platform),
			slog.String("outcome", "ok"), slog.Duration("duration", ev.Duration), slog.Time("expiry", ev.Token.Expiry))
	case ev.Message != "":
		c.warnings().LogAttrs(ctx, slog.LevelInfo, "iotauth: "+ev.Message, slog.String("platform", ev.Platform))
	}
	if h := c.hook; h != nil {
		func() {
			defer func() { _ = recover() }() // a panicking hook must not take the process down
			h(ev)
		}()
	}
}

// info logs a recovery to the user's logger only: it is not a failure.
func (c *cacheConfig) info(ctx context.Context, platform, msg string, cause error) {
	if l := c.logger; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, msg, slog.String("platform", platform), slog.String("cause", cause.Error()))
	}
}

// warnings is where warnings go: the user's logger, else slog.Default().
func (c *cacheConfig) warnings() *slog.Logger {
	if c.logger != nil {
		return c.logger
	}
	return slog.Default()
}
