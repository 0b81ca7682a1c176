package alimqtt

import (
	"context"
	"net/url"
)

// RevokeToken makes token invalid before its expire time.
func (p *Provider) RevokeToken(ctx context.Context, token string) error {
	res, err := p.call(ctx, "RevokeToken", url.Values{"Token": {token}})
	if err != nil {
		return err
	}
	return parseEmpty(p.http, res)
}
