//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/tokencodec"
)

// Lock takes an exclusive flock on key's lock file without waiting, or
// returns iotauth.ErrLockHeld when another holder (this process or another
// one on the host) has it. The kernel releases the lock when its holder
// exits or dies. The holder also writes its lease's end into the lock file
// (Renew moves it): a holder that stopped without dying (a frozen or
// SIGSTOPped process) and let its lease run out is replaced: Lock puts a
// fresh lock file in its place, which the stopped holder's Renew then
// reports as ErrLockHeld.
func (f *File) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	if err := tokencodec.CheckLock(ctx, key, lease); err != nil {
		return nil, err
	}
	path := f.lockPath(key)
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	err = flock(lf, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		l := &fileLease{f: lf, path: path}
		// The file may have been replaced between the open and the flock
		// (its holder's lease ran out): its flock then guards nothing.
		if !l.atPath() {
			lf.Close()
			return nil, iotauth.ErrLockHeld
		}
		if err := l.writeDeadline(lease); err != nil {
			lf.Close()
			return nil, err
		}
		return l, nil
	}
	defer lf.Close()
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("iotauth: file store: lock: %w", err)
	}
	if !leaseRanOut(lf) {
		return nil, iotauth.ErrLockHeld
	}
	return f.replaceStaleLock(path, lf, lease)
}

// leaseRanOut reports whether the lock file lf names a lease end that has
// passed. A file without one (being written, or from an older version) has
// a live holder as far as anyone can tell.
func leaseRanOut(lf *os.File) bool {
	b := make([]byte, 32)
	n, _ := lf.ReadAt(b, 0)
	end, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
	return err == nil && time.Now().UnixNano() > end
}

// replaceStaleLock replaces the lock file at path, whose holder's lease ran
// out, with a new one held by the caller. Breakers are serialized by a
// second flock, and each checks that path is still the stale file it saw,
// so two callers cannot both replace it.
func (f *File) replaceStaleLock(path string, stale *os.File, lease time.Duration) (iotauth.Lease, error) {
	bf, err := os.OpenFile(path+".break", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	defer bf.Close() // releases the breaker's flock
	if err := flock(bf, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, iotauth.ErrLockHeld // another caller is replacing it
	}
	was, err := stale.Stat()
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	cur, err := os.Stat(path)
	if err != nil || !os.SameFile(was, cur) {
		return nil, iotauth.ErrLockHeld // already replaced
	}
	tmp, err := os.CreateTemp(f.dir, "."+filepath.Base(path)+".*"+tempExt)
	if err != nil {
		return nil, fmt.Errorf("iotauth: file store: %w", err)
	}
	l := &fileLease{f: tmp, path: path}
	err = flock(tmp, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		err = l.writeDeadline(lease)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("iotauth: file store: lock: %w", err)
	}
	return l, nil
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

// writeDeadline records the end of a lease starting now in the held lock
// file, for other callers to judge a holder that stopped renewing.
func (l *fileLease) writeDeadline(lease time.Duration) error {
	end := strconv.FormatInt(time.Now().Add(lease).UnixNano(), 10) + "\n"
	if _, err := l.f.WriteAt([]byte(end), 0); err != nil {
		return fmt.Errorf("iotauth: file store: lock: %w", err)
	}
	if err := l.f.Truncate(int64(len(end))); err != nil {
		return fmt.Errorf("iotauth: file store: lock: %w", err)
	}
	return nil
}

// Renew moves the lease's end to lease from now; it reports
// iotauth.ErrLockHeld when the lock was released or its lock file was
// removed or replaced (as Lock does once the lease ran out), so that a new
// holder may exist.
func (l *fileLease) Renew(ctx context.Context, lease time.Duration) error {
	if err := tokencodec.CheckLease(ctx, lease); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return iotauth.ErrLockHeld
	}
	if !l.atPath() {
		return iotauth.ErrLockHeld
	}
	return l.writeDeadline(lease)
}

// atPath reports whether the held file is still the lock file at l.path
// (not removed, not replaced).
func (l *fileLease) atPath() bool {
	held, err := l.f.Stat()
	if err != nil {
		return false
	}
	cur, err := os.Stat(l.path)
	return err == nil && os.SameFile(held, cur)
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
