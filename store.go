package iotauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Store keeps tokens outside the process, so that the processes of a fleet
// share one credential and a restart reuses it. Load returns (nil, nil) when
// nothing is stored under key. Every call must return when its context
// ends: the Cache bounds each by its store timeout (WithStoreTimeout) and
// counts a call cut short by it as an outage. Implementations are in the
// store/ packages.
type Store interface {
	Load(ctx context.Context, key string) (*Token, error)
	Save(ctx context.Context, key string, t *Token) error
	Delete(ctx context.Context, key string) error
}

// Locker is implemented by stores that can serialize logins across
// processes. Lock does not wait: it returns ErrLockHeld when another holder
// has the lock. The lock is released when its lease runs out, so a holder
// that dies cannot block the fleet.
//
// When Lock fails without knowing whether the store ran it (the call timed
// out or the connection broke after the command was sent), it returns the
// lease it tried to take together with the error. The Cache then treats the
// lock as possibly held: it renews that lease at its next attempt, which
// tells whether it holds the lock, and otherwise releases it as soon as the
// store answers again, so that a lock nobody knows it holds does not keep
// the fleet waiting for a lease. A Lock that returns no lease with an error
// leaves nothing to release.
type Locker interface {
	Lock(ctx context.Context, key string, lease time.Duration) (Lease, error)
}

// Lease is a held lock. Renew extends it while a login runs; Unlock releases
// it only if it is still held by this holder.
type Lease interface {
	Renew(ctx context.Context, lease time.Duration) error
	Unlock(ctx context.Context) error
}

// Watcher is implemented by stores that tell other processes when a token is
// saved, so that they adopt it before their own starts to be rejected.
// Watch calls fn with each token saved under key until stop is called.
type Watcher interface {
	Watch(ctx context.Context, key string, fn func(*Token)) (stop func(), err error)
}

// Announcer is implemented by stores that can tell the other processes of a
// fleet that one of them holds the lock and is about to replace the token
// stored under key. The others then wait for the new token instead of trying
// the lock, and, on a platform that keeps only the last token, hold their
// requests for the moment of the rotation. WatchAnnouncements calls fn for
// each notice until stop is called.
type Announcer interface {
	Announce(ctx context.Context, key string) error
	WatchAnnouncements(ctx context.Context, key string, fn func()) (stop func(), err error)
}

// ErrLockHeld is returned by Locker.Lock when another holder has the lock,
// and by Lease.Renew when the lease was lost.
var ErrLockHeld = errors.New("iotauth: lock held by another holder")

// StoreKey builds a Store key from the platform, base URL and account (app
// id, client id, email). The base URL and account are hashed, so the key
// names the platform but holds no account data in clear.
func StoreKey(platform, baseURL, account string) string {
	h := sha256.Sum256([]byte(baseURL + "\x00" + account))
	return "iotauth:v1:" + platform + ":" + hex.EncodeToString(h[:16])
}

// Errors of a Store that answered but could not read the record under a
// key. To the Cache such a record is a miss, not an outage: it takes the
// fleet lock, logs in once and saves over the record, and warns once,
// naming the cause. A store returns them (wrapped, with what it found) from
// Load.
var (
	// ErrCorrupt means the stored record is not a token this version of
	// iotauth can read: truncated, of an unknown format version, without an
	// access token, or not a token at all (a Redis key of another type).
	ErrCorrupt = errors.New("iotauth: stored token is corrupt or of an unknown format")
	// ErrWrongKey means the stored token is sealed under another encryption
	// key (or was tampered with), is sealed while no key is configured, or is
	// in clear while a key is configured: most often, processes sharing the
	// store are configured with different keys.
	ErrWrongKey = errors.New("iotauth: stored token does not match the configured encryption key")
)

// unreadable reports whether err is a store's answer that the record under
// the key cannot be read (ErrCorrupt, ErrWrongKey): a miss.
func unreadable(err error) bool { return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongKey) }

// storeDown reports whether a failed store call means that the store is not
// there, which opens the Cache's circuit breaker: connection refused or
// reset, a timeout, a closed client, and every failure a store does not
// mark as an answer. A store marks an answer by wrapping ErrCorrupt or
// ErrWrongKey (an unreadable record) or ErrLockHeld (a held lock). An
// unknown failure counts as an outage because the alternative, taking it
// for an answer, would have processes log in as if the store were empty
// while it may hold the fleet's token.
func storeDown(err error) bool {
	return err != nil && !unreadable(err) && !errors.Is(err, ErrLockHeld)
}
