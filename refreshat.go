package iotauth

import (
	"context"
	"time"
)

// RefreshAt tells a holder of t that keeps using it outside the Cache (an
// MQTT connection presented t at CONNECT and must be handed its successor
// before it expires) when to ask the Cache for the next token, so that it
// follows the Cache's schedule instead of keeping one of its own.
//
// When the Cache would call its source for t now (t is due for refresh by
// WithRefreshWindow or the default rule in Skew's documentation, or is dead
// or rejected, and no backoff holds the call), RefreshAt starts that call
// itself. It returns:
//
//   - a time not after now when the Cache serves another token than t:
//     ask for it now;
//   - a later time when the Cache means to replace t then (its refresh
//     point, the end of a backoff, a hold-off or a rotation hold): ask
//     RefreshAt again then;
//   - the zero time when only changed can tell (a login or refresh is in
//     flight, or t never expires).
//
// changed is closed when the answer may have changed: the flight in
// progress ended, or a token was installed (another process's, adopted
// from a Store, included). After Close, at is zero and changed is nil.
func (c *Cache) RefreshAt(t *Token) (at time.Time, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return time.Time{}, nil
	}
	if f := c.fl.Load(); f != nil {
		return time.Time{}, f.done
	}
	now := time.Now()
	e := c.cur.Load()
	state := stateDead // no token is as good as a dead one
	if e != nil {
		c.armLocked(e, now.UnixNano()) // the state the clock says, even if the timer has not fired yet
		state = e.state.Load()
	}
	switch fs := c.fleet(); {
	case e != nil && e.tok != t && (state == stateFresh || state == stateDue):
		return now, closedChan
	case state == stateFresh && e.due == 0:
		return time.Time{}, c.installedLocked()
	case state == stateFresh:
		return time.Unix(0, e.due), c.installedLocked()
	case state == stateHeld && fs != nil:
		return time.Unix(0, fs.holdUntil.Load()), c.installedLocked()
	case !c.gate.open(now):
		return time.Unix(0, c.gate.notBefore.Load()), c.installedLocked()
	}
	var old *Token
	if e != nil {
		old = e.tok
	}
	return time.Time{}, c.startLocked(context.Background(), old, state == stateRejected, 0).done
}

// closedChan is a channel that is closed.
var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()
