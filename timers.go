package iotauth

import (
	"sync/atomic"
	"time"
)

// entry is one cached token with the state its timer moves it through.
type entry struct {
	tok   *Token
	at    time.Time // when it was installed
	dead  time.Time // when it stops being served (its Expiry less the skew)
	state atomic.Int32
	timer atomic.Pointer[time.Timer] // fires when due, then again when dead
}

const (
	stateFresh    int32 = iota // served
	stateDue                   // served; a refresh should start
	stateDead                  // served only while no call to the source may start, until its real expiry
	stateRejected              // the platform rejected it: never served again
)

// installLocked makes t the cached token and arms the timer that moves it to
// due and dead. c.mu must be held.
func (c *Cache) installLocked(t *Token, now time.Time) {
	e := &entry{tok: t, at: now}
	if !t.Expiry.IsZero() {
		dueIn, deadIn := schedule(timeLeft(t, now), c.cfg.window)
		e.dead = now.Add(deadIn)
		switch {
		case deadIn <= 0:
			e.state.Store(stateDead)
		case dueIn <= 0:
			e.state.Store(stateDue)
			e.timer.Store(time.AfterFunc(deadIn, e.tick))
		default:
			e.timer.Store(time.AfterFunc(dueIn, e.tick))
		}
	}
	if prev := c.cur.Swap(e); prev != nil {
		prev.stop()
	}
	if c.installed != nil {
		close(c.installed)
		c.installed = nil
	}
}

// tick moves e one step on: fresh to due (and re-arms for dead), due to dead.
func (e *entry) tick() {
	if e.state.CompareAndSwap(stateFresh, stateDue) {
		if t := e.timer.Load(); t != nil {
			t.Reset(time.Until(e.dead))
		}
		return
	}
	e.state.CompareAndSwap(stateDue, stateDead)
}

func (e *entry) stop() {
	if t := e.timer.Load(); t != nil {
		t.Stop()
	}
}

// servable reports whether e's token may still be sent although it is dead:
// not rejected and not past its real expiry.
func (e *entry) servable(now time.Time) bool {
	return e.state.Load() != stateRejected && !expired(e.tok, now)
}

// installedCh returns a channel closed at the next install. c.mu must be held.
func (c *Cache) installedCh() <-chan struct{} {
	if c.installed == nil {
		c.installed = make(chan struct{})
	}
	return c.installed
}
