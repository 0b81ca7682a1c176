package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// lockSuffix follows a token's Redis key to name its fleet lock.
const lockSuffix = ":lock"

var (
	// renewScript extends the lock only while ARGV[1] owns it.
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	// unlockScript deletes the lock only while ARGV[1] owns it.
	unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)
)

// Lock takes the fleet lock named key for lease (SET NX PX with a random
// owner), or returns iotauth.ErrLockHeld at once when another holder has it.
// A holder that dies loses the lock when the lease runs out.
func (s *Store) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := tokencodec.CheckLock(ctx, key, lease); err != nil {
		return nil, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	l := &redisLease{s: s, key: s.redisKey(key) + lockSuffix, owner: hex.EncodeToString(b[:])}
	_, err := bounded(ctx, func(ctx context.Context) (any, error) {
		return s.rdb.Do(ctx, "SET", l.key, l.owner, "NX", "PX", millis(lease)).Result()
	})
	if errors.Is(err, redis.Nil) {
		return nil, iotauth.ErrLockHeld
	}
	if err != nil {
		return nil, fail("lock", err)
	}
	return l, nil
}

// redisLease is a held Redis lock: its key and this holder's owner value.
type redisLease struct {
	s     *Store
	key   string
	owner string
}

// Renew sets the lease to lease from now if this holder still owns the
// lock, or returns iotauth.ErrLockHeld when it ran out or was released.
func (l *redisLease) Renew(ctx context.Context, d time.Duration) error {
	if err := tokencodec.CheckLease(ctx, d); err != nil {
		return err
	}
	n, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return renewScript.Run(ctx, l.s.rdb, []string{l.key}, l.owner, millis(d)).Int64()
	})
	if err != nil {
		return fail("renew", err)
	}
	if n == 0 {
		return iotauth.ErrLockHeld
	}
	return nil
}

// Unlock releases the lock if this holder still owns it; when the lease ran
// out and another holder may have the lock, it does nothing and returns nil.
func (l *redisLease) Unlock(ctx context.Context) error {
	_, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return unlockScript.Run(ctx, l.s.rdb, []string{l.key}, l.owner).Int64()
	})
	if err != nil {
		return fail("unlock", err)
	}
	return nil
}

// millis is d in whole milliseconds, at least 1 (PX refuses 0).
func millis(d time.Duration) int64 {
	return max(1, (d + time.Millisecond - 1).Milliseconds())
}
