package iotauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// flight is one login or refresh that callers wait for.
type flight struct {
	done     chan struct{}
	finished atomic.Bool
	tok      *Token
	err      error
	cancel   context.CancelFunc // cancels the call; Close uses it
	spaced   chan struct{}      // closed when the flight waits to space a login without the fleet lock
	spacedAt sync.Once
}

// spacing tells the waiters that the flight now waits to space a login
// without the fleet lock: they wait one store timeout more at most.
func (f *flight) spacing() { f.spacedAt.Do(func() { close(f.spaced) }) }

// finish publishes the outcome to the waiters, once.
func (f *flight) finish(tok *Token, err error) {
	if f.finished.CompareAndSwap(false, true) {
		f.tok, f.err = tok, err
		close(f.done)
	}
}

// refreshAhead starts a background refresh of e's token unless one is in
// flight, the gate says not yet, or e was already replaced.
func (c *Cache) refreshAhead(ctx context.Context, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.fl.Load() == nil && c.cur.Load() == e && !c.isClosed && c.mayCall(now) {
		c.start(ctx, e.tok, false, 0)
	}
}

// wait serves a caller whose cached token is dead, rejected or missing: it
// joins the flight in progress or starts one, unless the gate says not yet,
// in which case it gets the old token while it has not really expired, or
// the failure being backed off.
func (c *Cache) wait(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	now := time.Now()
	e := c.cur.Load()
	var old *Token
	rejected := false
	if e != nil {
		switch s := e.state.Load(); s {
		case stateFresh, stateDue:
			c.mu.Unlock()
			c.hit()
			return e.tok, nil
		case stateHeld:
			return c.held(ctx, e, now)
		case stateRejected:
			rejected = true
		}
		old = e.tok
	}
	f := c.fl.Load()
	if f == nil {
		delay := time.Duration(c.notBefore.Load() - now.UnixNano())
		if delay > 0 {
			if e != nil && e.servable(now) {
				c.mu.Unlock()
				c.hit()
				return e.tok, nil
			}
			if c.cold != nil && c.cold.lastErr != nil {
				if !errors.Is(c.cold.lastErr, errStoreDown) {
					err := c.cold.lastErr
					c.mu.Unlock()
					return nil, err
				}
				// The store was down when a refresh was put off, and this
				// caller has no servable token: it may not wait for the store.
				delay = 0
			}
		}
		f = c.start(ctx, old, rejected, delay)
	}
	c.mu.Unlock()
	c.n.waits.Add(1)
	var giveUp <-chan time.Time
	select {
	case <-f.spaced:
		t := time.NewTimer(c.cfg.storeTimeout)
		defer t.Stop()
		giveUp = t.C
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-giveUp:
		return nil, &Error{Platform: c.name(), Op: "login", Kind: ErrServer,
			Message: "token store unreachable; this process's next login without the fleet lock is spaced out"}
	case <-f.done:
		if f.err != nil && errors.Is(f.err, errStoreDown) {
			if e != nil && e.servable(time.Now()) {
				return e.tok, nil // the store is down but the token is still good
			}
			return c.wait(ctx) // put off for a token this caller cannot use
		}
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// held waits, for a caller whose token another process is rotating, until
// the new token arrives or the hold ends, and serves whichever it has then.
// c.mu is held on entry and released.
func (c *Cache) held(ctx context.Context, e *entry, now time.Time) (*Token, error) {
	installed := c.installedLocked()
	until := c.cold.holdUntil
	c.mu.Unlock()
	if d := time.Duration(until - now.UnixNano()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-installed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
	if e.state.CompareAndSwap(stateHeld, e.stateAt(time.Now().UnixNano())) {
		c.mu.Lock()
		if c.cur.Load() == e && !c.isClosed {
			c.armLocked(e, time.Now().UnixNano())
		}
		c.mu.Unlock()
	}
	return c.Token(ctx)
}

// start launches a flight that replaces old after delay (the gate). c.mu
// must be held. The flight keeps the first caller's values (trace ids) but not its
// cancellation: other callers depend on it.
func (c *Cache) start(ctx context.Context, old *Token, rejected bool, delay time.Duration) *flight {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &flight{done: make(chan struct{}), cancel: cancel, spaced: make(chan struct{})}
	c.fl.Store(f)
	go c.fly(fctx, f, old, rejected, delay)
	return f
}

// fly waits for the gate, obtains a token and publishes the outcome.
func (c *Cache) fly(ctx context.Context, f *flight, old *Token, rejected bool, delay time.Duration) {
	defer f.cancel()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.finish(nil, ErrClosed) // only Close cancels a flight
			return
		}
	}
	began := time.Now()
	tok, op, err := c.obtainSafely(ctx, f, old, rejected)
	if err == nil {
		err = c.check(op, tok)
	}
	if err != nil {
		tok = nil
	}
	c.mu.Lock()
	if c.fl.Load() != f { // closed meanwhile
		c.mu.Unlock()
		f.finish(nil, ErrClosed)
		return
	}
	now := time.Now()
	deferred := errors.Is(err, errStoreDown)
	if err == nil {
		c.installLocked(tok, now)
	} else if !deferred {
		c.n.fails.Add(1)
	}
	c.settleLocked(began, now, err)
	if deferred && old != nil && !old.Expiry.IsZero() {
		// Retry the store until the token's real expiry, then log in.
		c.notBefore.Store(min(c.notBefore.Load(), unixNano(old.Expiry)))
	}
	c.fl.Store(nil)
	c.mu.Unlock()
	if deferred {
		c.sayOnce(ctx, func(cs *coldState) *bool { return &cs.saidDown }, storeDownMsg, err)
		f.finish(nil, err)
		return
	}

	// Report before waking the waiters, so that a hook persisting the token
	// has done so before anyone uses it.
	c.report(ctx, Event{Op: op, Token: tok, Err: err, Duration: now.Sub(began)})
	f.finish(tok, err)
}

// obtainSafely is obtain turning a panic of the source into an error:
// nothing may panic on the Cache's own goroutine.
func (c *Cache) obtainSafely(ctx context.Context, f *flight, old *Token, rejected bool) (tok *Token, op string, err error) {
	op = "login"
	defer func() {
		if r := recover(); r != nil {
			tok, err = nil, &Error{Platform: c.name(), Op: op, Kind: ErrServer, Message: "the token source panicked"}
		}
	}()
	return c.obtain(ctx, f, old, rejected)
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
	case expired(t, time.Now()):
		why = "source returned an expired token"
	default:
		return nil
	}
	return &Error{Platform: c.name(), Op: op, Kind: ErrMalformedResponse, Message: why}
}

// fetch refreshes old when the source is a Refresher, falling back to a
// login when the refresh fails for any reason but the refresh timeout. A
// refused refresh recovered by a login is not a failure. The refresh
// timeout bounds the platform calls alone, not the store's.
func (c *Cache) fetch(ctx context.Context, old *Token) (*Token, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.refreshTimeout)
	defer cancel()
	if r, ok := c.src.(Refresher); ok && old != nil {
		c.n.refreshes.Add(1)
		tok, err := r.Refresh(ctx, old)
		if err == nil {
			return tok, "refresh", nil
		}
		if tok != nil {
			// A new token with an error: the refresh worked and a side
			// effect failed (Cloud Studio could not delete the old token).
			c.report(ctx, Event{Op: "refresh", Token: tok, Err: err, Message: "refreshed, but the old token was not revoked"})
			return tok, "refresh", nil
		}
		if ctx.Err() != nil {
			return nil, "refresh", err
		}
		c.n.logins.Add(1)
		tok, lerr := c.src.Token(ctx)
		if lerr == nil {
			c.info(ctx, "iotauth: refresh refused; logged in again", err)
		}
		return tok, "login", lerr
	}
	c.n.logins.Add(1)
	tok, err := c.src.Token(ctx)
	return tok, "login", err
}
