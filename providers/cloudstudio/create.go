package cloudstudio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// opCreate names the creation call in errors.
const opCreate = "CreateClientAccessTokenAllIntegrations"

const createPath = "/services/gear/AuthorizationService.svc/CreateClientAccessTokenAllIntegrations"

// createRequest is the creation call's body. Expiration, in minutes, is
// omitted for the platform's default expiry (2099-01-01).
type createRequest struct {
	ClientAccessToken struct {
		Description string
		ClientID    int
	} `json:"clientAccessToken"`
	Login struct {
		LoginType int
		Email     string
		Password  string
	} `json:"login"`
	Expiration int64 `json:"expiration,omitempty"`
}

// createResponse is the creation call's answer.
type createResponse struct {
	Result *struct {
		AccessToken         string
		ClientAccessTokenID httpc.FlexInt
		ClientID            httpc.FlexInt
		Description         string
		DateTimeCreated     *dateTime
		ExpirationDateTime  *dateTime
	} `json:"CreateClientAccessTokenAllIntegrationsResult"`
	Exception *exception
}

// Token creates a new persistent access token. Every call creates one on
// the platform: wrap the Provider in iotauth.NewCache, which calls Token
// only when it holds no token, and pass iotauth.WithStore so that restarts
// and other processes reuse the stored token instead of creating more.
func (p *Provider) Token(ctx context.Context) (*iotauth.Token, error) {
	return p.create(ctx)
}

// create asks the platform for a new token, with a description of its own
// (the platform refuses two consecutive creations with the same one).
func (p *Provider) create(ctx context.Context) (*iotauth.Token, error) {
	var body createRequest
	body.ClientAccessToken.Description = uniqueDescription(p.desc, p.now())
	body.ClientAccessToken.ClientID = p.clientID
	body.Login.LoginType = 1
	body.Login.Email = p.email
	body.Login.Password = string(p.password)
	body.Expiration = int64(p.expiration.Minutes())
	res, err := p.http.Do(ctx, httpc.Request{Op: opCreate, URL: p.base + createPath, JSON: &body})
	if err != nil {
		return nil, err
	}
	return parseCreate(p.http, res)
}

// parseCreate turns the creation call's answer into a Token: ID is the
// ClientAccessTokenID, IssuedAt the DateTimeCreated and Expiry the
// ExpirationDateTime. A missing field, an impossible date or an expiry not
// after the creation is an ErrMalformedResponse.
func parseCreate(c *httpc.Client, res *httpc.Response) (*iotauth.Token, error) {
	if res.Status != 200 || decodeException(res.Body) != nil {
		return nil, fail(c, res)
	}
	var b createResponse
	if err := c.DecodeJSON(res, &b); err != nil {
		return nil, err
	}
	r := b.Result
	if r == nil {
		return nil, c.Malformed(res, "missing CreateClientAccessTokenAllIntegrationsResult")
	}
	if strings.TrimSpace(r.AccessToken) == "" {
		return nil, c.Malformed(res, "missing AccessToken")
	}
	if !r.ClientAccessTokenID.Set || r.ClientAccessTokenID.V <= 0 {
		return nil, c.Malformed(res, "missing ClientAccessTokenID")
	}
	created, why := r.DateTimeCreated.utc()
	if why != "" {
		return nil, c.Malformed(res, "DateTimeCreated: "+why)
	}
	expiry, why := r.ExpirationDateTime.utc()
	if why != "" {
		return nil, c.Malformed(res, "ExpirationDateTime: "+why)
	}
	if !expiry.After(created) {
		return nil, c.Malformed(res, "ExpirationDateTime not after DateTimeCreated")
	}
	return &iotauth.Token{
		AccessToken: strings.TrimSpace(r.AccessToken),
		TokenType:   "Bearer",
		ID:          strconv.FormatInt(r.ClientAccessTokenID.V, 10),
		IssuedAt:    created,
		Expiry:      expiry,
	}, nil
}

// uniqueDescription makes text unique for one creation, since the platform
// refuses two consecutive creations with the same description: text, a
// space, the UTC time and a random suffix, with text shortened so that the
// whole fits the platform's 255 characters.
func uniqueDescription(text string, now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	suffix := " " + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	room := maxDescription - utf8.RuneCountInString(suffix)
	if utf8.RuneCountInString(text) > room {
		text = string([]rune(text)[:room])
	}
	return text + suffix
}
