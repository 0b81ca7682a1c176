package iotauth

import (
	"context"
	"log/slog"
	"time"
)

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
