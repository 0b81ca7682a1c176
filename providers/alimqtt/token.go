package alimqtt

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// The Actions a token grants.
const (
	ActionRead      = "R"
	ActionWrite     = "W"
	ActionReadWrite = "R,W"
)

// ApplyToken applies for a token that lets an MQTT client use resources
// (topics, such as "parent/sub/#") for actions ("R", "W" or "R,W") until
// expire. The token's Expiry is expire (to the millisecond), its Scope the
// actions, and its ID nothing: the token itself names it.
func (c *Client) ApplyToken(ctx context.Context, resources []string, actions string, expire time.Time) (*iotauth.Token, error) {
	now := time.Now()
	actions, err := normalizeActions(actions)
	if err == nil {
		err = checkResources(resources)
	}
	if err == nil && !expire.After(now) {
		err = badRequest("ApplyToken", "expire time is not in the future")
	}
	if err != nil {
		return nil, err
	}
	ms := expire.UnixMilli()
	res, err := c.call(ctx, "ApplyToken", url.Values{
		"Resources":  {strings.Join(resources, ",")},
		"Actions":    {actions},
		"ExpireTime": {strconv.FormatInt(ms, 10)},
	})
	if err != nil {
		return nil, err
	}
	tok, err := c.decodeToken(res)
	if err != nil {
		return nil, err
	}
	return &iotauth.Token{
		AccessToken: tok,
		TokenType:   TokenType,
		Expiry:      time.UnixMilli(ms),
		IssuedAt:    now,
		Scope:       actions,
		Extra:       map[string]string{"resources": strings.Join(resources, ",")},
	}, nil
}

// decodeToken reads an ApplyToken answer, which must hold a token.
func (c *Client) decodeToken(res *httpc.Response) (string, error) {
	var out struct {
		RequestID string `json:"RequestId"`
		Token     string `json:"Token"`
	}
	if err := c.http.DecodeJSON(res, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", c.http.Malformed(res, "missing Token")
	}
	return out.Token, nil
}

// QueryToken reports whether token is still valid: not expired, not revoked.
func (c *Client) QueryToken(ctx context.Context, token string) (bool, error) {
	res, err := c.call(ctx, "QueryToken", url.Values{"Token": {token}})
	if err != nil {
		return false, err
	}
	return c.decodeTokenStatus(res)
}

// decodeTokenStatus reads a QueryToken answer, which must say true or false.
func (c *Client) decodeTokenStatus(res *httpc.Response) (bool, error) {
	var out struct {
		RequestID   string `json:"RequestId"`
		TokenStatus *bool  `json:"TokenStatus"`
	}
	if err := c.http.DecodeJSON(res, &out); err != nil {
		return false, err
	}
	if out.TokenStatus == nil {
		return false, c.http.Malformed(res, "missing TokenStatus")
	}
	return *out.TokenStatus, nil
}

// RevokeToken makes token invalid before its expire time.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	res, err := c.call(ctx, "RevokeToken", url.Values{"Token": {token}})
	if err != nil {
		return err
	}
	return c.decodeEmpty(res)
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
			return "", badRequest("ApplyToken", `actions must be "R", "W" or "R,W"`)
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

func checkResources(resources []string) error {
	if len(resources) == 0 {
		return badRequest("ApplyToken", "no resources")
	}
	for _, r := range resources {
		if strings.TrimSpace(r) == "" || strings.Contains(r, ",") {
			return badRequest("ApplyToken", "a resource is empty or holds a comma")
		}
	}
	return nil
}

// badRequest is a call refused before it was sent.
func badRequest(op, why string) *iotauth.Error {
	return &iotauth.Error{Platform: Platform, Op: op, Kind: iotauth.ErrBadRequest, Message: why}
}
