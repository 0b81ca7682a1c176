package alimqtt

import (
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Describe names the platform, the OpenAPI origin the AccessKey signs calls
// for, and the store key of the account and instance (without the secret).
//
// Alibaba MQTT credentials are presented in the MQTT CONNECT (or on
// $SYS/uploadToken), never on an HTTP call: no header carries them and no
// HTTP answer rejects them, so the Provider has no TokenRejected and its
// sources describe no origin. The broker's refusals reach an MQTT source as
// a refused CONNECT or a $SYS/tokenInvalidNotice (see mqtt.go).
func (p *Provider) Describe() iotauth.Platform {
	return iotauth.Platform{
		Name:     platform,
		Origins:  []string{httpc.OriginOf(p.base)},
		StoreKey: p.storeKey(""),
	}
}

// storeKey is the Store key of a credential of the account and instance:
// what names it among theirs (a token's actions and resources, a client
// id); "" is the account and instance themselves.
func (p *Provider) storeKey(what string) string {
	account := p.cfg.AccessKeyID + "|" + p.cfg.InstanceID
	if what != "" {
		account += "|" + what
	}
	return iotauth.StoreKey(platform, p.base, account)
}

// Describe names the platform and the token's store key: the account,
// instance, actions and resources, so that tokens for different topics are
// stored apart. No origin receives the token (see Provider.Describe).
func (s *tokenSource) Describe() iotauth.Platform {
	return iotauth.Platform{Name: platform, StoreKey: s.p.storeKey(s.actions + "|" + strings.Join(s.resources, ","))}
}
