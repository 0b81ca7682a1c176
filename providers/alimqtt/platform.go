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
	return s.c.storeKey(s.actions + "|" + strings.Join(s.resources, ","))
}

// storeKey is the Store key of a credential of the account and instance:
// what names it among theirs (a token's actions and resources, a client id).
func (c *Client) storeKey(what string) string {
	return iotauth.StoreKey(Platform, c.base, c.cfg.AccessKeyID+"|"+c.cfg.InstanceID+"|"+what)
}
