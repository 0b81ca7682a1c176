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
func (c *Client) DeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if cred, ok := c.creds[clientID]; ok {
		c.mu.Unlock()
		return cred, nil
	}
	f, ok := c.flight[clientID]
	if !ok {
		f = &credentialFlight{done: make(chan struct{})}
		c.flight[clientID] = f
		go c.lookup(context.WithoutCancel(ctx), clientID, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.cred, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookup runs one register-if-absent for clientID, detached from the
// first caller's cancellation so that the others still get an answer.
func (c *Client) lookup(ctx context.Context, clientID string, f *credentialFlight) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	f.cred, f.err = c.getOrRegister(ctx, clientID)
	c.mu.Lock()
	delete(c.flight, clientID)
	if f.err == nil {
		c.creds[clientID] = f.cred
	}
	c.mu.Unlock()
	close(f.done)
}

func (c *Client) getOrRegister(ctx context.Context, clientID string) (*DeviceCredential, error) {
	cred, err := c.GetDeviceCredential(ctx, clientID)
	if !hasCode(err, CodeDeviceCredentialNotFound) {
		return cred, err
	}
	cred, err = c.RegisterDeviceCredential(ctx, clientID)
	if hasCode(err, CodeDeviceCredentialExsit) {
		return c.GetDeviceCredential(ctx, clientID)
	}
	return cred, err
}

// remember replaces the cached credential of a device after a refresh.
func (c *Client) remember(cred *DeviceCredential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.creds[cred.ClientID]; ok {
		c.creds[cred.ClientID] = cred
	}
}

// forget drops the cached credential of a device.
func (c *Client) forget(clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.creds, clientID)
}
