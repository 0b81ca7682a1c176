package mxchip

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

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
	TLSPort   int            // TLS port, the platform's "sslport"
	Endpoint  string         // broker instance id
}

// MQTTLogin returns the login an MQTT client connects with.
func (m *MQTTClient) MQTTLogin() iotauth.MQTTLogin {
	return iotauth.MQTTLogin{
		Host:     m.Host,
		Port:     m.Port,
		TLSPort:  m.TLSPort,
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
		return nil, httpc.Refuse(platform, "CreateMQTTClient", "app_id (the application id registered in the MXCHIP console) is required")
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
		TLSPort:   int(d.SSLPort.V),
		Endpoint:  d.Endpoint,
	}, nil
}

func validPort(p httpc.FlexInt) bool { return p.Set && p.V > 0 && p.V <= 65535 }

// MQTTSource is the login of an MQTT client created for the application
// appID, as an iotauth.MQTTSource. The MQTT client is created once, on the
// first login, and reused by every connect; when the Cache given to
// NewClient has a Store, the client is kept there too, so that another
// process or a restart reuses it instead of creating another. After the
// broker refuses a login, a new MQTT client is created (a client's password
// cannot be changed on the platform). opts configure the source's Cache
// (see iotauth.NewMQTTSource), after the Store it shares.
func (c *Client) MQTTSource(appID string, opts ...iotauth.CacheOption) iotauth.MQTTSource {
	return iotauth.NewMQTTSource(mqttCredential{c, appID}, append([]iotauth.CacheOption{iotauth.WithStoreOf(c.ts)}, opts...)...)
}

// mqttCredential is an MQTT client of appID as a Token, so that it can
// travel through a Store: AccessToken is its password, Extra the rest.
type mqttCredential struct {
	c     *Client
	appID string
}

// The Extra keys of an MQTT client kept as a Token.
const (
	extraLoginName = "loginname"
	extraClientID  = "clientid"
	extraHost      = "mqtthost"
	extraPort      = "mqttport"
	extraSSLPort   = "sslport"
	extraEndpoint  = "endpoint"
)

func (m mqttCredential) MQTTCredential(ctx context.Context, _ bool) (*iotauth.Token, error) {
	mc, err := m.c.CreateMQTTClient(ctx, m.appID)
	if err != nil {
		return nil, err
	}
	return &iotauth.Token{AccessToken: string(mc.Password), Extra: map[string]string{
		extraLoginName: mc.LoginName,
		extraClientID:  mc.ClientID,
		extraHost:      mc.Host,
		extraPort:      strconv.Itoa(mc.Port),
		extraSSLPort:   strconv.Itoa(mc.TLSPort),
		extraEndpoint:  mc.Endpoint,
	}}, nil
}

func (m mqttCredential) MQTTLoginOf(t *iotauth.Token) iotauth.MQTTLogin {
	port, _ := strconv.Atoi(t.Extra[extraPort])
	ssl, _ := strconv.Atoi(t.Extra[extraSSLPort])
	return (&MQTTClient{
		LoginName: t.Extra[extraLoginName],
		Password:  iotauth.Secret(t.AccessToken),
		ClientID:  t.Extra[extraClientID],
		Host:      t.Extra[extraHost],
		Port:      port,
		TLSPort:   ssl,
		Endpoint:  t.Extra[extraEndpoint],
	}).MQTTLogin()
}

// Describe names the platform, and the application's MQTT client in a
// Store: under the account of the Client's token source and the
// application.
func (m mqttCredential) Describe() iotauth.Platform {
	account := iotauth.Describe(m.c.ts).StoreKey
	return iotauth.Platform{Name: platform, StoreKey: iotauth.StoreKey(platform, m.c.base, account+"|mqtt-client|"+m.appID)}
}
