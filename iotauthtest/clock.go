package iotauthtest

import (
	"sync"
	"time"
)

// Clock is the emulators' time: the real time plus an offset that tests
// move forward with Advance, to expire tokens without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// NewClock returns a Clock at the real time.
func NewClock() *Clock { return &Clock{} }

// Now returns the emulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the emulated time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
