package alimqtt

import (
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// Platform is the platform id in errors, logs and store keys.
const Platform = "alimqtt"

// APIVersion is the onsmqtt OpenAPI version the client speaks.
const APIVersion = "2020-04-20"

// The MQTT broker ports of an instance, the defaults of Config.MQTTPort and
// Config.MQTTTLSPort.
const (
	MQTTPort    = 1883
	MQTTTLSPort = 8883
)

// Config is an Alibaba Cloud account's AccessKey and MQTT instance.
type Config struct {
	// RegionID is the instance's region, such as "cn-hangzhou". Required.
	RegionID string
	// Endpoint is the OpenAPI base URL; default
	// https://onsmqtt.{RegionID}.aliyuncs.com.
	Endpoint string
	// AccessKeyID is the account's (or RAM user's, or STS) AccessKey ID. Required.
	AccessKeyID string
	// AccessKeySecret signs every call. Required.
	AccessKeySecret iotauth.Secret
	// SecurityToken is sent with every call when the AccessKey is a
	// temporary STS credential.
	SecurityToken iotauth.Secret
	// InstanceID is the MQTT instance, such as "post-cn-0pp12gl****". Required.
	InstanceID string
	// MQTTHost is the broker host put in MQTT logins; default
	// {InstanceID}.mqtt.aliyuncs.com.
	MQTTHost string
	// MQTTPort and MQTTTLSPort are the broker's plain and TLS ports put in
	// MQTT logins; default MQTTPort and MQTTTLSPort, -1 for a broker
	// without one (a private endpoint, a test broker).
	MQTTPort    int
	MQTTTLSPort int
	// HTTPClient makes the calls (for TLS settings, proxies, timeouts);
	// default a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Client calls the onsmqtt OpenAPI of one instance with one AccessKey.
// It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	http *httpc.Client

	mu     sync.Mutex
	creds  map[string]*DeviceCredential // client id → credential
	flight map[string]*credentialFlight // client id → lookup in progress
}

// New validates cfg and returns a Client. Its error names the first missing
// or invalid field.
func New(cfg Config) (*Client, error) {
	switch {
	case strings.TrimSpace(cfg.RegionID) == "":
		return nil, errors.New("alimqtt: Config.RegionID is required")
	case cfg.AccessKeyID == "":
		return nil, errors.New("alimqtt: Config.AccessKeyID is required")
	case cfg.AccessKeySecret.IsZero():
		return nil, errors.New("alimqtt: Config.AccessKeySecret is required")
	case cfg.InstanceID == "":
		return nil, errors.New("alimqtt: Config.InstanceID is required")
	case !validPort(cfg.MQTTPort) || !validPort(cfg.MQTTTLSPort):
		return nil, errors.New("alimqtt: Config.MQTTPort and MQTTTLSPort must be -1, 0 (default) or a port number")
	case cfg.MQTTPort < 0 && cfg.MQTTTLSPort < 0:
		return nil, errors.New("alimqtt: Config.MQTTPort and MQTTTLSPort cannot both be -1")
	}
	base, err := httpc.BaseURL(cfg.Endpoint, "https://onsmqtt."+cfg.RegionID+".aliyuncs.com")
	if err != nil {
		return nil, errors.New("alimqtt: Config.Endpoint: " + err.Error())
	}
	if cfg.MQTTHost == "" {
		cfg.MQTTHost = cfg.InstanceID + ".mqtt.aliyuncs.com"
	}
	return &Client{
		cfg:    cfg,
		base:   base,
		http:   httpc.New(Platform, cfg.HTTPClient),
		creds:  map[string]*DeviceCredential{},
		flight: map[string]*credentialFlight{},
	}, nil
}

// Platform returns "alimqtt".
func (c *Client) Platform() string { return Platform }

// CacheKey names the account and instance for an iotauth.Store, without
// secrets.
func (c *Client) CacheKey() string {
	return iotauth.StoreKey(Platform, c.base, c.cfg.AccessKeyID+"|"+c.cfg.InstanceID)
}

// Hosts is the OpenAPI host the AccessKey signs calls for.
func (c *Client) Hosts() []string { return []string{httpc.HostOf(c.base)} }
