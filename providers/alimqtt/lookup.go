package alimqtt

import (
	"context"
	"log/slog"
	"time"

	"github.com/iotauth/iotauth"
)

// DefaultMaxDeviceCredentials is how many device credentials a Provider
// keeps when Config.MaxDeviceCredentials is zero.
const DefaultMaxDeviceCredentials = 10_000

// DefaultDeviceCredentialIdleTimeout is how long a Provider keeps a device
// credential nobody asks for when Config.DeviceCredentialIdleTimeout is
// zero.
const DefaultDeviceCredentialIdleTimeout = time.Hour

// DeviceCredential returns the credential of clientID, registering it if
// the device has none: Get first, Register only on DeviceCredentialNotFound,
// and Get again when another process registered it in between
// (DeviceCredentialExsit), so a credential a device may be using is never
// replaced.
//
// The credential is kept in an iotauth.Cache per client id, so that the
// Cache decides when the platform is called: concurrent callers for a
// client id share one lookup, which runs detached from their contexts
// within the Cache's refresh timeout (30 s); a failed lookup is retried
// after the Cache's backoff, and one the platform refuses for the
// AccessKey (iotauth.ErrInvalidCredentials, iotauth.ErrForbidden) is
// answered with the same error for the Cache's hold-off (5 minutes)
// without a call. The Provider keeps at most Config.MaxDeviceCredentials
// of them, dropping the least recently used first, and with
// Config.DeviceCredentialIdleTimeout (default an hour) those unused that long; a dropped
// credential is looked up again at its next use, and so is one that
// RefreshDeviceCredential or UnRegisterDeviceCredential changed. After
// Close it returns iotauth.ErrClosed.
func (p *Provider) DeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkClientID("GetDeviceCredential", clientID); err != nil {
		return nil, err // refused before it takes a place among the credentials kept
	}
	t, err := p.creds.Token(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return p.credentialOf(clientID, t), nil
}

// newCredentialPool returns the Pool that keeps the device credentials, a
// Cache per client id over its credentialLookup. The Caches log nothing: a
// failed lookup is DeviceCredential's error, which a DeviceCredentialSource's
// own Cache logs as its options say, once.
func (p *Provider) newCredentialPool() *iotauth.Pool {
	opts := []iotauth.PoolOption{
		iotauth.WithMaxCaches(p.cfg.MaxDeviceCredentials),
		iotauth.WithPoolCacheOptions(iotauth.WithLogger(slog.New(slog.DiscardHandler))),
	}
	if p.cfg.DeviceCredentialIdleTimeout > 0 {
		opts = append(opts, iotauth.WithIdleTimeout(p.cfg.DeviceCredentialIdleTimeout))
	}
	return iotauth.NewPool(func(_ context.Context, clientID string) (iotauth.TokenSource, error) {
		return credentialLookup{p, clientID}, nil
	}, opts...)
}

// credentialLookup is the source of one device's credential in the
// Provider's Pool: a register-if-absent, whose credential travels as a
// Token (see DeviceCredential.token). The credential does not expire: its
// Cache keeps it until the Pool drops it.
type credentialLookup struct {
	p        *Provider
	clientID string
}

func (l credentialLookup) Token(ctx context.Context) (*iotauth.Token, error) {
	cred, err := l.p.getOrRegister(ctx, l.clientID)
	if err != nil {
		return nil, err
	}
	return cred.token(), nil
}

// Describe names the platform, for the Cache's logs and errors. The
// credentials the Provider keeps are in no Store.
func (l credentialLookup) Describe() iotauth.Platform { return iotauth.Platform{Name: platform} }

func (p *Provider) getOrRegister(ctx context.Context, clientID string) (*DeviceCredential, error) {
	cred, err := p.GetDeviceCredential(ctx, clientID)
	if !hasCode(err, CodeDeviceCredentialNotFound) {
		return cred, err
	}
	cred, err = p.RegisterDeviceCredential(ctx, clientID)
	if hasCode(err, CodeDeviceCredentialExsit) {
		return p.GetDeviceCredential(ctx, clientID)
	}
	return cred, err
}

// forget drops the credential the Provider keeps for clientID, so that its
// next use reads it from the platform.
func (p *Provider) forget(clientID string) { p.creds.Forget(clientID) }
