package alimqtt

import (
	"context"
	"net/url"
)

// UnRegisterDeviceCredential deletes the credential of clientID, releasing
// its place in the instance's quota.
func (p *Provider) UnRegisterDeviceCredential(ctx context.Context, clientID string) error {
	res, err := p.call(ctx, "UnRegisterDeviceCredential", url.Values{"ClientId": {clientID}})
	p.forget(clientID)
	if err != nil {
		return err
	}
	return parseEmpty(p.http, res)
}
