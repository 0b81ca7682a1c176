package iotauth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// The fleet protocol of a Cache with a Store.
//
//   - A process whose token is due waits a moment at random first: the first
//     one to wake takes the fleet lock, announces the rotation (Announcer),
//     looks at the store once more, logs in, saves (which tells the others)
//     and releases. The others learn the new token from the store's notice
//     without a store command of their own; without a notice, they look and
//     try the lock themselves.
//   - A process that finds the lock held waits for the holder's token, at
//     most one lease, instead of logging in.
//   - On a platform that keeps only the last token (Platform.LastTokenOnly),
//     a rotation notice holds new requests for a moment (at most
//     rotationHold), so that they carry the new token instead of one about
//     to be killed.
//   - A store that fails is not an empty store. While it is unreachable and
//     the current token has not expired nor been rejected, the process keeps
//     serving it and retries the store with backoff until the token's real
//     expiry. Only an expired or rejected token, or none, justifies a login
//     without the lock, and such logins are spaced by a jittered exponential
//     backoff per process, so that a tug-of-war between processes dies out.
//   - A circuit breaker skips the store while it is known to be down, so a
//     caller never waits for store timeouts one after another: all the store
//     calls before a login share one store timeout, and the login keeps its
//     own refresh timeout.

// rotationHold is the longest a rotation notice holds requests.
const rotationHold = time.Second

// errStoreDown marks a flight that did not log in because the store is
// unreachable and the current token is still good.
// storeDownMsg is what a process reports, once per outage, when it serves its
// current token because the store is unreachable.
const storeDownMsg = "token store unreachable: serving the current token"

var errStoreDown = errors.New("iotauth: " + storeDownMsg)

// obtain gets a new token to replace old (nil on a cold start; rejected when
// the platform refused it): from the store when another process already got
// one, else by a refresh (if the source can) or a login, under the fleet
// lock when the store has one.
func (c *Cache) obtain(ctx context.Context, f *flight, old *Token, rejected bool) (*Token, string, error) {
	if c.cfg.store == nil {
		return c.fetch(ctx, old)
	}
	urgent := old == nil || rejected || expired(old, time.Now())
	began := time.Now()
	sctx, cancel := c.storeCtx(ctx) // one store timeout for the calls before a login
	defer cancel()
	watching := c.ensureWatch(sctx)
	if !urgent && watching {
		if t := c.awaitRotation(ctx, old, c.rotationJitter(old)); t != nil {
			return t, "adopt", nil
		}
	}
	var unlock func()
	for {
		t, release, err := c.lockOrAdopt(ctx, sctx, old, !watching)
		if t != nil {
			return t, "adopt", nil
		}
		if err == nil {
			unlock = release
			break
		}
		if ctx.Err() != nil {
			return nil, "login", ctx.Err() // closed
		}
		if !urgent {
			return nil, "store", &Error{Platform: c.name(), Op: "store", Kind: ErrServer, Err: fmt.Errorf("%w: %w", errStoreDown, err)}
		}
		wait := c.locklessWait(began, rejected)
		if wait == 0 {
			c.sayOnce(ctx, func(cs *coldState) *bool { return &cs.saidLockless }, "logging in without the fleet lock", err)
			unlock = func() {}
			break
		}
		// Space this process's logins without the lock; the store may be
		// back by then. Callers waiting for this flight stop waiting after
		// one store timeout.
		// The spacing ends early when the store returns: the lock is
		// worth more than the rest of the backoff.
		f.spacing()
		t2 := time.NewTimer(wait)
		select {
		case <-t2.C:
		case <-c.storeBack():
			t2.Stop()
		case <-ctx.Done():
			t2.Stop()
			return nil, "login", ctx.Err()
		}
		cancel()
		sctx, cancel = c.storeCtx(ctx)
	}
	defer unlock()
	if ctx.Err() != nil {
		return nil, "login", ctx.Err() // closed
	}
	tok, op, err := c.fetch(ctx, old)
	if err == nil && c.check(op, tok) == nil {
		sctx, cancel := c.storeCtx(ctx)
		if serr := c.storeCall(func() error { return c.cfg.store.Save(sctx, c.cfg.storeKey, tok) }); serr != nil {
			c.storeFailed(ctx, "token store save failed; other processes will log in themselves", serr)
		}
		cancel()
	}
	return tok, op, err
}

// storeCtx bounds one store call by the store timeout.
func (c *Cache) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.storeTimeout)
}

// lockOrAdopt takes the fleet lock (when the store has one) and returns its
// release, or a token another process saved; err when the store is
// unreachable. look makes it read the store before taking the lock, which a
// process with a working watch does not need. The store calls are bounded
// by sctx (one store timeout); waiting for another holder's login is bounded
// by ctx and the lease.
func (c *Cache) lockOrAdopt(ctx, sctx context.Context, old *Token, look bool) (*Token, func(), error) {
	cancel := func() {}
	defer func() { cancel() }()
	if look || !c.isLocker() {
		t, err := c.loadUsable(sctx, old)
		if t != nil || err != nil {
			return t, nil, err
		}
	}
	locker, ok := c.cfg.store.(Locker)
	if !ok {
		return nil, func() {}, nil
	}
	for {
		var lease Lease
		err := c.storeCall(func() (err error) {
			lease, err = locker.Lock(sctx, c.cfg.storeKey, c.cfg.lease)
			if errors.Is(err, ErrLockHeld) {
				return nil // the store answered
			}
			return err
		})
		switch {
		case err != nil:
			return nil, nil, err
		case lease != nil:
			release := c.hold(ctx, lease)
			c.announce(sctx)
			// The previous holder may have saved a token between our look
			// (or our watch) and our lock.
			t, err := c.loadUsable(sctx, old)
			if t != nil || err != nil {
				release()
				return t, nil, err
			}
			return nil, release, nil
		}
		if t := c.awaitOther(ctx, old); t != nil {
			return t, nil, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// The holder's lease ran out without a token: try to take over.
		cancel()
		sctx, cancel = c.storeCtx(ctx)
	}
}

func (c *Cache) isLocker() bool { _, ok := c.cfg.store.(Locker); return ok }

// loadUsable returns the stored token if it can replace old, nil if there is
// none, or the store's failure.
func (c *Cache) loadUsable(ctx context.Context, old *Token) (*Token, error) {
	var t *Token
	err := c.storeCall(func() (err error) {
		t, err = c.cfg.store.Load(ctx, c.cfg.storeKey)
		return err
	})
	if err != nil || !c.usable(t, old) {
		return nil, err
	}
	return t, nil
}

// usable reports whether t may replace old: not old itself, and not yet due
// by the expiry rule.
func (c *Cache) usable(t, old *Token) bool {
	if t == nil || (old != nil && t.AccessToken == old.AccessToken) {
		return false
	}
	return adoptable(t, time.Now(), c.cfg.window)
}

// hold keeps lease alive while a login runs, and returns the function that
// stops renewing and releases it.
func (c *Cache) hold(ctx context.Context, lease Lease) (release func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(c.cfg.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), c.cfg.storeTimeout)
				err := lease.Renew(rctx, c.cfg.lease)
				cancel()
				if err != nil {
					c.storeFailed(rctx, "fleet lock renewal failed", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		uctx, cancel := c.storeCtx(context.WithoutCancel(ctx))
		defer cancel()
		if err := lease.Unlock(uctx); err != nil {
			c.storeFailed(uctx, "fleet lock release failed; it expires with its lease", err)
		}
	}
}

// awaitOther waits, at most one lease, for another process's new token: it
// wakes on every token the watch installs and polls the store meanwhile.
func (c *Cache) awaitOther(ctx context.Context, old *Token) *Token {
	deadline := time.NewTimer(c.cfg.lease)
	defer deadline.Stop()
	poll := time.NewTicker(max(c.cfg.lease/10, 50*time.Millisecond))
	defer poll.Stop()
	for {
		c.mu.Lock()
		installed := c.installedLocked()
		c.mu.Unlock()
		if e := c.cur.Load(); e != nil && e.tok != old && c.usable(e.tok, old) {
			return e.tok
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			return nil
		case <-installed:
		case <-poll.C:
			pctx, cancel := c.storeCtx(ctx)
			t, _ := c.loadUsable(pctx, old)
			cancel()
			if t != nil {
				return t
			}
		}
	}
}

// rotationJitter is how long a process whose token is due waits before it
// tries the lock: at random up to half of what is left before the token
// stops being served, and at most one lease.
func (c *Cache) rotationJitter(old *Token) time.Duration {
	if old.Expiry.IsZero() {
		return 0
	}
	left := time.Until(old.Expiry) - skewFor(time.Until(old.Expiry))
	return time.Duration(rand.Float64() * float64(min(left/2, c.cfg.lease)))
}

// awaitRotation waits up to d for another process's new token. A rotation
// notice extends the wait to one lease: the announcer holds the lock.
func (c *Cache) awaitRotation(ctx context.Context, old *Token, d time.Duration) *Token {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		c.mu.Lock()
		installed := c.installedLocked()
		announced := c.cold.announced
		c.mu.Unlock()
		if e := c.cur.Load(); e != nil && e.tok != old {
			return e.tok
		}
		select {
		case <-ctx.Done():
			return nil
		case <-installed:
		case <-announced:
			timer.Reset(c.cfg.lease)
		case <-timer.C:
			return nil
		}
	}
}

// storeCall runs one store call through the circuit breaker: while the
// breaker is open the call is not made and fails at once with the failure
// that opened it. A failed call opens the breaker and starts a probe.
func (c *Cache) storeCall(call func() error) error {
	c.mu.Lock()
	cs := c.coldLocked()
	if cs.storeErr != nil {
		err := cs.storeErr
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	err := call()
	if err == nil {
		return nil
	}
	c.mu.Lock()
	opened := cs.storeErr == nil && !c.isClosed
	if opened {
		cs.storeErr = err
		ctx, cancel := context.WithCancel(context.Background())
		cs.stopProbe = cancel
		cs.storeBack = make(chan struct{})
		go c.probe(ctx)
	}
	c.mu.Unlock()
	if opened {
		c.storeFailed(context.Background(), breakerOpen, err)
	}
	return err
}

// The messages of the events that open and close the circuit breaker.
const (
	breakerOpen   = "token store unreachable; store calls are skipped until a probe reaches it"
	breakerClosed = "token store reachable again"
)

// storeBack returns a channel closed when the circuit breaker closes, or nil
// (which never fires) while it is closed.
func (c *Cache) storeBack() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.coldLocked().storeBack
}

// probeEvery is how often a probe tries a store that failed: every 250 ms,
// or twice per store timeout when that is shorter.
func (c *Cache) probeEvery() time.Duration { return min(250*time.Millisecond, c.cfg.storeTimeout/2) }

// probe tries the store every probeEvery until a call succeeds, then closes
// the breaker. Close ends it.
func (c *Cache) probe(ctx context.Context) {
	t := time.NewTicker(c.probeEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := c.storeCtx(ctx)
		_, err := c.cfg.store.Load(pctx, c.cfg.storeKey)
		cancel()
		if err != nil {
			continue
		}
		c.mu.Lock()
		cs := c.cold
		close(cs.storeBack)
		cs.storeErr, cs.stopProbe, cs.storeBack, cs.lockless, cs.locklessNext = nil, nil, nil, 0, 0
		cs.saidDown, cs.saidLockless = false, false
		c.mu.Unlock()
		c.report(ctx, Event{Op: "store", Message: breakerClosed})
		return
	}
}

// locklessWait is how long this process must still wait before its next
// login without the fleet lock, counting that login when it may go now:
// logins without the lock are spaced by the backoff, with jitter. The first
// of an outage, when it replaces a rejected token, goes one to two probe
// intervals (at random) after the flight began, within one store timeout, so that a store
// that failed for a moment, or the token of the process whose login
// rejected ours, has a chance to arrive. Without a token, it goes at once.
func (c *Cache) locklessWait(began time.Time, rejected bool) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.coldLocked()
	now := time.Now().UnixNano()
	if cs.locklessNext == 0 && rejected {
		cs.locklessNext = began.UnixNano() + int64(float64(c.probeEvery())*(1+rand.Float64()))
	}
	if now < cs.locklessNext {
		return time.Duration(cs.locklessNext - now)
	}
	cs.lockless++
	cs.locklessNext = now + int64(c.backoff(cs.lockless))
	return 0
}

// sayOnce reports msg once per store outage; flag selects which message.
func (c *Cache) sayOnce(ctx context.Context, flag func(*coldState) *bool, msg string, err error) {
	c.mu.Lock()
	said := flag(c.coldLocked())
	first := !*said
	*said = true
	c.mu.Unlock()
	if first {
		c.storeFailed(ctx, msg, err)
	}
}

// ensureWatch starts listening for tokens (and rotation notices) other
// processes save, once, and reports whether a watch runs.
func (c *Cache) ensureWatch(ctx context.Context) bool {
	w, ok := c.cfg.store.(Watcher)
	if !ok {
		return false
	}
	c.mu.Lock()
	cs := c.coldLocked()
	if cs.watching || c.isClosed {
		ok := cs.watch != nil
		c.mu.Unlock()
		return ok
	}
	cs.watching = true
	c.mu.Unlock()
	wctx, cancel := c.storeCtx(ctx)
	defer cancel()
	var stops []func()
	err := c.storeCall(func() error {
		stop, err := w.Watch(wctx, c.cfg.storeKey, c.adopt)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
		if a, ok := c.cfg.store.(Announcer); ok {
			if stop, err := a.WatchAnnouncements(wctx, c.cfg.storeKey, c.announced); err == nil {
				stops = append(stops, stop)
			}
		}
		return nil
	})
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	c.mu.Lock()
	if err != nil {
		cs.watching = false // try again on the next flight
		c.mu.Unlock()
		c.storeFailed(ctx, "token store watch failed; other processes' tokens are picked up on refresh", err)
		return false
	}
	if c.isClosed {
		c.mu.Unlock()
		stopAll()
		return false
	}
	cs.watch = stopAll
	c.mu.Unlock()
	return true
}

// announce tells the fleet that this process is about to replace the token.
func (c *Cache) announce(ctx context.Context) {
	a, ok := c.cfg.store.(Announcer)
	if !ok {
		return
	}
	if err := c.storeCall(func() error { return a.Announce(ctx, c.cfg.storeKey) }); err != nil {
		c.storeFailed(ctx, "rotation notice failed; the others find the new token when it is saved", err)
	}
}

// announced takes another process's rotation notice: waiters for a rotation
// keep waiting, and on a platform that keeps only the last token, new
// requests are held until the new token arrives or rotationHold passes.
func (c *Cache) announced() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return
	}
	cs := c.coldLocked()
	if cs.announced != nil {
		close(cs.announced)
	}
	cs.announced = make(chan struct{})
	if !c.cfg.lastTokenOnly {
		return
	}
	now := time.Now()
	// The token being replaced is due (the holder rotates it because it is).
	// A fresh token installed within the hold is most likely the new one,
	// whose notice arrived late: holding it would only delay requests.
	e := c.cur.Load()
	if e != nil && (e.state.Load() == stateDue || now.UnixNano()-cs.installedAt >= int64(rotationHold)) {
		cs.holdUntil = now.Add(min(rotationHold, c.cfg.lease)).UnixNano()
		if !e.state.CompareAndSwap(stateFresh, stateHeld) {
			e.state.CompareAndSwap(stateDue, stateHeld)
		}
	}
}

// adopt installs a token another process saved, if it is newer than the
// cached one: processes swap to it before the old one starts being rejected.
func (c *Cache) adopt(t *Token) {
	if t == nil || t.AccessToken == "" || expired(t, time.Now()) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return
	}
	if e := c.cur.Load(); e != nil {
		if e.tok.AccessToken == t.AccessToken {
			return
		}
		// A token that expires sooner is an older one arriving late.
		if s := e.state.Load(); (s == stateFresh || s == stateDue) && !e.tok.Expiry.IsZero() && !t.Expiry.IsZero() && t.Expiry.Before(e.tok.Expiry) {
			return
		}
	}
	c.installLocked(t, time.Now())
}
