package iotauth

import "time"

// DefaultRefreshWindow is how long before expiry the Cache refreshes a token
// of the given lifetime, before jitter: the last 10% of it, clamped to
// [10 s, 5 min], and never more than half of it. A source that reuses stored
// tokens (Cloud Studio) treats a token inside this window as due.
func DefaultRefreshWindow(lifetime time.Duration) time.Duration {
	w := lifetime / 10
	w = max(w, 10*time.Second)
	w = min(w, 5*time.Minute)
	return min(w, lifetime/2)
}
