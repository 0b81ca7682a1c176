package iotauth

import (
	"math"
	"sync/atomic"
	"time"
)

// entry is one cached token with the state the Cache's timer moves it through.
type entry struct {
	tok   *Token
	due   int64 // when it becomes due for refresh; 0: never
	dead  int64 // when it stops being served (its Expiry less the skew); 0: never
	state atomic.Int32
}

const (
	stateFresh    int32 = iota // served
	stateDue                   // served; a refresh should start
	stateHeld                  // another process is rotating it: requests wait for the new token, briefly
	stateDead                  // served only while no call to the source may start, until its real expiry
	stateRejected              // the platform rejected it: never served again
)

// installLocked makes t the cached token and arms the timer that moves it to
// due and dead. c.mu must be held.
func (c *Cache) installLocked(t *Token, now time.Time) {
	e := &entry{tok: t}
	if !t.Expiry.IsZero() {
		dueIn, deadIn := schedule(timeLeft(t, now), c.cfg.window)
		e.due, e.dead = unixNano(now.Add(dueIn)), unixNano(now.Add(deadIn))
		e.state.Store(e.stateAt(now.UnixNano()))
	}
	if fs := c.fleet(); fs != nil {
		fs.installedAt.Store(now.UnixNano()) // before e is visible: see fleet.announced
	}
	c.cur.Store(e)
	c.armLocked(e, now.UnixNano())
	if c.cold != nil && c.cold.installed != nil {
		close(c.cold.installed)
		c.cold.installed = nil
	}
}

// unixNano is t in Unix nanoseconds, saturated at the largest value
// (year 2262) so that a token that lives until 2099 or 9999 does not overflow.
func unixNano(t time.Time) int64 {
	if t.After(maxNano) {
		return math.MaxInt64
	}
	return t.UnixNano()
}

var maxNano = time.Unix(0, math.MaxInt64)

// stateAt is e's state by the clock at now (Unix nanoseconds).
func (e *entry) stateAt(now int64) int32 {
	switch {
	case e.dead == 0:
		return stateFresh
	case now >= e.dead:
		return stateDead
	case now >= e.due:
		return stateDue
	}
	return stateFresh
}

// armLocked brings e's state up to the clock and sets the timer for its next
// step, or stops it when e has none. The timer is never set to fire at once.
// c.mu must be held.
func (c *Cache) armLocked(e *entry, now int64) {
	if s := e.state.Load(); (s == stateFresh || s == stateDue) && e.dead != 0 {
		if want := e.stateAt(now); want > s {
			e.state.CompareAndSwap(s, want)
		}
	}
	s := e.state.Load()
	next := e.due
	if s != stateFresh {
		next = e.dead
	}
	if e.dead == 0 || s >= stateDead || next <= now {
		if c.timer != nil {
			c.timer.Stop()
		}
		return
	}
	d := time.Duration(next - now)
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.tick)
	} else {
		c.timer.Reset(d)
	}
}

// tick moves the current entry on to the state the clock says, and arms the
// timer for its next step. A tick that fires late for an entry already
// replaced only finds the new entry's state unchanged.
func (c *Cache) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.cur.Load()
	if e == nil || c.isClosed {
		return
	}
	c.armLocked(e, time.Now().UnixNano())
}

// servable reports whether e's token may still be sent although it is dead:
// not rejected and not past its real expiry.
func (e *entry) servable(now time.Time) bool {
	return e.state.Load() != stateRejected && !e.tok.ExpiredAt(now)
}

// nextInstall returns a channel closed at the next install.
func (c *Cache) nextInstall() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.installedLocked()
}

// installedLocked returns a channel closed at the next install. c.mu must be held.
func (c *Cache) installedLocked() <-chan struct{} {
	cs := c.coldLocked()
	if cs.installed == nil {
		cs.installed = make(chan struct{})
	}
	return cs.installed
}
