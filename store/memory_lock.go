package store

import (
	"context"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// memLock is a held in-process lock: who holds it and until when.
type memLock struct {
	owner uint64
	until time.Time
}

// Lock takes the lock named key for lease, or returns iotauth.ErrLockHeld
// at once when another holder's lease has not run out.
func (m *Memory) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	if err := tokencodec.CheckLock(ctx, key, lease); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if l, ok := m.locks[key]; ok && now.Before(l.until) {
		return nil, iotauth.ErrLockHeld
	}
	m.owners++
	m.locks[key] = memLock{owner: m.owners, until: now.Add(lease)}
	return &memLease{m: m, key: key, owner: m.owners}, nil
}

// memLease is one holder's claim on a Memory lock.
type memLease struct {
	m     *Memory
	key   string
	owner uint64
}

// held reports whether l still holds its lock at now. m.mu must be held.
func (l *memLease) held(now time.Time) bool {
	cur, ok := l.m.locks[l.key]
	return ok && cur.owner == l.owner && now.Before(cur.until)
}

// Renew extends the lease to lease from now, or returns iotauth.ErrLockHeld
// when it ran out or was released.
func (l *memLease) Renew(ctx context.Context, lease time.Duration) error {
	if err := tokencodec.CheckLease(ctx, lease); err != nil {
		return err
	}
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	now := time.Now()
	if !l.held(now) {
		return iotauth.ErrLockHeld
	}
	l.m.locks[l.key] = memLock{owner: l.owner, until: now.Add(lease)}
	return nil
}

// Unlock releases the lock if this lease still holds it; it does nothing
// (and returns nil) when the lease ran out and another holder may have it.
func (l *memLease) Unlock(context.Context) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.held(time.Now()) {
		delete(l.m.locks, l.key)
	}
	return nil
}
