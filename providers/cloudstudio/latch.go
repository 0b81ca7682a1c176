package cloudstudio

import (
	"sync"
	"time"

	"github.com/iotauth/iotauth"
)

// latch remembers a refused login for a hold-off, during which the same
// error is returned without asking the platform: three consecutive bad
// logins lock a Cloud Studio account behind a captcha, and several
// processes may share the account.
type latch struct {
	holdOff time.Duration

	mu    sync.Mutex
	err   error
	until time.Time
}

// check returns the latched error while the hold-off runs.
func (l *latch) check(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil && now.Before(l.until) {
		return l.err
	}
	return nil
}

// trip latches err when it is a credential failure.
func (l *latch) trip(err error, now time.Time) {
	if !iotauth.IsCredentialFailure(err) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err, l.until = err, now.Add(l.holdOff)
}
