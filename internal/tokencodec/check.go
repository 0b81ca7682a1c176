package tokencodec

import (
	"context"
	"errors"
	"time"

	"github.com/iotauth/iotauth"
)

// Argument errors shared by every store, so that all of them refuse the same
// input with the same words.
var (
	errNoKey   = errors.New("iotauth: store: empty key")
	errNoToken = errors.New("iotauth: store: cannot save a token without an access token")
	errNoLease = errors.New("iotauth: store: lease must be positive")
)

// CheckCall validates the key of a store call and that ctx is still live.
func CheckCall(ctx context.Context, key string) error {
	if key == "" {
		return errNoKey
	}
	return ctx.Err()
}

// CheckSave validates a Save call. It reports skip when t is already
// expired: stores do not save such a token (Load would not return it).
func CheckSave(ctx context.Context, key string, t *iotauth.Token) (skip bool, err error) {
	if err := CheckCall(ctx, key); err != nil {
		return false, err
	}
	if t == nil || t.AccessToken == "" {
		return false, errNoToken
	}
	return t.ExpiredAt(time.Now()), nil
}

// CheckLock validates a Lock call.
func CheckLock(ctx context.Context, key string, lease time.Duration) error {
	if lease <= 0 {
		return errNoLease
	}
	return CheckCall(ctx, key)
}

// CheckLease validates a Renew call.
func CheckLease(ctx context.Context, lease time.Duration) error {
	if lease <= 0 {
		return errNoLease
	}
	return ctx.Err()
}
