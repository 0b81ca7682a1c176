package iotauth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// flight is one login or refresh that callers wait for.
type flight struct {
	done     chan struct{}
	finished atomic.Bool
	out      outcome            // written once, before done is closed
	cancel   context.CancelFunc // cancels the call; Close uses it
	spaced   chan struct{}      // closed when the flight waits to space a login without the fleet lock
	spacedAt sync.Once
}

// outcome is what a flight obtained.
type outcome struct {
	tok *Token
	op  string // "login", "refresh", "adopt", or "store" when deferred
	err error
	// deferred says that no call was made: the store is unreachable and the
	// token being replaced is still good, so its callers keep it. err is the
	// store's failure.
	deferred bool
}

// spacing tells the waiters that the flight now waits to space a login
// without the fleet lock: they wait one store timeout more at most, and a
// rotation hold for the login that may follow.
func (f *flight) spacing() { f.spacedAt.Do(func() { close(f.spaced) }) }

// finish publishes the outcome to the waiters, once.
func (f *flight) finish(o outcome) {
	if f.finished.CompareAndSwap(false, true) {
		f.out = o
		close(f.done)
	}
}

// await waits until f lands or ctx ends. Once f spaces a login without the
// fleet lock, it waits at most spacedWait more, then reports gaveUp.
func (f *flight) await(ctx context.Context, spacedWait time.Duration) (gaveUp bool, err error) {
	select {
	case <-f.done:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-f.spaced:
	}
	t := time.NewTimer(spacedWait)
	defer t.Stop()
	select {
	case <-f.done:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
		return true, nil
	}
}

// sleep waits for d, or until wake fires (nil never does); false when ctx
// ends first.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return true
}

// refreshAhead starts a background refresh of e's token unless one is in
// flight, the gate says not yet, or e was already replaced.
func (c *Cache) refreshAhead(ctx context.Context, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fl.Load() == nil && c.cur.Load() == e && !c.isClosed && c.gate.open(time.Now()) {
		c.startLocked(ctx, e.tok, false, 0)
	}
}

// wait serves a caller whose cached token is dead, rejected or missing: it
// joins the flight in progress or starts one, unless the gate says not yet
// (see joinLocked). A flight deferred for a token this caller cannot use
// makes it try again.
func (c *Cache) wait(ctx context.Context) (*Token, error) {
	for {
		c.mu.Lock()
		e := c.cur.Load()
		if e != nil && !c.isClosed && e.state.Load() == stateHeld {
			installed := c.installedLocked()
			c.mu.Unlock()
			return c.held(ctx, e, installed)
		}
		tok, f, err := c.joinLocked(ctx, e)
		c.mu.Unlock()
		if f == nil {
			return tok, err
		}
		c.n.waits.Add(1)
		gaveUp, err := f.await(ctx, c.cfg.storeTimeout+rotationHold)
		switch {
		case err != nil:
			return nil, err
		case gaveUp:
			return nil, &Error{Platform: c.name(), Op: "login", Kind: ErrServer,
				Message: "token store unreachable; this process's next login without the fleet lock is spaced out"}
		case !f.out.deferred:
			return f.out.tok, f.out.err
		case e != nil && e.servable(time.Now()):
			return e.tok, nil // the store is down but the token is still good
		}
	}
}

// joinLocked returns, for a caller whose entry is e, the token to serve at
// once, the failure to return, or the flight to wait for: the one in
// progress, or one it starts. While the gate is closed, the caller gets the
// old token if it has not really expired, else the failure being backed
// off; after a deferral it may not wait for the store, so the flight starts
// at once. c.mu must be held.
func (c *Cache) joinLocked(ctx context.Context, e *entry) (*Token, *flight, error) {
	if c.isClosed {
		return nil, nil, ErrClosed
	}
	var old *Token
	rejected := false
	if e != nil {
		switch e.state.Load() {
		case stateFresh, stateDue:
			c.hits.add()
			return e.tok, nil, nil
		case stateRejected:
			rejected = true
		}
		old = e.tok
	}
	if f := c.fl.Load(); f != nil {
		return nil, f, nil
	}
	now := time.Now()
	delay := c.gate.wait(now)
	if delay > 0 && e != nil && e.servable(now) {
		c.hits.add()
		return e.tok, nil, nil
	}
	if delay > 0 && c.cold != nil {
		if c.cold.deferred {
			delay = 0
		} else if c.cold.lastErr != nil {
			return nil, nil, c.cold.lastErr
		}
	}
	return nil, c.startLocked(ctx, old, rejected, delay), nil
}

// held waits, for a caller whose token another process is rotating, until
// the new token arrives (installed) or the hold ends, and serves whichever
// it has then.
func (c *Cache) held(ctx context.Context, e *entry, installed <-chan struct{}) (*Token, error) {
	d := time.Duration(c.fleet().holdUntil.Load() - time.Now().UnixNano())
	if !sleep(ctx, d, installed) {
		return nil, ctx.Err()
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

// startLocked launches a flight that replaces old after delay (the gate). c.mu
// must be held. The flight keeps the first caller's values (trace ids) but not its
// cancellation: other callers depend on it.
func (c *Cache) startLocked(ctx context.Context, old *Token, rejected bool, delay time.Duration) *flight {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &flight{done: make(chan struct{}), cancel: cancel, spaced: make(chan struct{})}
	c.fl.Store(f)
	go c.fly(fctx, f, old, rejected, delay)
	return f
}

// fly waits for the gate, obtains a token, settles the outcome and
// publishes it.
func (c *Cache) fly(ctx context.Context, f *flight, old *Token, rejected bool, delay time.Duration) {
	defer f.cancel()
	if !sleep(ctx, delay, nil) {
		f.finish(outcome{op: "login", err: ErrClosed}) // only Close cancels a flight
		return
	}
	began := time.Now()
	o := safely(c.name(), func() outcome { return c.obtain(ctx, f, old, rejected) })
	if o.err == nil {
		o.err = checkToken(c.name(), o.op, o.tok)
	}
	if o.err != nil {
		o.tok = nil
	}
	now := time.Now()
	c.mu.Lock()
	landed := c.fl.Load() == f
	if landed {
		c.settleLocked(o, old, began, now)
		c.fl.Store(nil)
	}
	c.mu.Unlock()
	switch {
	case !landed: // closed meanwhile
		o = outcome{op: o.op, err: ErrClosed}
	case o.deferred:
		c.fleet().sayOnce(ctx, saidDown, storeDownMsg, o.err)
	default:
		// Report before waking the waiters, so that a hook persisting the
		// token has done so before anyone uses it.
		c.cfg.report(ctx, c.name(), Event{Op: o.op, Token: o.tok, Err: o.err, Duration: now.Sub(began)})
	}
	f.finish(o)
}

// safely runs obtain, turning a panic of the source into an error: nothing
// may panic on the Cache's own goroutine.
func safely(platform string, obtain func() outcome) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{op: "login", err: &Error{Platform: platform, Op: "login", Kind: ErrServer, Message: "the token source panicked"}}
		}
	}()
	return obtain()
}

// checkToken refuses a token no caller could use, so that a broken source
// does not look like a success.
func checkToken(platform, op string, t *Token) error {
	why := ""
	switch {
	case t == nil:
		why = "source returned no token and no error"
	case t.AccessToken == "":
		why = "source returned a token without an access token"
	case t.ExpiredAt(time.Now()):
		why = "source returned an expired token"
	default:
		return nil
	}
	return &Error{Platform: platform, Op: op, Kind: ErrMalformedResponse, Message: why}
}

// obtain gets a new token to replace old (nil on a cold start; rejected when
// the platform refused it). Without a store it calls the source. With one:
// it adopts what another process saved, or takes the fleet lock, logs in
// and saves; or, when the store is down and old is still good, it serves
// what it has (a deferred outcome).
func (c *Cache) obtain(ctx context.Context, f *flight, old *Token, rejected bool) outcome {
	fs := c.fleet()
	if fs == nil {
		return c.fetch(ctx, old)
	}
	urgent := old == nil || rejected || old.ExpiredAt(time.Now())
	t, unlock, err := fs.acquire(ctx, f, old, urgent, rejected)
	switch {
	case t != nil:
		return outcome{tok: t, op: "adopt"}
	case err != nil && ctx.Err() != nil:
		return outcome{op: "login", err: ctx.Err()} // closed
	case err != nil:
		return outcome{op: "store", err: err, deferred: true}
	}
	defer unlock()
	if ctx.Err() != nil {
		return outcome{op: "login", err: ctx.Err()} // closed
	}
	o := c.fetch(ctx, old)
	if o.err == nil && checkToken(c.name(), o.op, o.tok) == nil {
		fs.save(ctx, o.tok)
	}
	return o
}

// fetch refreshes old when the source is a Refresher, falling back to a
// login when the refresh fails for any reason but the refresh timeout. A
// refused refresh recovered by a login is not a failure. The refresh
// timeout bounds the platform calls alone, not the store's.
func (c *Cache) fetch(ctx context.Context, old *Token) outcome {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.refreshTimeout)
	defer cancel()
	r, ok := c.src.(Refresher)
	if !ok || old == nil {
		c.n.logins.Add(1)
		tok, err := c.src.Token(ctx)
		return outcome{tok: tok, op: "login", err: err}
	}
	c.n.refreshes.Add(1)
	tok, err := r.Refresh(ctx, old)
	switch {
	case err == nil:
		return outcome{tok: tok, op: "refresh"}
	case tok != nil:
		// A new token with an error: the refresh worked and a side effect
		// failed (Cloud Studio could not delete the old token).
		c.cfg.report(ctx, c.name(), Event{Op: "refresh", Token: tok, Err: err, Message: "refreshed, but the old token was not revoked"})
		return outcome{tok: tok, op: "refresh"}
	case ctx.Err() != nil:
		return outcome{op: "refresh", err: err}
	}
	c.n.logins.Add(1)
	tok, lerr := c.src.Token(ctx)
	if lerr == nil {
		c.cfg.info(ctx, c.name(), "iotauth: refresh refused; logged in again", err)
	}
	return outcome{tok: tok, op: "login", err: lerr}
}
