package alimqtt

import (
	"strings"

	"github.com/iotauth/iotauth"
)

// Describe names the platform and the token's store key: the account,
// instance, actions and resources, so that tokens for different topics are
// stored apart. Alibaba MQTT tokens are presented in the MQTT CONNECT, not
// over HTTP, so no origin receives them.
func (s *tokenSource) Describe() iotauth.Platform {
	return iotauth.Platform{Name: Platform, StoreKey: s.CacheKey()}
}

// CacheKey is the token's store key (see Describe).
func (s *tokenSource) CacheKey() string {
	return iotauth.StoreKey(Platform, s.c.base,
		s.c.cfg.AccessKeyID+"|"+s.c.cfg.InstanceID+"|"+s.actions+"|"+strings.Join(s.resources, ","))
}
