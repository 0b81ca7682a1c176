package iotauth

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// gate says when the source may be called next. After a success, the clock
// alone may not call it again for the minimum backoff; after a failure, not
// before the backoff (or, for refused credentials, the hold-off) has passed,
// and callers that hold no servable token get the failure
// (coldState.lastErr) meanwhile.
type gate struct {
	notBefore atomic.Int64 // Unix nanoseconds
}

// open reports whether a call to the source may start at now.
func (g *gate) open(now time.Time) bool { return now.UnixNano() >= g.notBefore.Load() }

// wait is how long after now the gate opens; not positive when it is open.
func (g *gate) wait(now time.Time) time.Duration {
	return time.Duration(g.notBefore.Load() - now.UnixNano())
}

// settleLocked records the outcome of a flight that replaced old, began at
// began and ended at now: it installs a new token and moves the gate. A
// deferred flight is retried with backoff, and no later than old's real
// expiry. c.mu must be held.
func (c *Cache) settleLocked(o outcome, old *Token, began, now time.Time) {
	if o.err == nil {
		c.installLocked(o.tok, now)
		if c.cold != nil {
			c.cold.failures, c.cold.lastErr, c.cold.deferred = 0, nil, false
		}
		c.gate.notBefore.Store(began.Add(c.cfg.minBackoff).UnixNano())
		return
	}
	cs := c.coldLocked()
	cs.failures++
	cs.deferred = o.deferred
	d := c.cfg.backoff(cs.failures)
	next := now.Add(d).UnixNano()
	switch {
	case o.deferred:
		cs.lastErr = nil
		if old != nil && !old.Expiry.IsZero() {
			next = min(next, unixNano(old.Expiry))
		}
	case IsCredentialFailure(o.err):
		cs.lastErr = o.err
		next = now.Add(c.cfg.holdOff).UnixNano() // latched: retrying cannot help and may lock the account
	default:
		cs.lastErr = o.err
	}
	if !o.deferred {
		c.n.fails.Add(1)
	}
	c.gate.notBefore.Store(next)
}

// backoff is the delay before retry n (1-based): minBackoff doubling to
// maxBackoff, scaled by a random factor in [0.8, 1.2).
func (c *plainConfig) backoff(n int32) time.Duration {
	d := c.minBackoff
	for i := int32(1); i < n && d < c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.maxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
