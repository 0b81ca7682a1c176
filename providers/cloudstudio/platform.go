package cloudstudio

import (
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only, attached by Authorize, and a rejection is
// what TokenRejected says.
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:      platform,
		Origins:   []string{httpc.OriginOf(p.base)},
		Header:    noHeader,
		Authorize: p.Authorize,
		Rejected:  p.TokenRejected,
		StoreKey:  p.CacheKey(),
	}
}

// noHeader leaves every header to Authorize: where the token goes depends
// on the request (header, query or JSON body).
func noHeader(*iotauth.Token) http.Header { return nil }
