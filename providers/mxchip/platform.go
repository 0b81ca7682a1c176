package mxchip

import (
	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only as "Authorization: Bearer <token>", and a
// rejection is what TokenRejected says (MXCHIP answers HTTP 200 with
// meta.code 10100 or 10101).
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:     Platform,
		Origins:  []string{httpc.OriginOf(p.base)},
		Rejected: p.TokenRejected,
		StoreKey: p.CacheKey(),
	}
}
