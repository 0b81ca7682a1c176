package iotauth

import (
	"context"
	"math/rand/v2"
	"time"
)

// The messages of the events that open and close the circuit breaker.
const (
	breakerOpen   = "token store unreachable; store calls are skipped until a probe reaches it"
	breakerClosed = "token store reachable again"
)

// call runs one store call through the circuit breaker: while the breaker
// is open the call is not made and fails at once with the failure that
// opened it. A call that fails because the store is not there (storeDown)
// opens the breaker and starts a probe.
func (f *fleet) call(call func() error) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down != nil {
		return down
	}
	err := call()
	if !storeDown(err) {
		return err // the store answered
	}
	f.mu.Lock()
	opened := f.down == nil && !f.closed
	if opened {
		f.down = err
		ctx, cancel := context.WithCancel(context.Background())
		f.stopProbe = cancel
		f.back = make(chan struct{})
		go f.probe(ctx)
	}
	f.mu.Unlock()
	if opened {
		f.storeFailed(context.Background(), breakerOpen, err)
	}
	return err
}

// storeBack returns a channel closed when the circuit breaker closes, or nil
// (which never fires) while it is closed.
func (f *fleet) storeBack() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.back
}

// probeEvery is how often a probe tries a store that failed: every 250 ms,
// or twice per store timeout when that is shorter.
func (f *fleet) probeEvery() time.Duration { return min(250*time.Millisecond, f.c.cfg.storeTimeout/2) }

// probe tries the store every probeEvery until it answers, then closes
// the breaker and ends the outage. Close ends it.
func (f *fleet) probe(ctx context.Context) {
	t := time.NewTicker(f.probeEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := f.storeCtx(ctx)
		_, err := f.c.cfg.store.Load(pctx, f.c.cfg.storeKey)
		// A lock taken with an unknown outcome during the outage is released
		// before anyone tries the lock again: otherwise it would hold the
		// whole fleet off for a lease. The store is back once both answer.
		back := !storeDown(err) && f.releaseMaybe(pctx)
		cancel()
		if !back {
			continue
		}
		f.mu.Lock()
		close(f.back)
		f.down, f.stopProbe, f.back = nil, nil, nil
		f.lockless, f.locklessNext, f.said = 0, 0, 0
		f.mu.Unlock()
		f.report(ctx, Event{Op: "store", Message: breakerClosed})
		return
	}
}

// locklessWait is how long this process must still wait before its next
// login without the fleet lock, counting that login when it may go now:
// logins without the lock are spaced by the backoff, with jitter. The first
// of an outage, when it replaces a rejected token, goes one store timeout
// and up to a probe interval (at random) after the flight began: the store
// gets the time a store call would have, because a rejection during an
// outage most often means that another process rotated the token and saved
// it there, and this process only reaches the store later (after a
// failover, a go-redis pool that failed to dial retries once a second); a
// login without the lock then would kill that token. Without a token, it
// goes at once.
func (f *fleet) locklessWait(began time.Time, rejected bool) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UnixNano()
	if f.locklessNext == 0 && rejected {
		f.locklessNext = began.UnixNano() + int64(f.c.cfg.storeTimeout) + int64(float64(f.probeEvery())*rand.Float64())
	}
	if now < f.locklessNext {
		return time.Duration(f.locklessNext - now)
	}
	f.lockless++
	f.locklessNext = now + int64(f.c.cfg.backoff(f.lockless))
	return 0
}
