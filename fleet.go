package iotauth

import (
	"context"
	"errors"
	"time"
)

// The fleet protocol of a Cache with a Store: adopt a newer stored token if
// there is one; else take the fleet lock, look again, log in, save (which
// tells the other processes), release. A process that finds the lock held
// waits for the holder's token, at most one lease, instead of logging in.

// obtain gets a new token: from the store when another process already got
// one, else by a refresh (if the source can) or a login, under the fleet
// lock when the store has one.
func (c *Cache) obtain(ctx context.Context, old *Token) (*Token, string, error) {
	if c.cfg.store == nil {
		return c.fetch(ctx, old)
	}
	c.ensureWatch()
	if t := c.loadUsable(ctx, old); t != nil {
		return t, "adopt", nil
	}
	unlock, t := c.lockFleet(ctx, old)
	if t != nil {
		return t, "adopt", nil
	}
	defer unlock()
	tok, op, err := c.fetch(ctx, old)
	if err == nil && c.check(op, tok) == nil {
		sctx, cancel := c.storeCtx(ctx)
		if serr := c.cfg.store.Save(sctx, c.cfg.storeKey, tok); serr != nil {
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

// loadUsable returns the stored token if it can replace old: valid, not old
// itself, and not yet due for refresh. A store failure is logged and reads
// as "nothing stored".
func (c *Cache) loadUsable(ctx context.Context, old *Token) *Token {
	sctx, cancel := c.storeCtx(ctx)
	defer cancel()
	t, err := c.cfg.store.Load(sctx, c.cfg.storeKey)
	if err != nil {
		c.storeFailed(ctx, "token store load failed; logging in without it", err)
		return nil
	}
	if c.usable(t, old) {
		return t
	}
	return nil
}

// usable reports whether t may replace old: not old itself, and not yet due
// by the expiry rule.
func (c *Cache) usable(t, old *Token) bool {
	if t == nil || (old != nil && t.AccessToken == old.AccessToken) {
		return false
	}
	return adoptable(t, time.Now(), c.cfg.window)
}

// lockFleet takes the store's fleet lock, when it has one, and returns the
// function that releases it. If another process holds the lock, it waits for
// that process's token and returns it instead (unlock is then nil). When the
// store fails, it returns a no-op unlock: in-process single flight still
// holds, and the next flight tries the store again.
func (c *Cache) lockFleet(ctx context.Context, old *Token) (unlock func(), adopted *Token) {
	locker, ok := c.cfg.store.(Locker)
	if !ok {
		return func() {}, nil
	}
	for {
		sctx, cancel := c.storeCtx(ctx)
		lease, err := locker.Lock(sctx, c.cfg.storeKey, c.cfg.lease)
		cancel()
		switch {
		case err == nil:
			stopRenew := c.renew(lease)
			release := func() {
				stopRenew()
				uctx, cancel := c.storeCtx(context.WithoutCancel(ctx))
				defer cancel()
				if err := lease.Unlock(uctx); err != nil {
					c.storeFailed(ctx, "fleet lock release failed; it expires with its lease", err)
				}
			}
			// The previous holder may have saved a token between our
			// look and our lock.
			if t := c.loadUsable(ctx, old); t != nil {
				release()
				return nil, t
			}
			return release, nil
		case errors.Is(err, ErrLockHeld):
			if t := c.awaitOther(ctx, old); t != nil {
				return nil, t
			}
			if ctx.Err() != nil {
				return func() {}, nil
			}
			// The holder's lease ran out without a token: try to take over.
		default:
			c.storeFailed(ctx, "fleet lock unavailable; logging in without it", err)
			return func() {}, nil
		}
	}
}

// renew keeps lease alive while a login runs, until the returned stop is called.
func (c *Cache) renew(lease Lease) (stop func()) {
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
				ctx, cancel := context.WithTimeout(context.Background(), c.cfg.storeTimeout)
				err := lease.Renew(ctx, c.cfg.lease)
				cancel()
				if err != nil {
					c.storeFailed(ctx, "fleet lock renewal failed", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// awaitOther waits, at most one lease, for another process's new token: it
// wakes on every token the watch installs and polls the store meanwhile.
func (c *Cache) awaitOther(ctx context.Context, old *Token) *Token {
	deadline := time.NewTimer(c.cfg.lease)
	defer deadline.Stop()
	poll := time.NewTicker(max(c.cfg.lease/50, 20*time.Millisecond))
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
			if t := c.loadUsable(ctx, old); t != nil {
				return t
			}
		}
	}
}

// ensureWatch starts listening for tokens other processes save, once.
func (c *Cache) ensureWatch() {
	w, ok := c.cfg.store.(Watcher)
	if !ok {
		return
	}
	c.mu.Lock()
	cs := c.coldLocked()
	if cs.watching || c.isClosed {
		c.mu.Unlock()
		return
	}
	cs.watching = true
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.storeTimeout)
	defer cancel()
	stop, err := w.Watch(ctx, c.cfg.storeKey, c.adopt)
	c.mu.Lock()
	if err != nil {
		cs.watching = false // try again on the next flight
		c.mu.Unlock()
		c.storeFailed(ctx, "token store watch failed; other processes' tokens are picked up on refresh", err)
		return
	}
	if c.isClosed {
		c.mu.Unlock()
		stop()
		return
	}
	cs.watch = stop
	c.mu.Unlock()
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
		if e.state.Load() < stateDead && !e.tok.Expiry.IsZero() && !t.Expiry.IsZero() && t.Expiry.Before(e.tok.Expiry) {
			return
		}
	}
	c.installLocked(t, time.Now())
}
