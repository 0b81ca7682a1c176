package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// Watch subscribes to the store's channel and calls fn, on a goroutine of
// its own, with each token saved under key by any process, until stop is
// called. It returns once Redis has confirmed the subscription, or an error
// when that does not happen before ctx ends (Redis down or slow).
//
// After Redis restarts, the subscription is re-established by go-redis and
// delivery resumes; tokens saved while it was down are not delivered, so a
// watcher also loads the store when it needs a token. stop waits for a
// running fn to return, so fn must not call stop.
func (s *Store) Watch(ctx context.Context, key string, fn func(*iotauth.Token)) (stop func(), err error) {
	if err := s.check(ctx, key); err != nil {
		return nil, err
	}
	ps, err := s.subscribe(ctx, s.channelFor(key))
	if err != nil {
		return nil, s.fail("watch", err)
	}
	done := make(chan struct{})
	msgs := ps.Channel()
	want, legacy := s.tokenKey(key), s.legacyKey(key)
	go func() {
		defer close(done)
		for m := range msgs {
			rk, encoded, ok := parseMessage(m.Payload)
			if !ok || (rk != want && rk != legacy) {
				continue
			}
			t, err := s.codec.Decode(key, []byte(encoded))
			if err != nil || tokencodec.Expired(t, time.Now()) {
				continue // another key's or a stale token: Load reports those
			}
			fn(t)
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
