package alimqtt

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// DeviceCredential is one device's own access credential (one device, one
// secret). The secret prints as [REDACTED].
type DeviceCredential struct {
	ClientID              string
	InstanceID            string
	DeviceAccessKeyID     string
	DeviceAccessKeySecret iotauth.Secret
	CreateTime            time.Time // zero when the platform did not say
	UpdateTime            time.Time // changes when the secret is refreshed

	broker broker // from the Config
}

// credentialAnswer is the answer of Register, Get and RefreshDeviceCredential.
type credentialAnswer struct {
	RequestID        string `json:"RequestId"`
	DeviceCredential *struct {
		ClientID              string        `json:"ClientId"`
		InstanceID            string        `json:"InstanceId"`
		DeviceAccessKeyID     string        `json:"DeviceAccessKeyId"`
		DeviceAccessKeySecret string        `json:"DeviceAccessKeySecret"`
		CreateTime            httpc.FlexInt `json:"CreateTime"`
		UpdateTime            httpc.FlexInt `json:"UpdateTime"`
	} `json:"DeviceCredential"`
}

// credentialCall makes one of the calls that answer a device's credential
// (Register, Get, RefreshDeviceCredential) and parses the answer.
func (p *Provider) credentialCall(ctx context.Context, action, clientID string) (*DeviceCredential, error) {
	res, err := p.call(ctx, action, url.Values{"ClientId": {clientID}})
	if err != nil {
		return nil, err
	}
	return parseCredential(p.http, res, clientID, p.cfg.InstanceID, p.broker())
}

// parseCredential reads a credential answer: it must hold the credential
// of clientID with its key id and secret, and times that are not negative.
// instanceID stands in when the answer names no instance.
func parseCredential(c *httpc.Client, res *httpc.Response, clientID, instanceID string, b broker) (*DeviceCredential, error) {
	var out credentialAnswer
	if err := c.DecodeJSON(res, &out); err != nil {
		return nil, err
	}
	d := out.DeviceCredential
	switch {
	case d == nil:
		return nil, c.Malformed(res, "missing DeviceCredential")
	case d.DeviceAccessKeyID == "":
		return nil, c.Malformed(res, "missing DeviceAccessKeyId")
	case d.DeviceAccessKeySecret == "":
		return nil, c.Malformed(res, "missing DeviceAccessKeySecret")
	case d.ClientID != "" && d.ClientID != clientID:
		return nil, c.Malformed(res, "credential of another ClientId")
	case d.CreateTime.V < 0 || d.UpdateTime.V < 0:
		return nil, c.Malformed(res, "negative CreateTime or UpdateTime")
	}
	if d.InstanceID != "" {
		instanceID = d.InstanceID
	}
	return &DeviceCredential{
		ClientID:              clientID,
		InstanceID:            instanceID,
		DeviceAccessKeyID:     d.DeviceAccessKeyID,
		DeviceAccessKeySecret: iotauth.Secret(d.DeviceAccessKeySecret),
		CreateTime:            msTime(d.CreateTime),
		UpdateTime:            msTime(d.UpdateTime),
		broker:                b,
	}, nil
}

// msTime converts the platform's milliseconds since the epoch; unset is
// the zero time.
func msTime(f httpc.FlexInt) time.Time {
	if !f.Set || f.V == 0 {
		return time.Time{}
	}
	return time.UnixMilli(f.V)
}

// The Extra keys of a device credential carried as a Token.
const (
	extraKeyID      = "device_access_key_id"
	extraInstanceID = "instance_id"
	extraCreated    = "create_time" // Unix milliseconds; absent when unknown
	extraUpdated    = "update_time"
)

// token is cred as a Token, the form in which a Cache keeps it: the secret
// is the AccessToken (so that it prints as [REDACTED] and is checked like
// any token's), the rest is in Extra, and there is no Expiry. credentialOf
// turns it back.
func (cred *DeviceCredential) token() *iotauth.Token {
	extra := map[string]string{extraKeyID: cred.DeviceAccessKeyID, extraInstanceID: cred.InstanceID}
	for k, t := range map[string]time.Time{extraCreated: cred.CreateTime, extraUpdated: cred.UpdateTime} {
		if !t.IsZero() {
			extra[k] = strconv.FormatInt(t.UnixMilli(), 10)
		}
	}
	return &iotauth.Token{AccessToken: string(cred.DeviceAccessKeySecret), Extra: extra}
}

// credentialOf is the credential of clientID that t carries (see token),
// with the Provider's broker; a missing instance is the Config's.
func (p *Provider) credentialOf(clientID string, t *iotauth.Token) *DeviceCredential {
	instance := t.Extra[extraInstanceID]
	if instance == "" {
		instance = p.cfg.InstanceID
	}
	return &DeviceCredential{
		ClientID:              clientID,
		InstanceID:            instance,
		DeviceAccessKeyID:     t.Extra[extraKeyID],
		DeviceAccessKeySecret: iotauth.Secret(t.AccessToken),
		CreateTime:            extraTime(t.Extra[extraCreated]),
		UpdateTime:            extraTime(t.Extra[extraUpdated]),
		broker:                p.broker(),
	}
}

// extraTime reads a time token wrote; anything else is the zero time.
func extraTime(ms string) time.Time {
	v, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
