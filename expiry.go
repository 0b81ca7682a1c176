package iotauth

import (
	"math/rand/v2"
	"time"
)

// The expiry rule: the one place that decides whether a token is fresh, due
// for refresh or no longer to be served. The Cache, store adoption,
// Token.Valid, the command line and every provider use it.
//
// A token is judged by the time it has left when it arrives (Expiry less the
// clock now), never by its IssuedAt: a platform's clock may be behind or
// ahead of ours, and a platform may re-serve a token issued long ago.
//
//   - It stops being served Skew before its Expiry, or a tenth of the time it
//     had left when that is less: a token that arrives with 5 s left is
//     served for 4.5 s, not refused.
//   - It becomes due for refresh one refresh window before that. The window
//     is WithRefreshWindow or DefaultRefreshWindow of the time left (started
//     up to 10% earlier at random, so that a fleet does not refresh in
//     lockstep), and never more than half of the time left.
//   - Whatever times a platform sends, the clock alone never makes the Cache
//     call its source more than once per minimum backoff (WithBackoff,
//     1 s by default): a token that is already due or dead on arrival is
//     served until its real Expiry while the next call waits its turn.
//
// Examples with the default rule (before the random spread):
//
//	time left on arrival   served until     refreshed from
//	5 s                    4.5 s            2 s
//	60 s                   54 s             44 s
//	1 h                    59 min 50 s      54 min 50 s
//	7 days                 7 d − 10 s       7 d − 5 min 10 s
//	until 2099 (Cloud Studio's default), or year 9999: as for 7 days, 10 s and 5 min before Expiry
//
// A token without an Expiry never expires and is never refreshed by the
// clock; only a rejection (Invalidate) replaces it.

// Skew is the most a token's life is shortened by, so that it does not expire
// on its way to the platform.
const Skew = 10 * time.Second

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

// expired reports whether t's Expiry has passed. A token without one never expires.
func expired(t *Token, now time.Time) bool {
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
