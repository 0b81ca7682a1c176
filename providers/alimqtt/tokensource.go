package alimqtt

import (
	"context"
	"slices"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// TokenSource returns a source that applies for a token granting actions on
// resources, valid for lifetime from each application (at least 60 s; more
// than 30 days is granted as 30 days). Wrap it in iotauth.NewCache to share
// one token and renew it ahead of its ExpireTime. The same resources in
// any order name the same token in a Store.
func (p *Provider) TokenSource(resources []string, actions string, lifetime time.Duration) iotauth.TokenSource {
	sorted := slices.Compact(slices.Sorted(slices.Values(resources)))
	if a, err := normalizeActions(actions); err == nil {
		actions = a
	}
	return &tokenSource{p: p, resources: sorted, actions: actions, lifetime: lifetime}
}

type tokenSource struct {
	p         *Provider
	resources []string
	actions   string
	lifetime  time.Duration
}

// Token applies for a new token.
func (s *tokenSource) Token(ctx context.Context) (*iotauth.Token, error) {
	if s.lifetime <= 0 {
		return nil, httpc.Refuse(platform, "ApplyToken", "non-positive token lifetime")
	}
	return s.p.ApplyToken(ctx, s.resources, s.actions, time.Now().Add(s.lifetime))
}
