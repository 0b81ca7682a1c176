package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
	"github.com/iotauth/iotauth/store/storetest"
)

// TestMain fails the package when a test leaves a goroutine behind: a
// watcher that was not stopped, a call that outlived its context for good.
// Fleet worker processes (started by the fleet test) only run their test.
func TestMain(m *testing.M) {
	if os.Getenv("IOTAUTH_FLEET_WORKER") != "" {
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m)
}

const encKey = iotauth.Secret("redis-store-test-key-0123456789")

// client returns a client of the server at addr, closed when t ends.
func client(t *testing.T, addr string, mod ...func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{Addr: addr, ContextTimeoutEnabled: true}
	for _, m := range mod {
		m(o)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// tagged is the Redis key of the token under key: key as a Cluster hash
// tag, which the lock (tagged(key)+":lock") and the channel
// (tagged(key)+":tokens") share.
func tagged(key string) string { return "{" + key + "}" }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStore_Conformance(t *testing.T) {
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) iotauth.Store { return newStore(t, client(t, srv.Addr())) })
}

func TestStore_Conformance_EncryptedWithPrefix(t *testing.T) {
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) iotauth.Store {
		return newStore(t, client(t, srv.Addr()), redisstore.WithEncryptionKey(encKey), redisstore.WithPrefix("app1:"))
	})
}

func TestSave_TTLIsTheRemainingLifetime_NoneWithoutExpiry(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	s := newStore(t, rdb, redisstore.WithPrefix("p:"))
	ctx := ctxFor(t, 10*time.Second)

	key := storetest.Key(t)
	require.NoError(t, s.Save(ctx, key, storetest.Token(1, time.Hour)))
	ttl, err := rdb.PTTL(ctx, "p:"+tagged(key)).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 59*time.Minute)
	assert.LessOrEqual(t, ttl, time.Hour)

	forever := storetest.Key(t)
	require.NoError(t, s.Save(ctx, forever, &iotauth.Token{AccessToken: "a"}))
	ttl, err = rdb.PTTL(ctx, "p:"+tagged(forever)).Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "no TTL")

	require.NoError(t, s.Save(ctx, key, &iotauth.Token{AccessToken: "b"}))
	ttl, err = rdb.PTTL(ctx, "p:"+tagged(key)).Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "overwriting with a token that does not expire drops the old TTL")

	expired := storetest.Key(t)
	require.NoError(t, s.Save(ctx, expired, storetest.Token(2, -time.Minute)))
	n, err := rdb.Exists(ctx, "p:"+tagged(expired)).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "an expired token is not saved")
}

func TestSave_Encrypted_NothingInClearInRedisOrOnTheChannel(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	sub := rdb.Subscribe(ctx, tagged(key)+":tokens")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)

	s := newStore(t, rdb, redisstore.WithEncryptionKey(encKey))
	require.NoError(t, s.Save(ctx, key, storetest.Token(9, time.Hour)))

	raw, err := rdb.Get(ctx, tagged(key)).Result()
	require.NoError(t, err)
	msg, err := sub.ReceiveMessage(ctx)
	require.NoError(t, err)
	assert.Contains(t, msg.Payload, key, "the message names the key")
	for _, secret := range []string{"access-9", "refresh-9", "app-9", "id-9"} {
		assert.NotContains(t, raw, secret)
		assert.NotContains(t, msg.Payload, secret)
	}
}

func TestSave_InClear_TokenIsReadableInRedis(t *testing.T) {
	// The counterpart of the encrypted test, which would pass for a store
	// that saved nothing at all.
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	key := storetest.Key(t)
	require.NoError(t, newStore(t, rdb).Save(t.Context(), key, storetest.Token(9, time.Hour)))
	raw, err := rdb.Get(t.Context(), tagged(key)).Result()
	require.NoError(t, err)
	assert.Contains(t, raw, "access-9-SECRET")
}

func TestLoad_WrongKey_IsErrWrongKeyAndWatchIgnoresIt(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	writer := newStore(t, client(t, srv.Addr()), redisstore.WithEncryptionKey(encKey))
	reader := newStore(t, client(t, srv.Addr()), redisstore.WithEncryptionKey("another-key-of-enough-length"))

	got, stop := watch(t, reader, key)
	sameKey, _ := watch(t, writer, key)

	require.NoError(t, writer.Save(ctx, key, storetest.Token(1, time.Hour)))
	tok, err := reader.Load(ctx, key)
	require.ErrorIs(t, err, store.ErrWrongKey)
	require.Nil(t, tok)
	assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), "SECRET")

	require.Equal(t, "access-1-SECRET", receive(t, sameKey).AccessToken)
	stop() // the message has been handled by both subscribers or dropped
	select {
	case <-got:
		t.Fatal("a token sealed under another key was delivered")
	default:
	}
}

func TestLoad_CorruptValue_IsErrCorrupt(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	key := storetest.Key(t)
	require.NoError(t, rdb.Set(t.Context(), tagged(key), "<html>not a token SECRET</html>", 0).Err())
	tok, err := newStore(t, rdb).Load(t.Context(), key)
	require.ErrorIs(t, err, store.ErrCorrupt)
	require.Nil(t, tok)
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestWatch_ForeignMessagesOnTheChannel_AreIgnored(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	s := newStore(t, rdb)
	key := storetest.Key(t)
	got, _ := watch(t, s, key)
	for _, junk := range []string{"", "junk", "99999:short", "-1:x", fmt.Sprintf("%d:%s", len(key), key) + "not a token", "3:abc"} {
		require.NoError(t, rdb.Publish(ctx, tagged(key)+":tokens", junk).Err())
	}
	require.NoError(t, s.Save(ctx, key, storetest.Token(5, time.Hour)))
	require.Equal(t, "access-5-SECRET", receive(t, got).AccessToken, "the first delivery is the real token")
}

func TestWithChannel_SeparatesFleets(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	a := newStore(t, client(t, srv.Addr()), redisstore.WithChannel("fleet-a"))
	b := newStore(t, client(t, srv.Addr()), redisstore.WithChannel("fleet-b"))
	gotB, _ := watch(t, b, key)
	require.NoError(t, a.Save(ctx, key, storetest.Token(1, time.Hour)))
	require.NoError(t, b.Save(ctx, key, storetest.Token(2, time.Hour)))
	require.Equal(t, "access-2-SECRET", receive(t, gotB).AccessToken, "fleet b heard fleet a's channel")
}

func TestLock_IsSetNXPXWithARandomOwner(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	s := newStore(t, rdb)
	l1, err := s.Lock(ctx, key, 30*time.Second)
	require.NoError(t, err)
	owner1, err := rdb.Get(ctx, tagged(key)+":lock").Result()
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), owner1)
	ttl, err := rdb.PTTL(ctx, tagged(key)+":lock").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 29*time.Second)
	assert.LessOrEqual(t, ttl, 30*time.Second)

	require.NoError(t, l1.Renew(ctx, time.Hour))
	ttl, err = rdb.PTTL(ctx, tagged(key)+":lock").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 59*time.Minute, "Renew sets the new lease")
	require.NoError(t, l1.Unlock(ctx))

	l2, err := s.Lock(ctx, key, time.Second)
	require.NoError(t, err)
	owner2, err := rdb.Get(ctx, tagged(key)+":lock").Result()
	require.NoError(t, err)
	assert.NotEqual(t, owner1, owner2)
	require.NoError(t, l2.Unlock(ctx))
}

func TestLock_HolderDiesWithoutUnlock_LeaseExpiryHandsOver(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)

	// The holder is a process of its own: its connection closes and it
	// never unlocks.
	holderClient := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	_, err := newStore(t, holderClient).Lock(ctx, key, 300*time.Millisecond)
	require.NoError(t, err)
	require.NoError(t, holderClient.Close())

	other := newStore(t, client(t, srv.Addr()))
	_, err = other.Lock(ctx, key, time.Second)
	require.ErrorIs(t, err, iotauth.ErrLockHeld, "the lease still runs")
	var l iotauth.Lease
	require.Eventually(t, func() bool {
		l, err = other.Lock(ctx, key, 10*time.Second)
		return err == nil
	}, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, l.Unlock(ctx))
}

func TestStore_RedisKilledAndRestarted_FailsFastThenRecovers(t *testing.T) {
	srv := redistest.Start(t)
	writer := newStore(t, client(t, srv.Addr()))
	watcher := newStore(t, client(t, srv.Addr()))
	key := storetest.Key(t)
	got, _ := watch(t, watcher, key)
	require.NoError(t, writer.Save(ctxFor(t, 5*time.Second), key, storetest.Token(1, time.Hour)))
	require.Equal(t, "access-1-SECRET", receive(t, got).AccessToken)

	srv.Kill()
	for _, op := range []func(ctx context.Context) error{
		func(ctx context.Context) error { _, err := writer.Load(ctx, key); return err },
		func(ctx context.Context) error { return writer.Save(ctx, key, storetest.Token(2, time.Hour)) },
		func(ctx context.Context) error { return writer.Delete(ctx, key) },
		func(ctx context.Context) error { _, err := writer.Lock(ctx, key, time.Second); return err },
		func(ctx context.Context) error {
			stop, err := watcher.Watch(ctx, key, func(*iotauth.Token) {})
			if err == nil {
				stop()
			}
			return err
		},
	} {
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		err := op(ctx)
		cancel()
		require.Error(t, err, "Redis is down")
		assert.False(t, errors.Is(err, iotauth.ErrLockHeld), "a down Redis is not a held lock")
		assert.NotContains(t, err.Error(), "SECRET")
		// Correctness, not speed: refused at once or cut at the deadline,
		// never left to the client's retries and dial timeouts (seconds).
		assert.Less(t, time.Since(start), time.Second)
	}

	srv.Restart()
	require.Eventually(t, func() bool {
		return writer.Save(ctxFor(t, time.Second), key, storetest.Token(3, time.Hour)) == nil
	}, 10*time.Second, 50*time.Millisecond, "Save works again after the restart")
	tok, err := writer.Load(ctxFor(t, time.Second), key)
	require.NoError(t, err)
	require.Equal(t, "access-3-SECRET", tok.AccessToken)

	// The watcher's subscription comes back by itself: a token saved once it
	// has is delivered. Tokens saved before that are lost to it, so keep
	// saving until one arrives.
	n := 100
	require.Eventually(t, func() bool {
		n++
		require.NoError(t, writer.Save(ctxFor(t, time.Second), key, storetest.Token(n, time.Hour)))
		for {
			select {
			case tok := <-got:
				if tok.AccessToken != "access-1-SECRET" {
					return true
				}
			case <-time.After(100 * time.Millisecond):
				return false
			}
		}
	}, 20*time.Second, 10*time.Millisecond, "the watcher never resumed after the restart")
}

func TestLoad_RedisSlowerThanTheContext_ReturnsByTheDeadline(t *testing.T) {
	srv := redistest.Start(t)
	for name, mod := range map[string]func(*redis.Options){
		"context timeouts enabled":  func(o *redis.Options) {},
		"context timeouts disabled": func(o *redis.Options) { o.ContextTimeoutEnabled = false },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, client(t, srv.Addr(), mod))
			key := storetest.Key(t)
			require.NoError(t, s.Save(t.Context(), key, storetest.Token(1, time.Hour)))

			admin := client(t, srv.Addr(), func(o *redis.Options) { o.ReadTimeout = -1 })
			sleeping := make(chan error, 1)
			go func() { sleeping <- admin.Do(context.Background(), "DEBUG", "SLEEP", "2").Err() }()
			waitUntilBusy(t, srv.Addr())

			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			tok, err := s.Load(ctx, key)
			elapsed := time.Since(start)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Nil(t, tok)
			// Correctness, not speed: the call did not wait for Redis's
			// 2 s sleep.
			require.Less(t, elapsed, 1500*time.Millisecond)
			require.NoError(t, <-sleeping)

			tok, err = s.Load(ctxFor(t, 5*time.Second), key)
			require.NoError(t, err, "the store works once Redis answers again")
			require.NotNil(t, tok)
		})
	}
}

func TestStore_ClientsPaused_EveryCallBoundedByItsContext(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, client(t, srv.Addr(), func(o *redis.Options) { o.ContextTimeoutEnabled = false }))
	key := storetest.Key(t)
	held, err := s.Lock(t.Context(), key, time.Minute)
	require.NoError(t, err)
	admin := client(t, srv.Addr())
	// The calls run at once, well inside the pause.
	require.NoError(t, admin.Do(t.Context(), "CLIENT", "PAUSE", "3000", "ALL").Err())
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, op := range map[string]func(ctx context.Context) error{
		"load":   func(ctx context.Context) error { _, err := s.Load(ctx, key); return err },
		"save":   func(ctx context.Context) error { return s.Save(ctx, key, storetest.Token(1, time.Hour)) },
		"delete": func(ctx context.Context) error { return s.Delete(ctx, key) },
		"lock":   func(ctx context.Context) error { _, err := s.Lock(ctx, storetest.Key(t), time.Second); return err },
		"renew":  func(ctx context.Context) error { return held.Renew(ctx, time.Minute) },
		"unlock": func(ctx context.Context) error { return held.Unlock(ctx) },
		"watch": func(ctx context.Context) error {
			stop, err := s.Watch(ctx, key, func(*iotauth.Token) {})
			if err == nil {
				stop()
			}
			return err
		},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			err := op(ctx)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, err := range errs {
		assert.ErrorIs(t, err, context.DeadlineExceeded, name)
	}
	// Let the pause end, so that the commands still waiting in the
	// background complete before the leak check.
	require.Eventually(t, func() bool { return admin.Ping(t.Context()).Err() == nil }, 10*time.Second, 50*time.Millisecond)
}

func TestNew_InvalidConfig_IsAnErrorAtOnce(t *testing.T) {
	srv := redistest.Start(t)
	for name, c := range map[string]struct {
		rdb  redis.UniversalClient
		opts []redisstore.Option
		want string
	}{
		"short key":          {client(t, srv.Addr()), []redisstore.Option{redisstore.WithEncryptionKey("short")}, "at least 16 bytes"},
		"nil client":         {nil, nil, "nil client"},
		"nil *Client":        {(*redis.Client)(nil), nil, "nil client"},
		"nil *ClusterClient": {(*redis.ClusterClient)(nil), nil, "nil client"},
		"nil option":         {client(t, srv.Addr()), []redisstore.Option{nil}, "nil option"},
	} {
		s, err := redisstore.New(c.rdb, c.opts...)
		require.ErrorContains(t, err, c.want, name)
		require.Nil(t, s, name)
	}
}

func TestNew_UnreachableOrPausedRedis_IsAnErrorWithinThePingTimeout(t *testing.T) {
	srv := redistest.Start(t)
	unreachable := func() redis.UniversalClient {
		return client(t, redistest.ClosedAddr(t))
	}
	paused := func() redis.UniversalClient {
		admin := client(t, srv.Addr())
		require.NoError(t, admin.Do(t.Context(), "CLIENT", "PAUSE", "1500", "ALL").Err())
		// go-redis's own ReadTimeout (3 s) is longer than the ping timeout.
		return client(t, srv.Addr())
	}
	for name, rdb := range map[string]func() redis.UniversalClient{"unreachable": unreachable, "paused": paused} {
		start := time.Now()
		s, err := redisstore.New(rdb(), redisstore.WithPingTimeout(300*time.Millisecond))
		took := time.Since(start)
		require.ErrorContains(t, err, "no answer to PING", name)
		require.Nil(t, s, name)
		assert.Less(t, took, time.Second, "%s: New returned after %v", name, took)
	}
	// Let the pause end before the leak check: the abandoned PING completes.
	require.Eventually(t, func() bool { return client(t, srv.Addr()).Ping(t.Context()).Err() == nil }, 5*time.Second, 50*time.Millisecond)
}

func TestStore_ZeroValue_EveryCallFailsWithoutPanicking(t *testing.T) {
	var s redisstore.Store
	key := storetest.Key(t)
	_, err := s.Load(t.Context(), key)
	require.ErrorContains(t, err, "redisstore.New")
	require.Error(t, s.Save(t.Context(), key, storetest.Token(1, time.Hour)))
	require.Error(t, s.Delete(t.Context(), key))
	_, err = s.Lock(t.Context(), key, time.Second)
	require.Error(t, err)
	_, err = s.Watch(t.Context(), key, func(*iotauth.Token) {})
	require.Error(t, err)
	require.Error(t, s.Announce(t.Context(), key))
	_, err = s.WatchAnnouncements(t.Context(), key, func() {})
	require.Error(t, err)
}

func TestLock_KeyWithoutTTL_OneLockerTakesOverWithinALease(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	for name, set := range map[string]func(key string) error{
		"no TTL":         func(key string) error { return rdb.Set(ctx, key, "left-by-a-crash", 0).Err() },
		"TTL of a month": func(key string) error { return rdb.Set(ctx, key, "left-by-a-crash", 30*24*time.Hour).Err() },
	} {
		key := storetest.Key(t)
		require.NoError(t, set(tagged(key)+":lock"), name)
		const lease = 500 * time.Millisecond
		lockers := []*redisstore.Store{newStore(t, client(t, srv.Addr())), newStore(t, client(t, srv.Addr())), newStore(t, client(t, srv.Addr()))}

		start := time.Now()
		_, err := lockers[0].Lock(ctx, key, lease)
		require.ErrorIs(t, err, iotauth.ErrLockHeld, "%s: the stale lock is still held at first", name)
		ttl, err := rdb.PTTL(ctx, tagged(key)+":lock").Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, time.Duration(0), name)
		assert.LessOrEqual(t, ttl, lease, "%s: the first Lock cut the stale key's TTL to one lease", name)

		// Every locker tries in turn until one holds the lock; the others
		// keep being refused.
		var (
			winner  iotauth.Lease
			holders int
		)
		for winner == nil && time.Since(start) < 5*time.Second {
			for _, s := range lockers {
				l, err := s.Lock(ctx, key, time.Minute)
				if err == nil {
					holders++
					winner = l
				} else {
					require.ErrorIs(t, err, iotauth.ErrLockHeld, name)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(start)
		require.NotNil(t, winner, "%s: no locker took the stale lock over", name)
		assert.Equal(t, 1, holders, name)
		assert.Less(t, took, 2*lease, "%s: taken over after %v, lease %v", name, took, lease)
		owner, err := rdb.Get(ctx, tagged(key)+":lock").Result()
		require.NoError(t, err)
		assert.NotEqual(t, "left-by-a-crash", owner, name)
		require.NoError(t, winner.Unlock(ctx))
	}
}

func TestLock_LiveHolderWithinFourLeases_IsNotCutShort(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	// A holder with a lease three times the other's (a fleet mid-way
	// through a configuration change) keeps its TTL.
	held, err := newStore(t, rdb).Lock(ctx, key, 3*time.Second)
	require.NoError(t, err)
	_, err = newStore(t, client(t, srv.Addr())).Lock(ctx, key, time.Second)
	require.ErrorIs(t, err, iotauth.ErrLockHeld)
	ttl, err := rdb.PTTL(ctx, tagged(key)+":lock").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 2*time.Second)
	require.NoError(t, held.Unlock(ctx))
}

func TestKeys_TokenLockAndChannelShareOneClusterSlot(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	s := newStore(t, rdb, redisstore.WithPrefix("app:"))
	key := iotauth.StoreKey("oceanconnect", "https://iot.example.com", "app-1")
	sub := rdb.Subscribe(ctx, "app:"+tagged(key)+":tokens")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)

	l, err := s.Lock(ctx, key, time.Second)
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, key, storetest.Token(1, time.Hour)))
	_, err = sub.ReceiveMessage(ctx)
	require.NoError(t, err, "Save publishes on the credential's channel")

	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"app:" + tagged(key), "app:" + tagged(key) + ":lock"}, keys)
	slot := redistest.Slot("app:" + tagged(key))
	for _, k := range []string{"app:" + tagged(key) + ":lock", "app:" + tagged(key) + ":tokens", tagged(key)} {
		assert.Equal(t, slot, redistest.Slot(k), k)
	}
	assert.NotEqual(t, slot, redistest.Slot("app:"+key), "the old layout's key is elsewhere")
	require.NoError(t, l.Unlock(ctx))
}

func TestLoad_TokenUnderTheOldKeyLayout_IsFoundAndDeleteRemovesIt(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	s := newStore(t, rdb, redisstore.WithPrefix("app:"), redisstore.WithEncryptionKey(encKey))
	// A token saved by the previous version: the same encoding at prefix+key.
	require.NoError(t, s.Save(ctx, key, storetest.Token(1, time.Hour)))
	require.NoError(t, rdb.Rename(ctx, "app:"+tagged(key), "app:"+key).Err())

	tok, err := s.Load(ctx, key)
	require.NoError(t, err)
	require.NotNil(t, tok, "the old layout's token is found")
	assert.Equal(t, "access-1-SECRET", tok.AccessToken)

	require.NoError(t, s.Save(ctx, key, storetest.Token(2, time.Hour)))
	tok, err = s.Load(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "access-2-SECRET", tok.AccessToken, "the new layout wins once written")

	require.NoError(t, s.Delete(ctx, key))
	tok, err = s.Load(ctx, key)
	require.NoError(t, err)
	assert.Nil(t, tok, "Delete removes the token under both layouts")
	n, err := rdb.Exists(ctx, "app:"+key, "app:"+tagged(key)).Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

// watch watches key on s until t ends (or stop is called) and returns the
// delivered tokens.
func watch(t *testing.T, s *redisstore.Store, key string) (<-chan *iotauth.Token, func()) {
	t.Helper()
	ch := make(chan *iotauth.Token, 64)
	stop, err := s.Watch(ctxFor(t, 5*time.Second), key, func(tok *iotauth.Token) { ch <- tok })
	require.NoError(t, err)
	t.Cleanup(stop)
	return ch, stop
}

// receive waits for a delivered token.
func receive(t *testing.T, ch <-chan *iotauth.Token) *iotauth.Token {
	t.Helper()
	select {
	case tok := <-ch:
		return tok
	case <-time.After(5 * time.Second):
		t.Fatal("no token delivered")
		return nil
	}
}

// waitUntilBusy returns once Redis at addr stops answering PING promptly,
// that is once another connection's DEBUG SLEEP has started.
func waitUntilBusy(t *testing.T, addr string) {
	t.Helper()
	probe := client(t, addr, func(o *redis.Options) {
		o.MaxRetries = -1
		o.ReadTimeout = 50 * time.Millisecond
	})
	require.Eventually(t, func() bool {
		err := probe.Ping(context.Background()).Err()
		return err != nil && strings.Contains(err.Error(), "timeout")
	}, 2*time.Second, 5*time.Millisecond, "Redis never became busy")
}

func TestWatch_OnTheOldSharedChannel_AdoptsWhatAnOlderVersionPublishes(t *testing.T) {
	srv := redistest.Start(t)
	rdb := client(t, srv.Addr())
	ctx := ctxFor(t, 10*time.Second)
	key := storetest.Key(t)
	s := newStore(t, rdb, redisstore.WithChannel(redisstore.DefaultChannel))
	got, _ := watch(t, s, key)
	// What an older version sends on Save: the token at key, and on the
	// shared channel a message naming key (length-prefixed), then the token.
	require.NoError(t, s.Save(ctx, key, storetest.Token(7, time.Hour)))
	require.Equal(t, "access-7-SECRET", receive(t, got).AccessToken)
	encoded, err := rdb.Get(ctx, tagged(key)).Result()
	require.NoError(t, err)
	require.NoError(t, rdb.Publish(ctx, redisstore.DefaultChannel, fmt.Sprintf("%d:%s%s", len(key), key, encoded)).Err())
	require.Equal(t, "access-7-SECRET", receive(t, got).AccessToken, "the old layout's message is adopted")
}

func TestAnnounce_ReachesEveryWatcherOfTheKeyOnly(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxFor(t, 10*time.Second)
	key, other := storetest.Key(t), storetest.Key(t)
	announcer := newStore(t, client(t, srv.Addr()))
	notices := make(chan string, 16)
	for i, k := range []string{key, key, other} {
		s := newStore(t, client(t, srv.Addr()))
		stop, err := s.WatchAnnouncements(ctx, k, func() { notices <- fmt.Sprintf("watcher %d", i) })
		require.NoError(t, err)
		t.Cleanup(stop)
	}
	tokens, _ := watch(t, newStore(t, client(t, srv.Addr())), key)

	require.NoError(t, announcer.Announce(ctx, key))
	var got []string
	for range 2 {
		select {
		case n := <-notices:
			got = append(got, n)
		case <-time.After(5 * time.Second):
			t.Fatal("a watcher of the key got no notice")
		}
	}
	assert.ElementsMatch(t, []string{"watcher 0", "watcher 1"}, got)
	select {
	case n := <-notices:
		t.Fatalf("%s, watching another key, got the notice", n)
	case tok := <-tokens:
		t.Fatalf("a token watcher got %v from a notice", tok)
	case <-time.After(200 * time.Millisecond):
	}
	// The notice travels in the credential's slot and holds no token.
	sub := client(t, srv.Addr()).Subscribe(ctx, tagged(key)+":rotation")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	require.NoError(t, announcer.Announce(ctx, key))
	msg, err := sub.ReceiveMessage(ctx)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d:%s", len(tagged(key)), tagged(key)), msg.Payload)
	assert.Equal(t, redistest.Slot(tagged(key)), redistest.Slot(msg.Channel))
}
