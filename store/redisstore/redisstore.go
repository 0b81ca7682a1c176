// Package redisstore is an iotauth.Store, Locker and Watcher on Redis, for a
// fleet of processes on many hosts sharing one credential.
//
// Tokens are Redis strings whose TTL is the token's remaining lifetime, so
// Redis forgets a token when the platform would refuse it. The fleet lock is
// SET key owner NX PX lease with a random owner, renewed and released by Lua
// scripts that act only when the owner still matches, so a holder whose
// lease ran out cannot release another's lock. A lock key left without a TTL,
// or with one far beyond the lease (a crashed older version, a manual SET),
// is cut back to one lease by the next Lock, so one replica takes over
// within a lease. Save also publishes the token on the credential's channel,
// so that every process watching the key adopts it at once.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	s, err := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
//	if err != nil { ... } // Redis unreachable within the ping timeout, or a bad option
//	cache := iotauth.NewCache(provider, iotauth.WithStore(s))
//
// Every call returns by its context's deadline, even with a client whose
// ContextTimeoutEnabled is off (the command itself then ends at the client's
// ReadTimeout, and may still run on a Redis that was paused). A Lock that
// returns that way gives back, with its error, the lease it tried to take,
// so that the Cache can renew or release a lock that ran after all: a
// fleet on go-redis's default options rides out a paused, killed or
// failed-over Redis (RELIABILITY.md). Errors name the operation and Redis's failure, never a
// token; a stored token that cannot be read (garbage, a record cut short or
// of another format version, a key holding a list or a hash: WRONGTYPE) is
// store.ErrCorrupt or store.ErrWrongKey, which the Cache takes for a miss.
// Save replaces a key of any type, and Lock a lock key of another type
// than a string.
//
// # Keys: one credential, one slot
//
// For the store key K and prefix P, the token is at P{K}, its fleet lock at
// P{K}:lock, saved tokens are published on the channel P{K}:tokens and
// rotation notices (Announce) on P{K}:rotation. The braces are a Redis
// Cluster hash tag: all of them live in one slot, on one master, so a
// failover takes all of a credential's state or none of it. (A prefix
// that itself holds a {…} pair moves every credential into the prefix's
// slot; keep braces out of the prefix.)
//
// Earlier versions kept the token at PK, the lock at PK:lock, and published
// every credential on the channel P + DefaultChannel. Load still finds a
// token stored at PK when P{K} holds none, and Delete removes both, so a
// fleet upgraded in place keeps its stored token. While old and new
// processes run side by side they take different locks, so an old and a new
// process may log in at the same time; giving the new ones
// WithChannel(P + DefaultChannel) until the old ones are gone makes them
// adopt the tokens the old ones publish (Watch accepts both layouts' keys).
//
// # Redis Cluster and Sentinel
//
// New accepts any redis.UniversalClient. Settings that matter for a fleet:
//
//	// Cluster: the store asks the client to reload its slot map (at most
//	// once a second) when a command meets a connection error, so commands
//	// reach the promoted replica soon after a failover; without it go-redis
//	// reloads on MOVED replies and every ClusterStateReloadInterval (60 s).
//	rdb := redis.NewClusterClient(&redis.ClusterOptions{
//		Addrs:                      []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
//		ContextTimeoutEnabled:      true,
//		DialTimeout:                time.Second,     // default 5 s
//		ReadTimeout:                time.Second,     // default 3 s
//		WriteTimeout:               time.Second,     // default ReadTimeout
//		ClusterStateReloadInterval: 10 * time.Second, // default 60 s
//	})
//
//	// Sentinel: go-redis asks the sentinels for the master and follows
//	// their +switch-master announcements by itself.
//	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
//		MasterName:            "iotauth",
//		SentinelAddrs:         []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"},
//		ContextTimeoutEnabled: true,
//		DialTimeout:           time.Second,
//		ReadTimeout:           time.Second,
//	})
//
// The cache bounds every store call by its store timeout
// (iotauth.WithStoreTimeout); ContextTimeoutEnabled lets go-redis end the
// command there too instead of at its ReadTimeout. Keep DialTimeout and
// ReadTimeout short (about a second): a dead node is then noticed quickly,
// and a failover (Cluster: cluster-node-timeout plus the election; Sentinel:
// down-after-milliseconds plus the election) is the time the fleet runs on
// the tokens it holds. Keep the lease (iotauth.WithLease) the same on every
// process of a fleet. Pub/Sub uses classic SUBSCRIBE, which a Cluster
// broadcasts to every node; go-redis resubscribes after a failover.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// DefaultChannel is the channel every credential's tokens were published
// on, after the prefix, before channels became per credential (see Keys).
// WithChannel(prefix + DefaultChannel) keeps that layout.
const DefaultChannel = "iotauth:tokens"

// DefaultPingTimeout bounds the PING with which New checks the server.
const DefaultPingTimeout = 2 * time.Second

// clusterReloadEvery is the least time between two slot map reloads a
// Store asks of a Cluster client.
const clusterReloadEvery = time.Second

// Store keeps tokens in Redis. It is safe for concurrent use; it does not
// own the client, which the caller closes.
type Store struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient // rdb, when it is a Cluster client
	prefix  string
	channel string // "" for the per-credential channel
	codec   *tokencodec.Codec

	lastReload atomic.Int64 // when a Cluster reload was last asked for (UnixNano)
}

var (
	_ iotauth.Store     = (*Store)(nil)
	_ iotauth.Locker    = (*Store)(nil)
	_ iotauth.Watcher   = (*Store)(nil)
	_ iotauth.Announcer = (*Store)(nil)
)

// Option configures New.
type Option func(*config)

type config struct {
	prefix      string
	channel     string
	key         iotauth.Secret
	pingTimeout time.Duration
}

// WithPrefix puts every key this store writes, and its channels, under
// prefix (such as "myapp:"), to share a Redis with other programs.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithEncryptionKey seals the tokens in Redis and on the channel with
// AES-256-GCM under a key derived from key with HKDF-SHA256. key must be at
// least 16 bytes; a long random value is best. Every process of the fleet
// needs the same key; a token sealed under another key loads as
// store.ErrWrongKey.
func WithEncryptionKey(key iotauth.Secret) Option { return func(c *config) { c.key = key } }

// WithChannel makes Save publish every credential's tokens on channel, and
// Watch listen there, instead of on each credential's own channel
// (prefix{key}:tokens). On a Redis Cluster that channel's subscriptions are
// served by one master, whatever the credential's slot.
func WithChannel(channel string) Option { return func(c *config) { c.channel = channel } }

// WithPingTimeout bounds the PING with which New checks that Redis answers
// (DefaultPingTimeout when d is zero or negative).
func WithPingTimeout(d time.Duration) Option { return func(c *config) { c.pingTimeout = d } }

// New returns a Store on rdb once Redis has answered a PING. It returns an
// error, and no Store, for a nil client, an encryption key shorter than 16
// bytes, or a Redis that does not answer within the ping timeout.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	cfg := config{pingTimeout: DefaultPingTimeout}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("iotauth: redis store: nil option")
		}
		o(&cfg)
	}
	if isNil(rdb) {
		return nil, errors.New("iotauth: redis store: nil client; pass a *redis.Client, *redis.ClusterClient or failover client")
	}
	codec, err := tokencodec.New(cfg.key)
	if err != nil {
		return nil, err
	}
	if cfg.pingTimeout <= 0 {
		cfg.pingTimeout = DefaultPingTimeout
	}
	s := &Store{rdb: rdb, prefix: cfg.prefix, channel: cfg.channel, codec: codec}
	s.cluster, _ = rdb.(*redis.ClusterClient)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.pingTimeout)
	defer cancel()
	if _, err := bounded(ctx, func(ctx context.Context) (string, error) { return rdb.Ping(ctx).Result() }); err != nil {
		return nil, fmt.Errorf("iotauth: redis store: no answer to PING within %v: %w", cfg.pingTimeout, err)
	}
	return s, nil
}

// isNil reports whether rdb is nil, or a nil pointer to one of go-redis's
// clients.
func isNil(rdb redis.UniversalClient) bool {
	switch c := rdb.(type) {
	case nil:
		return true
	case *redis.Client:
		return c == nil
	case *redis.ClusterClient:
		return c == nil
	case *redis.Ring:
		return c == nil
	}
	return false
}

// tokenKey is the Redis key of a token: the store key in a hash tag, which
// its lock key and channel share.
func (s *Store) tokenKey(key string) string { return s.prefix + "{" + key + "}" }

// legacyKey is where a token was kept before the hash-tagged layout.
func (s *Store) legacyKey(key string) string { return s.prefix + key }

// lockKey is the Redis key of a credential's fleet lock.
func (s *Store) lockKey(key string) string { return s.tokenKey(key) + ":lock" }

// channelFor is the channel a credential's tokens are published on.
func (s *Store) channelFor(key string) string {
	if s.channel != "" {
		return s.channel
	}
	return s.tokenKey(key) + ":tokens"
}

// check validates a call's key and that the Store was built by New.
func (s *Store) check(ctx context.Context, key string) error {
	if s == nil || s.rdb == nil {
		return errNotBuilt
	}
	return tokencodec.CheckCall(ctx, key)
}

var errNotBuilt = errors.New("iotauth: redis store: use redisstore.New to build a Store")

// Load returns the token saved under key, or (nil, nil) when there is none
// or it has expired. When the hash-tagged key holds nothing, it reads the
// key of the layout before it (see Keys).
func (s *Store) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	b, err := bounded(ctx, func(ctx context.Context) ([]byte, error) {
		b, err := s.rdb.Get(ctx, s.tokenKey(key)).Bytes()
		if errors.Is(err, redis.Nil) {
			b, err = s.rdb.Get(ctx, s.legacyKey(key)).Bytes()
		}
		return b, err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case wrongType(err):
		// Redis answered: the key holds a list, a hash... Save replaces it.
		return nil, fmt.Errorf("iotauth: redis store: load: %w: %w", iotauth.ErrCorrupt, err)
	case err != nil:
		return nil, s.fail("load", err)
	}
	t, err := s.codec.Decode(key, b)
	if err != nil {
		return nil, err
	}
	if t.ExpiredAt(time.Now()) {
		return nil, nil
	}
	return t, nil
}

// wrongType reports whether err is Redis's answer that a key holds a value
// of another type than the command needs (a list where a token, a string,
// is expected). The reply names the type, never the value.
func wrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "WRONGTYPE")
}

// Save stores t under key with a TTL of its remaining lifetime (none when
// it does not expire) and publishes it to the watchers. An already expired
// token is not saved.
func (s *Store) Save(ctx context.Context, key string, t *iotauth.Token) error {
	if s == nil || s.rdb == nil {
		return errNotBuilt
	}
	skip, err := tokencodec.CheckSave(ctx, key, t)
	if err != nil || skip {
		return err
	}
	b, err := s.codec.Encode(key, t)
	if err != nil {
		return err
	}
	set := []any{"SET", s.tokenKey(key), b}
	if !t.Expiry.IsZero() {
		ms := time.Until(t.Expiry).Milliseconds()
		if ms <= 0 {
			return nil // expired while being encoded
		}
		set = append(set, "PX", ms)
	}
	msg := message(s.tokenKey(key), b)
	channel := s.channelFor(key)
	_, err = bounded(ctx, func(ctx context.Context) (struct{}, error) {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Do(ctx, set...)
			p.Publish(ctx, channel, msg)
			return nil
		})
		if err == nil && len(cmds) > 0 {
			err = cmds[0].Err()
		}
		return struct{}{}, err
	})
	if err != nil {
		return s.fail("save", err)
	}
	return nil
}

// Delete removes the token under key, if any, under both key layouts.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, key); err != nil {
		return err
	}
	_, err := bounded(ctx, func(ctx context.Context) (struct{}, error) {
		// Two commands: the keys are in different Cluster slots.
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, s.tokenKey(key))
			p.Del(ctx, s.legacyKey(key))
			return nil
		})
		return struct{}{}, err
	})
	if err != nil {
		return s.fail("delete", err)
	}
	return nil
}

// message is what Save publishes: the token's Redis key, length-prefixed,
// then the encoded token (nothing, for a rotation notice).
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
// replies, never the values sent. On a Cluster client, a connection error
// also asks for a reload of the slot map (see reloadCluster).
func (s *Store) fail(op string, err error) error {
	if s.cluster != nil && connectionError(err) {
		s.reloadCluster()
	}
	return fmt.Errorf("iotauth: redis store: %s: %w", op, err)
}

// reloadCluster asks the Cluster client to reload its slot map in the
// background, at most once per clusterReloadEvery: after a failover the
// client otherwise keeps sending a dead master's slots to it until a MOVED
// reply or its periodic reload.
func (s *Store) reloadCluster() {
	now := time.Now().UnixNano()
	last := s.lastReload.Load()
	if now-last < int64(clusterReloadEvery) || !s.lastReload.CompareAndSwap(last, now) {
		return
	}
	s.cluster.ReloadState(context.Background()) // lazy: returns at once
}

// connectionError reports whether err means a node could not be reached or
// answered too late, or a Cluster without a master for a slot: the errors a
// failover causes.
func connectionError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "LOADING")
	}
	return false
}
