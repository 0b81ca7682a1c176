package oceanconnect

import (
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe tells an iotauth Cache and Transport about the platform: tokens go
// to the configured origin only, with the app_key and Authorization headers
// (see Authorize), a rejection is what TokenRejected says, and a login kills
// the application's previous token.
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:          platform,
		Origins:       []string{httpc.OriginOf(p.base)},
		Header:        p.header,
		Rejected:      p.TokenRejected,
		LastTokenOnly: true, // "only the last token obtained is valid"
		StoreKey:      p.CacheKey(),
	}
}

// header is the two headers every call but the login carries.
func (p *Provider) header(t *iotauth.Token) http.Header {
	return http.Header{appKeyHeader: {p.appID}, "Authorization": {t.Type() + " " + t.AccessToken}}
}
