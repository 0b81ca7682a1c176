package iotauth

import (
	"math/rand/v2"
	"time"
)

// The gate: when the source may be called next (Cache.notBefore). After a
// success, the clock alone may not call it again for the minimum backoff;
// after a failure, not before the backoff (or, for refused credentials, the
// hold-off) has passed, and callers that hold no servable token get the
// failure (coldState.lastErr) meanwhile.

// mayCall reports whether a call to the source may start at now.
func (c *Cache) mayCall(now time.Time) bool { return now.UnixNano() >= c.notBefore.Load() }

// settleLocked records the outcome of a call that began at began and ended at
// now. c.mu must be held.
func (c *Cache) settleLocked(began, now time.Time, err error) {
	if err == nil {
		if c.cold != nil {
			c.cold.failures, c.cold.lastErr = 0, nil
		}
		c.notBefore.Store(began.Add(c.cfg.minBackoff).UnixNano())
		return
	}
	cs := c.coldLocked()
	cs.failures++
	cs.lastErr = err
	d := c.backoff(cs.failures)
	if IsCredentialFailure(err) {
		d = c.cfg.holdOff // latched: retrying cannot help and may lock the account
	}
	c.notBefore.Store(now.Add(d).UnixNano())
}

// backoff is the delay before retry n (1-based): cfg.minBackoff doubling to
// cfg.maxBackoff, scaled by a random factor in [0.8, 1.2).
func (c *Cache) backoff(n int32) time.Duration {
	d := c.cfg.minBackoff
	for i := int32(1); i < n && d < c.cfg.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.maxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
