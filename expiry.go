package iotauth

import (
	"math/rand/v2"
	"time"
)

// The expiry rule, documented at Skew, in code.

// skewFor is the skew of a token that arrives with left to live: Skew, or a
// tenth of left when that is less.
func skewFor(left time.Duration) time.Duration {
	if left <= 0 {
		return 0
	}
	return min(Skew, left/10)
}

// DefaultRefreshWindow is how long before it stops being served a token that
// arrives with the given time left is refreshed, before the random spread:
// the last 10% of it, clamped to [10 s, 5 min], and never more than half of it.
func DefaultRefreshWindow(left time.Duration) time.Duration {
	w := left / 10
	w = max(w, 10*time.Second)
	w = min(w, 5*time.Minute)
	return min(w, left/2)
}

// schedule is when a token that arrived with left to live becomes due for
// refresh and when it stops being served, counted from its arrival. window
// is WithRefreshWindow, or 0 for the default rule with its random spread.
func schedule(left, window time.Duration) (dueIn, deadIn time.Duration) {
	return scheduleSpread(left, window, true)
}

func scheduleSpread(left, window time.Duration, spread bool) (dueIn, deadIn time.Duration) {
	if left <= 0 {
		return 0, 0
	}
	deadIn = left - skewFor(left)
	w := window
	if w <= 0 {
		w = DefaultRefreshWindow(left)
		if spread {
			w += time.Duration(rand.Float64() * 0.1 * float64(w))
		}
	}
	w = min(w, left/2)
	return max(deadIn-w, 0), deadIn
}

// timeLeft is how long t has until its Expiry, from now; never negative.
func timeLeft(t *Token, now time.Time) time.Duration {
	return max(t.Expiry.Sub(now), 0)
}

// ExpiredAt reports whether t's Expiry has passed at now; a token without
// an Expiry never expires. It is the last step of the expiry rule (see
// [Skew]): a Cache stops serving a token shortly before, and stores neither
// keep nor return a token expired by it.
func (t *Token) ExpiredAt(now time.Time) bool {
	return !t.Expiry.IsZero() && !now.Before(t.Expiry)
}

// adoptable reports whether a token found in a Store may be taken instead of
// calling the source: it has an access token and is not yet due for refresh
// by the rule above, judged as if it arrived now.
func adoptable(t *Token, now time.Time, window time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	dueIn, _ := scheduleSpread(timeLeft(t, now), window, false)
	return dueIn > 0
}
