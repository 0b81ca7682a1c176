package alimqtt

import (
	"context"
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
