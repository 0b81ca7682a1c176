package store

import (
	"context"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

var _ iotauth.Announcer = (*Memory)(nil)

// announceKey is where rotation notices for key travel: the watchers of
// announceKey(key) are told of each notice. No token is saved there.
func announceKey(key string) string { return "\x00announce\x00" + key }

// notice is what an announcement's watchers are handed.
var notice = &iotauth.Token{AccessToken: "rotation"}

// Announce tells the key's WatchAnnouncements watchers that a process is
// about to replace the token stored under key.
func (m *Memory) Announce(ctx context.Context, key string) error {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for w := range m.watchers[announceKey(key)] {
		w.offer(notice)
	}
	return nil
}

// WatchAnnouncements calls fn, on a goroutine of its own, for each rotation
// notice for key until stop is called. Notices that arrive while fn runs are
// folded into one.
func (m *Memory) WatchAnnouncements(ctx context.Context, key string, fn func()) (stop func(), err error) {
	if err := tokencodec.CheckCall(ctx, key); err != nil {
		return nil, err
	}
	return m.Watch(ctx, announceKey(key), func(*iotauth.Token) { fn() })
}
