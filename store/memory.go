package store

import (
	"context"
	"sync"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// Memory is an in-process Store, Locker and Watcher: what the cache does by
// itself, made explicit so that tests and single-process programs can share
// one token between several caches. It keeps copies of the tokens it is
// given and hands out copies, so no caller can change another's token.
// The zero value is not usable; call NewMemory.
type Memory struct {
	mu       sync.Mutex
	tokens   map[string]*iotauth.Token
	locks    map[string]memLock
	watchers map[string]map[*memWatcher]struct{}
	owners   uint64 // the last lock owner id handed out
}

var (
	_ iotauth.Store   = (*Memory)(nil)
	_ iotauth.Locker  = (*Memory)(nil)
	_ iotauth.Watcher = (*Memory)(nil)
)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{
		tokens:   map[string]*iotauth.Token{},
		locks:    map[string]memLock{},
		watchers: map[string]map[*memWatcher]struct{}{},
	}
}

// Load returns a copy of the token saved under key, or (nil, nil) when there
// is none or it has expired.
func (m *Memory) Load(ctx context.Context, key string) (*iotauth.Token, error) {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[key]
	if t == nil {
		return nil, nil
	}
	if t.ExpiredAt(time.Now()) {
		delete(m.tokens, key)
		return nil, nil
	}
	return tokencodec.Clone(t), nil
}

// Save keeps a copy of t under key and hands it to the key's watchers. An
// already expired token is not saved.
func (m *Memory) Save(ctx context.Context, key string, t *iotauth.Token) error {
	skip, err := tokencodec.CheckSave(ctx, key, t)
	if err != nil || skip {
		return err
	}
	t = tokencodec.Clone(t)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = t
	for w := range m.watchers[key] {
		w.offer(t)
	}
	return nil
}

// Delete forgets the token saved under key, if any.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tokens, key)
	return nil
}
