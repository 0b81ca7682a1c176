package iotauth

import (
	"context"
	"log/slog"
	"time"
)

// report logs a call to the source or the store and calls the hook. A
// failure is a warning, logged to slog.Default() when the user gave no
// logger; a success is logged only to the user's logger.
func (c *Cache) report(ctx context.Context, ev Event) {
	ev.Platform = c.name()
	if ev.Err != nil {
		attrs := []slog.Attr{slog.String("platform", ev.Platform), slog.String("op", ev.Op),
			slog.String("outcome", "error"), slog.Duration("duration", ev.Duration)}
		if ev.Err != nil {
			attrs = append(attrs, slog.String("error", ev.Err.Error()))
		}
		msg := "iotauth: " + ev.Op + " failed"
		if ev.Message != "" {
			msg = "iotauth: " + ev.Message
		}
		c.logger().LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
	} else if l := c.cfg.logger; l != nil && ev.Token != nil {
		l.LogAttrs(ctx, slog.LevelInfo, "iotauth: "+ev.Op, slog.String("platform", ev.Platform),
			slog.String("outcome", "ok"), slog.Duration("duration", ev.Duration), slog.Time("expiry", ev.Token.Expiry))
	} else if ev.Message != "" {
		c.logger().LogAttrs(ctx, slog.LevelInfo, "iotauth: "+ev.Message, slog.String("platform", ev.Platform))
	}
	if h := c.cfg.hook; h != nil {
		func() {
			defer func() { _ = recover() }() // a panicking hook must not take the process down
			h(ev)
		}()
	}
}

// storeFailed reports a failed store call and what the Cache does about it.
func (c *Cache) storeFailed(ctx context.Context, what string, err error) {
	c.report(ctx, Event{Op: "store", Err: err, Message: what})
}

// info logs a recovery to the user's logger only: it is not a failure.
func (c *Cache) info(ctx context.Context, msg string, cause error) {
	if l := c.cfg.logger; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, msg, slog.String("platform", c.name()), slog.String("cause", cause.Error()))
	}
}

// logger is where warnings go.
func (c *Cache) logger() *slog.Logger {
	if c.cfg.logger != nil {
		return c.cfg.logger
	}
	return slog.Default()
}

// earlyRejection is how young a rejected token must be for the rejection to
// suggest that another process logs in with the same credential.
const earlyRejection = time.Minute

// hintShareStore says once, when the platform has rejected a second token
// soon after it was obtained and no Store is shared, what is most likely
// going on. The last successful call began minimum backoff before notBefore.
func (c *Cache) hintShareStore() {
	if c.cfg.store != nil {
		return
	}
	age := time.Duration(time.Now().UnixNano()-c.notBefore.Load()) + c.cfg.minBackoff
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
	c.logger().LogAttrs(context.Background(), slog.LevelWarn,
		"iotauth: the platform rejected a token soon after it was issued; if another process logs in with the same credential, share a Store (iotauth.WithStore) so that they stop invalidating each other's tokens",
		slog.String("platform", c.name()), slog.Duration("token_age", age))
}
