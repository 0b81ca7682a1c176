package alimqtt

import "context"

// RefreshDeviceCredential gives clientID a new secret under the same
// DeviceAccessKeyId; the old secret stops working. The credential the
// Provider kept for clientID is dropped, so that DeviceCredential reads the
// new one.
func (p *Provider) RefreshDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	cred, err := p.credentialCall(ctx, "RefreshDeviceCredential", clientID)
	p.forget(clientID)
	return cred, err
}
