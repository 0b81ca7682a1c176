// Package redisstore is an iotauth.Store, Locker and Watcher on Redis, for a
// fleet of processes on many hosts sharing one credential.
//
// Tokens are Redis strings whose TTL is the token's remaining lifetime, so
// Redis forgets a token when the platform would refuse it. The fleet lock is
// SET key owner NX PX lease with a random owner, renewed and released by Lua
// scripts that act only when the owner still matches, so a holder whose
// lease ran out cannot release another's lock. Save also publishes the token
// on a channel, so that every process watching the key adopts it at once.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	s := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
//	cache := iotauth.NewCache(provider, iotauth.WithStore(s))
//
// Every call returns by its context's deadline, even with a client whose
// ContextTimeoutEnabled is off (the command itself then ends at the client's
// ReadTimeout). Errors name the operation and Redis's failure, never a
// token; a stored token that cannot be read is store.ErrCorrupt or
// store.ErrWrongKey.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// DefaultChannel is the channel Save publishes on, after the prefix.
const DefaultChannel = "iotauth:tokens"

// Store keeps tokens in Redis. It is safe for concurrent use; it does not
// own the client, which the caller closes.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	channel string
	codec   *tokencodec.Codec
	err     error // a configuration error, returned by every call
}

var (
	_ iotauth.Store   = (*Store)(nil)
	_ iotauth.Locker  = (*Store)(nil)
	_ iotauth.Watcher = (*Store)(nil)
)

// Option configures New.
type Option func(*config)

type config struct {
	prefix  string
	channel string
	key     iotauth.Secret
}

// WithPrefix puts every key this store writes, and its default channel,
// under prefix (such as "myapp:"), to share a Redis with other programs.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithEncryptionKey seals the tokens in Redis and on the channel with
// AES-256-GCM under a key derived from key with HKDF-SHA256. key must be at
// least 16 bytes; a long random value is best. Every process of the fleet
// needs the same key; a token sealed under another key loads as
// store.ErrWrongKey.
func WithEncryptionKey(key iotauth.Secret) Option { return func(c *config) { c.key = key } }

// WithChannel sets the channel Save publishes on and Watch listens to,
// instead of the prefix followed by DefaultChannel.
func WithChannel(channel string) Option { return func(c *config) { c.channel = channel } }

// New returns a Store on rdb. An invalid option (a nil client, an
// encryption key shorter than 16 bytes) does not make New fail: every call
// on the Store returns the error.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{rdb: rdb, prefix: cfg.prefix, channel: cfg.channel}
	if s.channel == "" {
		s.channel = cfg.prefix + DefaultChannel
	}
	s.codec, s.err = tokencodec.New(cfg.key)
	if rdb == nil {
		s.err = errors.New("iotauth: redis store: nil client")
	}
	return s
}

// redisKey is the Redis key of a token.
func (s *Store) redisKey(key string) string { return s.prefix + key }

// check validates a call's key and the store's configuration.
func (s *Store) check(ctx context.Context, key string) error {
	if s.err != nil {
		return s.err
	}
	return tokencodec.CheckCall(ctx, key)
}

// Load returns the token saved under key, or (nil, nil) when there is none
// or it has expired.
func (s *Store) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	b, err := bounded(ctx, func(ctx context.Context) ([]byte, error) {
		return s.rdb.Get(ctx, s.redisKey(key)).Bytes()
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fail("load", err)
	}
	t, err := s.codec.Decode(key, b)
	if err != nil {
		return nil, err
	}
	if tokencodec.Expired(t, time.Now()) {
		return nil, nil
	}
	return t, nil
}

// Save stores t under key with a TTL of its remaining lifetime (none when
// it does not expire) and publishes it to the watchers. An already expired
// token is not saved.
func (s *Store) Save(ctx context.Context, key string, t *iotauth.Token) error {
	if s.err != nil {
		return s.err
	}
	skip, err := tokencodec.CheckSave(ctx, key, t)
	if err != nil || skip {
		return err
	}
	b, err := s.codec.Encode(key, t)
	if err != nil {
		return err
	}
	set := []any{"SET", s.redisKey(key), b}
	if !t.Expiry.IsZero() {
		ms := time.Until(t.Expiry).Milliseconds()
		if ms <= 0 {
			return nil // expired while being encoded
		}
		set = append(set, "PX", ms)
	}
	msg := message(s.redisKey(key), b)
	_, err = bounded(ctx, func(ctx context.Context) (struct{}, error) {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Do(ctx, set...)
			p.Publish(ctx, s.channel, msg)
			return nil
		})
		if err == nil && len(cmds) > 0 {
			err = cmds[0].Err()
		}
		return struct{}{}, err
	})
	if err != nil {
		return fail("save", err)
	}
	return nil
}

// Delete removes the token under key, if any.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, key); err != nil {
		return err
	}
	_, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return s.rdb.Del(ctx, s.redisKey(key)).Result()
	})
	if err != nil {
		return fail("delete", err)
	}
	return nil
}

// message is what Save publishes: the token's Redis key, length-prefixed,
// then the encoded token.
func message(redisKey string, encoded []byte) string {
	return strconv.Itoa(len(redisKey)) + ":" + redisKey + string(encoded)
}

// parseMessage splits a published message; ok is false for a message not in
// the form message builds (a canonical decimal length, a colon, the key).
func parseMessage(m string) (redisKey, encoded string, ok bool) {
	i := strings.IndexByte(m, ':')
	if i <= 0 || i > 6 || (i > 1 && m[0] == '0') {
		return "", "", false
	}
	n := 0
	for _, c := range m[:i] {
		if c < '0' || c > '9' {
			return "", "", false
		}
		n = n*10 + int(c-'0')
	}
	if n > len(m)-i-1 {
		return "", "", false
	}
	return m[i+1 : i+1+n], m[i+1+n:], true
}

// bounded runs op and returns when it finishes or ctx ends, whichever comes
// first. When ctx ends first, op goes on in the background until the
// client's own timeouts end it, and its result is dropped.
func bounded[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	if ctx.Done() == nil {
		return op(ctx)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := op(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// fail wraps a Redis failure; go-redis errors hold addresses and Redis
// replies, never the values sent.
func fail(op string, err error) error {
	return fmt.Errorf("iotauth: redis store: %s: %w", op, err)
}
