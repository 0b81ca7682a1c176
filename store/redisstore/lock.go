package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// staleLeases is how many leases of TTL a lock key may have before Lock
// treats it as stale and cuts it back to one lease. A holder renews to its
// own lease, so only a process configured with a lease this many times
// longer, or a key written by hand or by an older version, has more.
const staleLeases = 4

var (
	// lockScript takes the lock (SET NX PX) for ARGV[1] and returns 1, or
	// returns 0 when it is held. A lock key of another type than a string
	// is no holder's (an operator's RPUSH): it is replaced. A held lock whose
	// key has no TTL, or a TTL beyond ARGV[3] ms, gets a TTL of one lease
	// (ARGV[2] ms): a stale key cannot lock the fleet out for more than a
	// lease.
	lockScript = redis.NewScript(`
local kind = redis.call("TYPE", KEYS[1])["ok"]
if kind ~= "none" and kind ~= "string" then
	redis.call("DEL", KEYS[1])
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
	return 1
end
local ttl = redis.call("PTTL", KEYS[1])
if ttl == -1 or ttl > tonumber(ARGV[3]) then
	redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	// renewScript extends the lock only while ARGV[1] owns it.
	renewScript = redis.NewScript(`
if redis.call("TYPE", KEYS[1])["ok"] == "string" and redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	// unlockScript deletes the lock only while ARGV[1] owns it.
	unlockScript = redis.NewScript(`
if redis.call("TYPE", KEYS[1])["ok"] == "string" and redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)
)

// Lock takes the fleet lock named key for lease (SET NX PX with a random
// owner), or returns iotauth.ErrLockHeld at once when another holder has it.
// A holder that dies loses the lock when the lease runs out. A lock key
// without a TTL, or with more than four leases of it, is stale: Lock sets
// its TTL to one lease, after which the next Lock takes it. When the call
// fails without an answer (a timeout, a broken connection), Lock returns
// the lease it tried to take with the error: the script may have run, and
// only that lease's Renew or Unlock can tell or undo it.
func (s *Store) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	if s == nil || s.rdb == nil {
		return nil, errNotBuilt
	}
	if err := tokencodec.CheckLock(ctx, key, lease); err != nil {
		return nil, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	l := &redisLease{s: s, key: s.lockKey(key), owner: hex.EncodeToString(b[:])}
	ms := millis(lease)
	n, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return lockScript.Run(ctx, s.rdb, []string{l.key}, l.owner, ms, staleLeases*ms).Int64()
	})
	if err != nil {
		// The script may have run, or may still run: a paused Redis runs
		// it when it continues, after this call gave up. The lease goes
		// back with the error so that its holder can renew or release it.
		return l, s.fail("lock", err)
	}
	if n == 0 {
		return nil, iotauth.ErrLockHeld
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
		return l.s.fail("renew", err)
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
		return l.s.fail("unlock", err)
	}
	return nil
}

// millis is d in whole milliseconds, at least 1 (PX refuses 0).
func millis(d time.Duration) int64 {
	return max(1, (d + time.Millisecond - 1).Milliseconds())
}
