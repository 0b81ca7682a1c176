package mxchip

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// mqttClientPath creates MQTT clients.
const mqttClientPath = "/v3/open_api/mqtt/client/"

// MQTTClient is an MQTT client created for an application: what a device
// or service needs to log in to the platform's MQTT broker. Password
// cannot be changed on the platform and prints as [REDACTED].
type MQTTClient struct {
	LoginName string         // MQTT user name
	Password  iotauth.Secret // MQTT password
	ClientID  string         // MQTT client id, also names the client in permission calls
	Host      string         // broker host
	Port      int            // plain TCP port
	SSLPort   int            // TLS port, the platform's "sslport": MQTTLogin's TLSPort
	Endpoint  string         // broker instance id
}

// MQTTLogin returns the login an MQTT client connects with.
func (m *MQTTClient) MQTTLogin() iotauth.MQTTLogin {
	return iotauth.MQTTLogin{
		Host:     m.Host,
		Port:     m.Port,
		TLSPort:  m.SSLPort,
		ClientID: m.ClientID,
		Username: m.LoginName,
		Password: m.Password,
	}
}

// mqttClientData is the data of a create-MQTT-client answer.
type mqttClientData struct {
	LoginName string        `json:"loginname"`
	Password  string        `json:"password"`
	ClientID  string        `json:"clientid"`
	MQTTHost  string        `json:"mqtthost"`
	MQTTPort  httpc.FlexInt `json:"mqttport"`
	SSLPort   httpc.FlexInt `json:"sslport"`
	Endpoint  string        `json:"endpoint"`
}

// CreateMQTTClient creates an MQTT client for the application appID
// registered in the MXCHIP console.
func (c *Client) CreateMQTTClient(ctx context.Context, appID string) (*MQTTClient, error) {
	if appID == "" {
		return nil, required("CreateMQTTClient", "app_id (the application id registered in the MXCHIP console) is required")
	}
	res, err := c.do(ctx, "CreateMQTTClient", http.MethodPost, mqttClientPath, url.Values{"app_id": {appID}})
	if err != nil {
		return nil, err
	}
	return parseMQTTClient(c.http, res)
}

// parseMQTTClient turns a create-MQTT-client answer into an MQTTClient. A
// missing login name, password, client id or host, or no usable port, is an
// ErrMalformedResponse.
func parseMQTTClient(c *httpc.Client, res *httpc.Response) (*MQTTClient, error) {
	var d mqttClientData
	if err := decode(c, res, &d); err != nil {
		return nil, err
	}
	switch {
	case d.LoginName == "":
		return nil, c.Malformed(res, "missing loginname")
	case d.Password == "":
		return nil, c.Malformed(res, "missing password")
	case d.ClientID == "":
		return nil, c.Malformed(res, "missing clientid")
	case d.MQTTHost == "":
		return nil, c.Malformed(res, "missing mqtthost")
	case !httpc.IsHost(d.MQTTHost):
		return nil, c.Malformed(res, "mqtthost is not a host name")
	case !validPort(d.MQTTPort) && !validPort(d.SSLPort):
		return nil, c.Malformed(res, "no valid mqttport or sslport")
	case (d.MQTTPort.Set && !validPort(d.MQTTPort)) || (d.SSLPort.Set && !validPort(d.SSLPort)):
		return nil, c.Malformed(res, "port out of range")
	}
	return &MQTTClient{
		LoginName: d.LoginName,
		Password:  iotauth.Secret(d.Password),
		ClientID:  d.ClientID,
		Host:      d.MQTTHost,
		Port:      int(d.MQTTPort.V),
		SSLPort:   int(d.SSLPort.V),
		Endpoint:  d.Endpoint,
	}, nil
}

func validPort(p httpc.FlexInt) bool { return p.Set && p.V > 0 && p.V <= 65535 }
