package alimqtt

import "context"

// GetDeviceCredential returns the credential of clientID. It fails with
// code DeviceCredentialNotFound when the device has none.
func (p *Provider) GetDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	return p.credentialCall(ctx, "GetDeviceCredential", clientID)
}
