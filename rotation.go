package iotauth

import (
	"context"
	"math/rand/v2"
	"time"
)

// ensureWatch starts listening for tokens (and rotation notices) other
// processes save, once, and reports whether a watch runs.
func (f *fleet) ensureWatch(ctx context.Context) bool {
	w, ok := f.c.cfg.store.(Watcher)
	if !ok {
		return false
	}
	f.mu.Lock()
	if f.watching || f.closed {
		running := f.stopWatch != nil
		f.mu.Unlock()
		return running
	}
	f.watching = true
	f.mu.Unlock()
	stop, err := f.watch(ctx, w)
	f.mu.Lock()
	closed := f.closed
	switch {
	case err != nil:
		f.watching = false // try again on the next flight
	case !closed:
		f.stopWatch = stop
	}
	f.mu.Unlock()
	if err != nil {
		f.storeFailed(ctx, "token store watch failed; other processes' tokens are picked up on refresh", err)
		return false
	}
	if closed {
		stop()
		return false
	}
	return true
}

// watch starts the watch of saved tokens, and of rotation notices when the
// store announces them, within one store timeout; stop ends both.
func (f *fleet) watch(ctx context.Context, w Watcher) (stop func(), err error) {
	wctx, cancel := f.storeCtx(ctx)
	defer cancel()
	var stops []func()
	err = f.call(func() error {
		stop, err := w.Watch(wctx, f.c.cfg.storeKey, f.c.adopt)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
		if a, ok := f.c.cfg.store.(Announcer); ok {
			if stop, err := a.WatchAnnouncements(wctx, f.c.cfg.storeKey, f.announced); err == nil {
				stops = append(stops, stop)
			}
		}
		return nil
	})
	return func() {
		for _, s := range stops {
			s()
		}
	}, err
}

// announce tells the fleet that this process is about to replace the token.
func (f *fleet) announce(ctx context.Context) {
	a, ok := f.c.cfg.store.(Announcer)
	if !ok {
		return
	}
	if err := f.call(func() error { return a.Announce(ctx, f.c.cfg.storeKey) }); err != nil {
		f.storeFailed(ctx, "rotation notice failed; the others find the new token when it is saved", err)
	}
}

// announced takes another process's rotation notice: waiters for a rotation
// keep waiting, and on a platform that keeps only the last token, new
// requests are held until the new token arrives or rotationHold passes.
func (f *fleet) announced() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	if f.noticed != nil {
		close(f.noticed)
	}
	f.noticed = make(chan struct{})
	f.mu.Unlock()
	if !f.c.cfg.lastTokenOnly {
		return
	}
	now := time.Now()
	// The token being replaced is due (the holder rotates it because it is).
	// A fresh token installed within the hold is most likely the new one,
	// whose notice arrived late: holding it would only delay requests. An
	// install stores installedAt before its entry, so a new entry is never
	// judged by the old one's time.
	e := f.c.cur.Load()
	if e != nil && (e.state.Load() == stateDue || now.UnixNano()-f.installedAt.Load() >= int64(rotationHold)) {
		f.holdUntil.Store(now.Add(min(rotationHold, f.c.cfg.lease)).UnixNano())
		if !e.state.CompareAndSwap(stateFresh, stateHeld) {
			e.state.CompareAndSwap(stateDue, stateHeld)
		}
	}
}

// rotationJitter is how long a process whose token is due waits before it
// tries the lock: at random up to half of what is left before the token
// stops being served, and at most one lease.
func (f *fleet) rotationJitter(old *Token) time.Duration {
	if old.Expiry.IsZero() {
		return 0
	}
	left := time.Until(old.Expiry) - skewFor(time.Until(old.Expiry))
	return time.Duration(rand.Float64() * float64(min(left/2, f.c.cfg.lease)))
}

// awaitRotation waits up to d for another process's new token. A rotation
// notice extends the wait to one lease: the announcer holds the lock.
func (f *fleet) awaitRotation(ctx context.Context, old *Token, d time.Duration) *Token {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		installed := f.c.nextInstall()
		f.mu.Lock()
		noticed := f.noticed
		f.mu.Unlock()
		if e := f.c.cur.Load(); e != nil && e.tok != old {
			return e.tok
		}
		select {
		case <-ctx.Done():
			return nil
		case <-installed:
		case <-noticed:
			timer.Reset(f.c.cfg.lease)
		case <-timer.C:
			return nil
		}
	}
}

// adopt installs a token another process saved, if it is newer than the
// cached one: processes swap to it before the old one starts being rejected.
func (c *Cache) adopt(t *Token) {
	if t == nil || t.AccessToken == "" || t.ExpiredAt(time.Now()) {
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
