package alimqtt

import (
	"context"
	"net/url"

	"github.com/iotauth/iotauth/internal/httpc"
)

// QueryToken reports whether token is still valid: not expired, not revoked.
func (p *Provider) QueryToken(ctx context.Context, token string) (bool, error) {
	res, err := p.call(ctx, "QueryToken", url.Values{"Token": {token}})
	if err != nil {
		return false, err
	}
	return parseTokenStatus(p.http, res)
}

// parseTokenStatus reads a QueryToken answer, which must say true or false.
func parseTokenStatus(c *httpc.Client, res *httpc.Response) (bool, error) {
	var out struct {
		RequestID   string `json:"RequestId"`
		TokenStatus *bool  `json:"TokenStatus"`
	}
	if err := c.DecodeJSON(res, &out); err != nil {
		return false, err
	}
	if out.TokenStatus == nil {
		return false, c.Malformed(res, "missing TokenStatus")
	}
	return *out.TokenStatus, nil
}
