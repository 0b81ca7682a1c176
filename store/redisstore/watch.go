package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
)

// Watch subscribes to the credential's channel and calls fn, on a
// goroutine of its own, with each token saved under key by any process,
// until stop is called. It returns once Redis has confirmed the
// subscription, or an error when that does not happen before ctx ends
// (Redis down or slow).
//
// After Redis restarts or fails over, the subscription is re-established by
// go-redis and delivery resumes; tokens saved while it was down are not
// delivered, so a watcher also loads the store when it needs a token. stop
// waits for a running fn to return, so fn must not call stop.
func (s *Store) Watch(ctx context.Context, key string, fn func(*iotauth.Token)) (stop func(), err error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	want, legacy := s.tokenKey(key), s.legacyKey(key)
	return s.listen(ctx, "watch", s.channelFor(key), func(payload string) {
		rk, encoded, ok := parseMessage(payload)
		if !ok || (rk != want && rk != legacy) || encoded == "" {
			return
		}
		t, err := s.codec.Decode(key, []byte(encoded))
		if err != nil || t.ExpiredAt(time.Now()) {
			return // another key's or a stale token: Load reports those
		}
		fn(t)
	})
}

// Announce publishes a rotation notice for key: the process holding the
// fleet lock is about to replace the token. The notice goes to the
// channel prefix{key}:rotation, in the credential's Cluster slot, and holds
// nothing but the key.
func (s *Store) Announce(ctx context.Context, key string) error {
	if err := s.check(ctx, key); err != nil {
		return err
	}
	msg := message(s.tokenKey(key), nil)
	_, err := bounded(ctx, func(ctx context.Context) (int64, error) {
		return s.rdb.Publish(ctx, s.rotationChannel(key), msg).Result()
	})
	if err != nil {
		return s.fail("announce", err)
	}
	return nil
}

// WatchAnnouncements calls fn, on a goroutine of its own, for each rotation
// notice for key, until stop is called; it returns as Watch does.
func (s *Store) WatchAnnouncements(ctx context.Context, key string, fn func()) (stop func(), err error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	want := s.tokenKey(key)
	return s.listen(ctx, "watch announcements", s.rotationChannel(key), func(payload string) {
		if rk, rest, ok := parseMessage(payload); ok && rk == want && rest == "" {
			fn()
		}
	})
}

// rotationChannel is where key's rotation notices travel.
func (s *Store) rotationChannel(key string) string { return s.tokenKey(key) + ":rotation" }

// listen subscribes to channel and hands each message's payload to handle,
// one at a time on a goroutine of its own, until stop is called.
func (s *Store) listen(ctx context.Context, op, channel string, handle func(payload string)) (stop func(), err error) {
	ps, err := s.subscribe(ctx, channel)
	if err != nil {
		return nil, s.fail(op, err)
	}
	done := make(chan struct{})
	msgs := ps.Channel()
	go func() {
		defer close(done)
		for m := range msgs {
			handle(m.Payload)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = ps.Close() // closes msgs once go-redis's reader has exited
			<-done
		})
	}, nil
}

// subscribe opens the subscription and waits for Redis to confirm it, by
// ctx's deadline even when the client ignores contexts: go-redis dials and
// sends SUBSCRIBE on the calling goroutine, so both run on one of their own.
// A subscription confirmed after ctx ended is closed, not leaked.
func (s *Store) subscribe(ctx context.Context, channel string) (*redis.PubSub, error) {
	type result struct {
		ps  *redis.PubSub
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ps := s.rdb.Subscribe(ctx, channel)
		msg, err := ps.Receive(ctx)
		if err == nil {
			if _, ok := msg.(*redis.Subscription); !ok {
				err = fmt.Errorf("unexpected %T before the subscription", msg)
			}
		}
		if err != nil {
			_ = ps.Close()
			ps = nil
		}
		ch <- result{ps, err}
	}()
	select {
	case r := <-ch:
		return r.ps, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.ps != nil {
				_ = r.ps.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
}
