package cloudstudio

import (
	"context"
	"strconv"
	"strings"

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
	res, err := p.c.Do(ctx, httpc.Request{Op: opCreate, URL: p.base + createPath, JSON: &body})
	if err != nil {
		return nil, err
	}
	return parseCreate(p.c, res)
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
