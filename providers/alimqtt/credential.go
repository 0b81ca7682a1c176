package alimqtt

import (
	"context"
	"net/url"
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
