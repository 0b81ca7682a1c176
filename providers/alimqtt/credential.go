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

// RegisterDeviceCredential creates the credential of clientID (of the form
// GroupID@@@DeviceID). It fails with code DeviceCredentialExsit when the
// device already has one, and with iotauth.ErrQuotaExceeded when the
// instance's credential limit is reached.
func (c *Client) RegisterDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	return c.credentialCall(ctx, "RegisterDeviceCredential", clientID)
}

// GetDeviceCredential returns the credential of clientID. It fails with
// code DeviceCredentialNotFound when the device has none.
func (c *Client) GetDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	return c.credentialCall(ctx, "GetDeviceCredential", clientID)
}

// RefreshDeviceCredential gives clientID a new secret under the same
// DeviceAccessKeyId; the old secret stops working.
func (c *Client) RefreshDeviceCredential(ctx context.Context, clientID string) (*DeviceCredential, error) {
	return c.credentialCall(ctx, "RefreshDeviceCredential", clientID)
}

// UnRegisterDeviceCredential deletes the credential of clientID, releasing
// its place in the instance's quota.
func (c *Client) UnRegisterDeviceCredential(ctx context.Context, clientID string) error {
	res, err := c.call(ctx, "UnRegisterDeviceCredential", url.Values{"ClientId": {clientID}})
	c.forget(clientID)
	if err != nil {
		return err
	}
	return c.decodeEmpty(res)
}

func (c *Client) credentialCall(ctx context.Context, action, clientID string) (*DeviceCredential, error) {
	res, err := c.call(ctx, action, url.Values{"ClientId": {clientID}})
	if err != nil {
		return nil, err
	}
	cred, err := c.decodeCredential(res, clientID)
	if err != nil {
		return nil, err
	}
	if action == "RefreshDeviceCredential" {
		c.remember(cred)
	}
	return cred, nil
}

// decodeCredential reads a credential answer: it must hold the credential
// of clientID with its key id and secret, and times that are not negative.
func (c *Client) decodeCredential(res *httpc.Response, clientID string) (*DeviceCredential, error) {
	var out credentialAnswer
	if err := c.http.DecodeJSON(res, &out); err != nil {
		return nil, err
	}
	d := out.DeviceCredential
	switch {
	case d == nil:
		return nil, c.http.Malformed(res, "missing DeviceCredential")
	case d.DeviceAccessKeyID == "":
		return nil, c.http.Malformed(res, "missing DeviceAccessKeyId")
	case d.DeviceAccessKeySecret == "":
		return nil, c.http.Malformed(res, "missing DeviceAccessKeySecret")
	case d.ClientID != "" && d.ClientID != clientID:
		return nil, c.http.Malformed(res, "credential of another ClientId")
	case d.CreateTime.V < 0 || d.UpdateTime.V < 0:
		return nil, c.http.Malformed(res, "negative CreateTime or UpdateTime")
	}
	inst := d.InstanceID
	if inst == "" {
		inst = c.cfg.InstanceID
	}
	return &DeviceCredential{
		ClientID:              clientID,
		InstanceID:            inst,
		DeviceAccessKeyID:     d.DeviceAccessKeyID,
		DeviceAccessKeySecret: iotauth.Secret(d.DeviceAccessKeySecret),
		CreateTime:            msTime(d.CreateTime),
		UpdateTime:            msTime(d.UpdateTime),
		broker:                c.broker(),
	}, nil
}

// decodeEmpty reads an answer that carries nothing but its RequestId.
func (c *Client) decodeEmpty(res *httpc.Response) error {
	var out struct {
		RequestID string `json:"RequestId"`
	}
	return c.http.DecodeJSON(res, &out)
}

// msTime converts the platform's milliseconds since the epoch; unset is
// the zero time.
func msTime(f httpc.FlexInt) time.Time {
	if !f.Set || f.V == 0 {
		return time.Time{}
	}
	return time.UnixMilli(f.V)
}
