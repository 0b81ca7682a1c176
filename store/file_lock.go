//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// Lock takes an exclusive flock on key's lock file without waiting, or
// returns iotauth.ErrLockHeld when another holder (this process or another
// one on the host) has it. lease must be positive but is otherwise unused:
// the kernel releases the lock when the holder exits or dies.
func (f *File) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	if err := tokencodec.CheckLock(ctx, key, lease); err != nil {
		return nil, err
	}
	path := f.lockPath(key)
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	if err := flock(lf, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, iotauth.ErrLockHeld
		}
		return nil, fmt.Errorf("iotauth: file store: lock: %w", err)
	}
	return &fileLease{f: lf, path: path}, nil
}

// flock applies how to lf's descriptor without switching the file to
// blocking mode, as (*os.File).Fd would.
func flock(lf *os.File, how int) error {
	rc, err := lf.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}

// fileLease is a held flock: the open lock file.
type fileLease struct {
	mu   sync.Mutex
	f    *os.File // nil once unlocked
	path string
}

// Renew does not extend anything (the flock has no expiry); it reports
// iotauth.ErrLockHeld when the lock was released or its lock file was
// removed or replaced, so that a new holder may exist.
func (l *fileLease) Renew(ctx context.Context, lease time.Duration) error {
	if err := tokencodec.CheckLease(ctx, lease); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return iotauth.ErrLockHeld
	}
	held, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("iotauth: file store: %w", err)
	}
	cur, err := os.Stat(l.path)
	if err != nil || !os.SameFile(held, cur) {
		return iotauth.ErrLockHeld
	}
	return nil
}

// Unlock releases the flock. A second Unlock does nothing.
func (l *fileLease) Unlock(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("iotauth: file store: unlock: %w", err)
	}
	return nil
}
