package iotauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// fleet is the protocol by which the processes of a fleet share one
// credential through a Cache's Store:
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
//
// The store, its key, the lease and the store timeout are the Cache's
// configuration; the fleet holds the state of the protocol. Its mu is never
// held while c.mu is taken.
type fleet struct {
	c *Cache // the Cache it serves

	mu        sync.Mutex
	closed    bool
	watching  bool   // a watch was started or is being started
	stopWatch func() // nil when no watch runs

	// The circuit breaker and the outage it stands for (breaker.go).
	down         error         // the failure that opened the breaker; nil while it is closed
	stopProbe    func()        // ends the probe that closes the breaker
	back         chan struct{} // closed when the breaker closes; nil while it is closed
	lockless     int32         // logins without the fleet lock during this outage
	maybe        Lease         // a lock taken or released with an unknown outcome: possibly held
	locklessNext int64         // no login without the lock before this
	said         notices       // what was reported during this outage

	// Rotations by other processes (rotation.go).
	noticed     chan struct{} // closed at the next rotation notice; nil before the first
	holdUntil   atomic.Int64  // a rotation notice holds requests until then
	installedAt atomic.Int64  // when the current token was installed
}

// notices are the messages a fleet reports once per outage, or once until
// the record reads again.
type notices uint8

const (
	saidDown       notices = 1 << iota // "serving the current token"
	saidLockless                       // "logging in without the fleet lock"
	saidUnreadable                     // the stored record cannot be read; until it can
)

// rotationHold is the longest a rotation notice holds requests.
const rotationHold = time.Second

// storeDownMsg is what a process reports, once per outage, when it serves its
// current token because the store is unreachable.
const storeDownMsg = "token store unreachable: serving the current token"

// acquire gets what a login to replace old needs: a token another process
// saved (adopt it instead), or the fleet lock and its release. err is ctx's
// when it ends, or the store's failure when old is still good (not urgent),
// so that the caller keeps serving it. An urgent caller that cannot reach
// the store gets a release that holds nothing, once the spacing of logins
// without the lock lets it go.
func (f *fleet) acquire(ctx context.Context, fl *flight, old *Token, urgent, rejected bool) (*Token, func(), error) {
	began := time.Now()
	sctx, cancel := f.storeCtx(ctx) // one store timeout for the calls before a login
	defer func() { cancel() }()
	watching := f.ensureWatch(sctx)
	if !urgent && watching {
		if t := f.awaitRotation(ctx, old, f.rotationJitter(old)); t != nil {
			return t, nil, nil
		}
	}
	for {
		t, release, err := f.lockOrAdopt(ctx, sctx, old, !watching)
		switch {
		case t != nil || err == nil:
			return t, release, nil
		case ctx.Err() != nil:
			return nil, nil, ctx.Err()
		case !urgent:
			return nil, nil, err
		}
		wait := f.locklessWait(began, rejected)
		if wait == 0 {
			f.sayOnce(ctx, saidLockless, "logging in without the fleet lock", err)
			return nil, func() {}, nil
		}
		// Space this process's logins without the lock; callers waiting for
		// this flight stop waiting after one store timeout. The spacing ends
		// early when the store returns: the lock is worth more than the rest
		// of the backoff.
		fl.spacing()
		if !sleep(ctx, wait, f.storeBack()) {
			return nil, nil, ctx.Err()
		}
		cancel()
		sctx, cancel = f.storeCtx(ctx)
	}
}

// storeCtx bounds one store call by the store timeout.
func (f *fleet) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, f.c.cfg.storeTimeout)
}

// lockOrAdopt takes the fleet lock (when the store has one) and returns its
// release, or a token another process saved; err when the store is
// unreachable. look makes it read the store before taking the lock, which a
// process with a working watch does not need. The store calls are bounded
// by sctx (one store timeout); waiting for another holder's login is bounded
// by ctx and the lease.
func (f *fleet) lockOrAdopt(ctx, sctx context.Context, old *Token, look bool) (*Token, func(), error) {
	cancel := func() {}
	defer func() { cancel() }()
	locker, isLocker := f.c.cfg.store.(Locker)
	if look || !isLocker {
		if t, err := f.loadUsable(sctx, old); t != nil || err != nil || !isLocker {
			return t, func() {}, err
		}
	}
	for {
		lease, err := f.lock(sctx, locker)
		switch {
		case err != nil:
			return nil, nil, err
		case lease != nil:
			release := f.hold(ctx, lease)
			f.announce(sctx)
			// The previous holder may have saved a token between our look
			// (or our watch) and our lock.
			t, err := f.loadUsable(sctx, old)
			if t != nil || err != nil {
				release()
				return t, nil, err
			}
			return nil, release, nil
		}
		if t := f.awaitOther(ctx, old); t != nil {
			return t, nil, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// The holder's lease ran out without a token: try to take over.
		cancel()
		sctx, cancel = f.storeCtx(ctx)
	}
}

// lock tries the fleet lock once: its lease, nil when another process holds
// it, or the store's failure. A lock this process possibly holds (maybe) is
// renewed first: that tells whether it is held, and by whom.
func (f *fleet) lock(ctx context.Context, l Locker) (Lease, error) {
	if lease, err := f.renewMaybe(ctx); lease != nil || err != nil {
		return lease, err
	}
	var lease Lease
	err := f.call(func() (err error) {
		lease, err = l.Lock(ctx, f.c.cfg.storeKey, f.c.cfg.lease)
		switch {
		case errors.Is(err, ErrLockHeld):
			lease = nil
			return nil // the store answered
		case err != nil:
			f.possiblyHeld(lease)
		}
		return err
	})
	return lease, err
}

// possiblyHeld keeps lease, whose lock or release failed without an
// answer, as a lock this process may hold: the command may have reached
// the store and run there (a paused Redis runs it when it continues, after
// the client gave up on it). Until it is released or renewed, every other
// process would wait for it for a lease. A nil lease is ignored.
func (f *fleet) possiblyHeld(lease Lease) {
	if lease == nil {
		return
	}
	f.mu.Lock()
	f.maybe = lease
	f.mu.Unlock()
}

// takeMaybe returns the lock this process possibly holds, and forgets it.
func (f *fleet) takeMaybe() Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	lease := f.maybe
	f.maybe = nil
	return lease
}

// renewMaybe renews the lock this process possibly holds: its lease when
// this process holds it after all, nil when it does not (or there is none),
// or the store's failure (it stays possibly held).
func (f *fleet) renewMaybe(ctx context.Context) (Lease, error) {
	lease := f.takeMaybe()
	if lease == nil {
		return nil, nil
	}
	err := f.call(func() error { return lease.Renew(ctx, f.c.cfg.lease) })
	switch {
	case err == nil:
		return lease, nil
	case errors.Is(err, ErrLockHeld):
		return nil, nil // it never ran, or ran out
	}
	f.possiblyHeld(lease)
	return nil, err
}

// releaseMaybe releases the lock this process possibly holds, by its
// owner's compare-and-delete (it deletes nothing another process holds);
// false when the store did not answer (it stays possibly held).
func (f *fleet) releaseMaybe(ctx context.Context) bool {
	lease := f.takeMaybe()
	if lease == nil {
		return true
	}
	if err := lease.Unlock(ctx); storeDown(err) {
		f.possiblyHeld(lease)
		return false
	}
	return true
}

// loadUsable returns the stored token if it can replace old, nil if there is
// none or the store cannot read it, or the store's failure.
func (f *fleet) loadUsable(ctx context.Context, old *Token) (*Token, error) {
	var t *Token
	err := f.call(func() (err error) {
		t, err = f.c.cfg.store.Load(ctx, f.c.cfg.storeKey)
		return err
	})
	if unreadable(err) {
		f.sayOnce(ctx, saidUnreadable, unreadableMsg(err), err)
		return nil, nil // a miss: the login under the lock saves over it
	}
	if err == nil {
		f.mu.Lock()
		f.said &^= saidUnreadable // the record reads again
		f.mu.Unlock()
	}
	if err != nil || !f.usable(t, old) {
		return nil, err
	}
	return t, nil
}

// unreadableMsg says what an unreadable record most likely means and what
// the Cache does about it.
func unreadableMsg(err error) string {
	const then = "; logging in under the fleet lock and saving over it"
	if errors.Is(err, ErrWrongKey) {
		return "stored token sealed under another encryption key (or damaged): processes sharing the store with different encryption keys log each other out" + then
	}
	return "stored token unreadable (corrupt, truncated, or of another format or type)" + then
}

// usable reports whether t may replace old: not old itself, and not yet due
// by the expiry rule.
func (f *fleet) usable(t, old *Token) bool {
	if t == nil || (old != nil && t.AccessToken == old.AccessToken) {
		return false
	}
	return adoptable(t, time.Now(), f.c.cfg.window)
}

// save stores the token this process obtained, for the others.
func (f *fleet) save(ctx context.Context, t *Token) {
	sctx, cancel := f.storeCtx(ctx)
	defer cancel()
	if err := f.call(func() error { return f.c.cfg.store.Save(sctx, f.c.cfg.storeKey, t) }); err != nil {
		f.storeFailed(ctx, "token store save failed; other processes will log in themselves", err)
	}
}

// hold keeps lease alive while a login runs, and returns the function that
// stops renewing and releases it.
func (f *fleet) hold(ctx context.Context, lease Lease) (release func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(f.c.cfg.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f.renew(lease)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		uctx, cancel := f.storeCtx(context.WithoutCancel(ctx))
		defer cancel()
		if err := f.call(func() error { return lease.Unlock(uctx) }); err != nil {
			f.storeFailed(uctx, "fleet lock release failed; released again when the store answers, else it expires with its lease", err)
			if storeDown(err) {
				f.possiblyHeld(lease) // the breaker is open: its probe releases it
			}
		}
	}
}

// renew extends lease by one lease, within one store timeout.
func (f *fleet) renew(lease Lease) {
	rctx, cancel := f.storeCtx(context.Background())
	defer cancel()
	if err := lease.Renew(rctx, f.c.cfg.lease); err != nil {
		f.storeFailed(rctx, "fleet lock renewal failed", err)
	}
}

// awaitOther waits, at most one lease, for another process's new token: it
// wakes on every token the watch installs and polls the store meanwhile.
func (f *fleet) awaitOther(ctx context.Context, old *Token) *Token {
	deadline := time.NewTimer(f.c.cfg.lease)
	defer deadline.Stop()
	poll := time.NewTicker(max(f.c.cfg.lease/10, 50*time.Millisecond))
	defer poll.Stop()
	for {
		installed := f.c.nextInstall()
		if e := f.c.cur.Load(); e != nil && e.tok != old && f.usable(e.tok, old) {
			return e.tok
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			return nil
		case <-installed:
		case <-poll.C:
			pctx, cancel := f.storeCtx(ctx)
			t, _ := f.loadUsable(pctx, old)
			cancel()
			if t != nil {
				return t
			}
		}
	}
}

// storeFailed reports a failed store call and what the Cache does about it.
func (f *fleet) storeFailed(ctx context.Context, what string, err error) {
	f.report(ctx, Event{Op: "store", Err: err, Message: what})
}

func (f *fleet) report(ctx context.Context, ev Event) { f.c.cfg.report(ctx, f.c.name(), ev) }

// sayOnce reports msg as n, once per store outage.
func (f *fleet) sayOnce(ctx context.Context, n notices, msg string, err error) {
	f.mu.Lock()
	first := f.said&n == 0
	f.said |= n
	f.mu.Unlock()
	if first {
		f.storeFailed(ctx, msg, err)
	}
}

// close stops the probe and the watch; the fleet starts neither again.
func (f *fleet) close() {
	f.mu.Lock()
	f.closed = true
	stopWatch, stopProbe := f.stopWatch, f.stopProbe
	f.stopWatch = nil
	f.mu.Unlock()
	if stopProbe != nil {
		stopProbe()
	}
	if stopWatch != nil {
		stopWatch()
	}
}
