package alimqtt

import "context"

// RegisterDeviceCredential creates the credential of clientID (of the form
// GroupID@@@DeviceID). It fails with code DeviceCredentialExsit when the
// device already has one, and with iotauth.ErrQuotaExceeded when the
// instance's credential limit is reached.
func (p *Provider) RegisterDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	return p.credentialCall(ctx, "RegisterDeviceCredential", clientID)
}
