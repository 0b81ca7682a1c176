package alimqtt

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// TokenType is the type of the tokens ApplyToken issues: MQTT passwords for
// the token login mode, not HTTP bearer tokens.
const TokenType = "MQTT"

// The Actions a token grants.
const (
	ActionRead      = "R"
	ActionWrite     = "W"
	ActionReadWrite = "R,W"
)

// The documented bounds of ApplyToken ("ApsaraMQ for MQTT:ApplyToken"): a
// token lives at least 60 seconds, at most 30 days (a later ExpireTime is
// silently cut to 30 days), and names at most 100 resources, sorted.
const (
	MinTokenLifetime = 60 * time.Second
	MaxTokenLifetime = 30 * 24 * time.Hour
	MaxResources     = 100
)

// ApplyToken applies for a token that lets an MQTT client use resources
// (topics, such as "parent/sub/#") for actions ("R", "W" or "R,W") until
// expire. Resources are sent sorted, as the platform wants; more than 100
// are refused before the call, and so is an expire less than 60 s ahead.
// An expire more than 30 days ahead is sent as 30 days, which is what the
// platform would grant anyway, so the token's Expiry is the real one. The
// token's Scope is the actions, its ID nothing: the token itself names it.
func (p *Provider) ApplyToken(ctx context.Context, resources []string, actions string, expire time.Time) (*iotauth.Token, error) {
	now := time.Now()
	actions, err := normalizeActions(actions)
	var sorted []string
	if err == nil {
		sorted, err = normalizeResources(resources)
	}
	if err == nil && expire.Before(now.Add(MinTokenLifetime)) {
		err = httpc.Refuse(platform, "ApplyToken", "ExpireTime must be at least 60 s ahead (ApsaraMQ for MQTT:ApplyToken)")
	}
	if err != nil {
		return nil, err
	}
	if limit := now.Add(MaxTokenLifetime); expire.After(limit) {
		expire = limit
	}
	ms := expire.UnixMilli()
	joined := strings.Join(sorted, ",")
	res, err := p.call(ctx, "ApplyToken", url.Values{
		"Resources":  {joined},
		"Actions":    {actions},
		"ExpireTime": {strconv.FormatInt(ms, 10)},
	})
	if err != nil {
		return nil, err
	}
	tok, err := parseToken(p.http, res)
	if err != nil {
		return nil, err
	}
	return &iotauth.Token{
		AccessToken: tok,
		TokenType:   TokenType,
		Expiry:      time.UnixMilli(ms),
		IssuedAt:    now,
		Scope:       actions,
		Extra:       map[string]string{"resources": joined},
	}, nil
}

// parseToken reads an ApplyToken answer, which must hold a token.
func parseToken(c *httpc.Client, res *httpc.Response) (string, error) {
	var out struct {
		RequestID string `json:"RequestId"`
		Token     string `json:"Token"`
	}
	if err := c.DecodeJSON(res, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", c.Malformed(res, "missing Token")
	}
	return out.Token, nil
}

// normalizeActions accepts "R", "W", "R,W" and "W,R" (spaces and case
// aside) and returns "R", "W" or "R,W".
func normalizeActions(actions string) (string, error) {
	var r, w bool
	for _, a := range strings.Split(actions, ",") {
		switch strings.ToUpper(strings.TrimSpace(a)) {
		case ActionRead:
			r = true
		case ActionWrite:
			w = true
		default:
			return "", httpc.Refuse(platform, "ApplyToken", `actions must be "R", "W" or "R,W"`)
		}
	}
	switch {
	case r && w:
		return ActionReadWrite, nil
	case r:
		return ActionRead, nil
	}
	return ActionWrite, nil
}

// normalizeResources returns resources sorted and without duplicates, as
// the platform wants them: at least one, at most 100, none empty or holding
// the comma that separates them.
func normalizeResources(resources []string) ([]string, error) {
	if len(resources) == 0 {
		return nil, httpc.Refuse(platform, "ApplyToken", "no resources")
	}
	for _, r := range resources {
		if strings.TrimSpace(r) == "" || strings.Contains(r, ",") {
			return nil, httpc.Refuse(platform, "ApplyToken", "a resource is empty or holds a comma")
		}
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(resources)))
	if len(sorted) > MaxResources {
		return nil, httpc.Refuse(platform, "ApplyToken", fmt.Sprintf("%d resources, more than the %d a token may name (ApsaraMQ for MQTT:ApplyToken)",
			len(sorted), MaxResources))
	}
	return sorted, nil
}
