package alimqtt

import (
	"context"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
)

// TokenSource returns a source that applies for a token granting actions on
// resources, valid for lifetime from each application. Wrap it in
// iotauth.NewCache to share one token and renew it ahead of its ExpireTime.
func (c *Client) TokenSource(resources []string, actions string, lifetime time.Duration) iotauth.TokenSource {
	return &tokenSource{c: c, resources: append([]string(nil), resources...), actions: actions, lifetime: lifetime}
}

type tokenSource struct {
	c         *Client
	resources []string
	actions   string
	lifetime  time.Duration
}

// Token applies for a new token.
func (s *tokenSource) Token(ctx context.Context) (*iotauth.Token, error) {
	if s.lifetime <= 0 {
		return nil, badRequest("ApplyToken", "non-positive token lifetime")
	}
	return s.c.ApplyToken(ctx, s.resources, s.actions, time.Now().Add(s.lifetime))
}

// Platform returns "alimqtt".
func (s *tokenSource) Platform() string { return Platform }

// CacheKey names the account, instance, actions and resources, so that
// tokens for different topics are stored apart.
func (s *tokenSource) CacheKey() string {
	return iotauth.StoreKey(Platform, s.c.base,
		s.c.cfg.AccessKeyID+"|"+s.c.cfg.InstanceID+"|"+s.actions+"|"+strings.Join(s.resources, ","))
}
