package alimqtt

import (
	"context"
	"time"
)

// lookupTimeout bounds one register-if-absent, which runs detached from
// the callers' contexts.
const lookupTimeout = time.Minute

// credentialFlight is one DeviceCredential lookup that concurrent callers
// for the same client id wait for.
type credentialFlight struct {
	done chan struct{}
	cred *DeviceCredential
	err  error
}

// DeviceCredential returns the credential of clientID, registering it if
// the device has none: Get first, Register only on DeviceCredentialNotFound,
// and Get again when another process registered it in between
// (DeviceCredentialExsit), so a credential a device may be using is never
// replaced. The result is cached per client id, and concurrent callers for
// the same client id share one lookup.
func (p *Provider) DeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if cred, ok := p.creds[clientID]; ok {
		p.mu.Unlock()
		return cred, nil
	}
	f, ok := p.flight[clientID]
	if !ok {
		f = &credentialFlight{done: make(chan struct{})}
		p.flight[clientID] = f
		go p.lookup(context.WithoutCancel(ctx), clientID, f)
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.cred, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookup runs one register-if-absent for clientID, detached from the
// first caller's cancellation so that the others still get an answer.
func (p *Provider) lookup(ctx context.Context, clientID string, f *credentialFlight) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	f.cred, f.err = p.getOrRegister(ctx, clientID)
	p.mu.Lock()
	delete(p.flight, clientID)
	if f.err == nil {
		p.creds[clientID] = f.cred
	}
	p.mu.Unlock()
	close(f.done)
}

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

// remember replaces the cached credential of a device after a refresh.
func (p *Provider) remember(cred *DeviceCredential) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.creds[cred.ClientID]; ok {
		p.creds[cred.ClientID] = cred
	}
}

// forget drops the cached credential of a device.
func (p *Provider) forget(clientID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.creds, clientID)
}
