package alimqtt

import "context"

// RefreshDeviceCredential gives clientID a new secret under the same
// DeviceAccessKeyId; the old secret stops working.
func (p *Provider) RefreshDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	cred, err := p.credentialCall(ctx, "RefreshDeviceCredential", clientID)
	if err == nil {
		p.remember(cred)
	}
	return cred, err
}
