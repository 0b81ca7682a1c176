package mxchip

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iotauth/iotauth/internal/httpc"
)

// permissionPath grants (POST) and revokes (DELETE) device permissions.
const permissionPath = "/v3/open_api/mqtt/permission/"

// GrantPermission lets the MQTT client clientID (MQTTClient.ClientID)
// reach the device deviceID.
func (c *Client) GrantPermission(ctx context.Context, clientID, deviceID string) error {
	return c.permission(ctx, "GrantPermission", http.MethodPost, clientID, deviceID)
}

// RevokePermission withdraws a permission given by GrantPermission. The
// parameters travel form-encoded in the DELETE request's body.
func (c *Client) RevokePermission(ctx context.Context, clientID, deviceID string) error {
	return c.permission(ctx, "RevokePermission", http.MethodDelete, clientID, deviceID)
}

func (c *Client) permission(ctx context.Context, op, method, clientID, deviceID string) error {
	if clientID == "" || deviceID == "" {
		return httpc.Refuse(platform, op, "client_id (from CreateMQTTClient) and device_id are both required")
	}
	res, err := c.do(ctx, op, method, permissionPath, url.Values{"client_id": {clientID}, "device_id": {deviceID}})
	if err != nil {
		return err
	}
	return decode(c.http, res, nil)
}
