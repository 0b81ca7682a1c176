package store

import (
	"context"
	"sync"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// Watch calls fn, on a goroutine of its own, with each token saved under key
// until stop is called. A watcher that falls behind skips to the newest
// token, the only one worth adopting. stop waits for a running fn to
// return, so fn must not call stop.
func (m *Memory) Watch(ctx context.Context, key string, fn func(*iotauth.Token)) (stop func(), err error) {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return nil, err
	}
	w := &memWatcher{fn: fn, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	m.mu.Lock()
	if m.watchers[key] == nil {
		m.watchers[key] = map[*memWatcher]struct{}{}
	}
	m.watchers[key][w] = struct{}{}
	m.mu.Unlock()
	go w.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.watchers[key], w)
			if len(m.watchers[key]) == 0 {
				delete(m.watchers, key)
			}
			m.mu.Unlock()
			close(w.quit)
			<-w.done
		})
	}, nil
}

// memWatcher delivers the newest offered token to fn.
type memWatcher struct {
	fn     func(*iotauth.Token)
	mu     sync.Mutex
	latest *iotauth.Token
	wake   chan struct{} // capacity 1: "latest is set"
	quit   chan struct{}
	done   chan struct{}
}

// offer makes t the next token to deliver, without blocking the saver.
func (w *memWatcher) offer(t *iotauth.Token) {
	w.mu.Lock()
	w.latest = t
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *memWatcher) run() {
	defer close(w.done)
	for {
		select {
		case <-w.quit:
			return
		case <-w.wake:
		}
		w.mu.Lock()
		t := w.latest
		w.latest = nil
		w.mu.Unlock()
		if t != nil {
			w.fn(tokencodec.Clone(t))
		}
	}
}
