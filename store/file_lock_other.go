//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"context"
	"errors"
	"time"

	"github.com/iotauth/iotauth"
)

// Lock is not available on this operating system: File's lock needs
// flock(2).
func (f *File) Lock(ctx context.Context, key string, lease time.Duration) (iotauth.Lease, error) {
	return nil, errors.New("iotauth: file store: locking needs flock(2), not available on this system")
}
