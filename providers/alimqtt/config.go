package alimqtt

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// platform is the platform id in errors, logs and store keys.
const platform = "alimqtt"

// APIVersion is the onsmqtt OpenAPI version the provider speaks.
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
	// AllowInsecureHTTP lets Endpoint be an http:// URL to a host that is
	// not a loopback one (http to 127.0.0.1, ::1 or localhost is always
	// allowed). Only for tests and emulators: the signed calls, with an STS
	// SecurityToken, then travel in clear.
	AllowInsecureHTTP bool
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
	// MaxDeviceCredentials bounds how many device credentials the Provider
	// keeps for DeviceCredential (and DeviceCredentialSource): looking up
	// one more first drops the least recently used, which is read from the
	// platform again at its next use. Zero means
	// DefaultMaxDeviceCredentials; negative is refused by New.
	MaxDeviceCredentials int
	// DeviceCredentialIdleTimeout drops a device credential the Provider
	// keeps once it has not been asked for during that long, so that its
	// next use reads it from the platform again (a credential deleted or
	// replaced there is not kept for ever). One goroutine sweeps them while
	// the Provider keeps any, until Close. Zero means
	// DefaultDeviceCredentialIdleTimeout; negative keeps credentials until
	// MaxDeviceCredentials pushes them out (no goroutine).
	DeviceCredentialIdleTimeout time.Duration
}

// Provider calls the onsmqtt OpenAPI of one instance with one AccessKey and
// derives the MQTT logins of its devices: device credentials
// (DeviceCredential), tokens (TokenSource) and signatures (SignatureLogin).
// It is safe for concurrent use.
//
// It keeps the device credentials it looked up (see DeviceCredential);
// Close drops them and ends the goroutine that sweeps idle ones (which runs
// only while some are kept): call it when done.
type Provider struct {
	cfg   Config
	base  string
	http  *httpc.Client
	creds *iotauth.Pool // the device credentials: a Cache per client id (lookup.go)
}

// The documented forms of the ids a Config and the calls carry. Region ids
// are lower-case words joined by hyphens ("cn-hangzhou", "ap-southeast-1");
// instance ids are letters, digits and hyphens ("post-cn-0pp12gl****" in
// the console, with the stars standing for letters and digits); AccessKey
// ids are letters and digits, STS ones with "STS." in front. A client id is
// GroupID@@@DeviceID, at most 64 characters, the GroupID starting with GID_
// or GID-, both made of letters, digits, hyphens and underscores (Alibaba
// Cloud's CreateGroupId reference and ApsaraMQ for MQTT limits).
var (
	regionIDForm    = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+){1,4}$`)
	instanceIDForm  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$`)
	accessKeyIDForm = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	clientIDForm    = regexp.MustCompile(`^GID[_-][A-Za-z0-9_-]{3,}@@@[A-Za-z0-9_-]+$`) // a Group ID has at least 7 characters
)

// maxClientID is the longest client id the platform accepts.
const maxClientID = 64

// New validates cfg and returns its Provider. Its error, an
// iotauth.ErrBadRequest, names the first missing or invalid field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: platform}
	err := httpc.First(
		f.Required("RegionID", cfg.RegionID != ""),
		f.Match("RegionID", cfg.RegionID, regionIDForm, `a region id such as "cn-hangzhou"`),
		f.Required("AccessKeyID", cfg.AccessKeyID != ""),
		f.Match("AccessKeyID", cfg.AccessKeyID, accessKeyIDForm, "an AccessKey id (letters, digits, dots)"),
		f.Required("AccessKeySecret", !cfg.AccessKeySecret.IsZero()),
		f.Required("InstanceID", cfg.InstanceID != ""),
		f.Match("InstanceID", cfg.InstanceID, instanceIDForm, `an instance id such as "post-cn-0pp12gl0000"`),
	)
	if err == nil && cfg.MQTTHost != "" {
		err = f.Hostname("MQTTHost", cfg.MQTTHost)
	}
	switch {
	case err != nil:
	case !validPort(cfg.MQTTPort):
		err = f.Err("MQTTPort", "must be -1 (none), 0 (default) or a port number")
	case !validPort(cfg.MQTTTLSPort):
		err = f.Err("MQTTTLSPort", "must be -1 (none), 0 (default) or a port number")
	case cfg.MQTTPort < 0 && cfg.MQTTTLSPort < 0:
		err = f.Err("MQTTTLSPort", "cannot be -1 when MQTTPort is -1 too")
	case cfg.MaxDeviceCredentials < 0:
		err = f.Err("MaxDeviceCredentials", "must be 0 (default) or more")
	}
	if err != nil {
		return nil, err
	}
	base, err := f.BaseURL("Endpoint", cfg.Endpoint, "https://onsmqtt."+cfg.RegionID+".aliyuncs.com", cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if cfg.MQTTHost == "" {
		cfg.MQTTHost = cfg.InstanceID + ".mqtt.aliyuncs.com"
	}
	if cfg.MaxDeviceCredentials == 0 {
		cfg.MaxDeviceCredentials = DefaultMaxDeviceCredentials
	}
	if cfg.DeviceCredentialIdleTimeout == 0 {
		cfg.DeviceCredentialIdleTimeout = DefaultDeviceCredentialIdleTimeout
	}
	p := &Provider{
		cfg:  cfg,
		base: base,
		http: httpc.New(platform, cfg.HTTPClient, string(cfg.AccessKeySecret), string(cfg.SecurityToken)),
	}
	p.creds = p.newCredentialPool()
	return p, nil
}

// Close drops the device credentials the Provider keeps and stops the
// goroutine that drops idle ones (see Config.DeviceCredentialIdleTimeout);
// DeviceCredential and the device-credential sources fail with
// iotauth.ErrClosed from then on. The other calls still work. It is safe
// to call more than once, and returns nil.
func (p *Provider) Close() error {
	p.creds.Close()
	return nil
}

// checkClientID refuses a client id the platform refuses, before it is
// sent, as an ErrBadRequest of the call op naming the rule it breaks
// (without quoting the id).
func checkClientID(op, id string) error {
	if why := clientIDRule(id); why != "" {
		return httpc.Refuse(platform, op, "client id "+why+" (ApsaraMQ for MQTT limits: GroupID@@@DeviceID, at most 64 characters)")
	}
	return nil
}

// clientIDRule is the rule id breaks, or "".
func clientIDRule(id string) string {
	group, device, found := strings.Cut(id, "@@@")
	switch {
	case id == "":
		return "is empty"
	case len(id) > maxClientID:
		return fmt.Sprintf("has %d characters, more than %d", len(id), maxClientID)
	case !found:
		return "has no @@@ between its Group ID and its Device ID"
	case device == "":
		return "has no Device ID after @@@"
	case !strings.HasPrefix(group, "GID_") && !strings.HasPrefix(group, "GID-"):
		return "has a Group ID that does not start with GID_ or GID-"
	case len(group) < minGroupID:
		return fmt.Sprintf("has a Group ID of fewer than %d characters", minGroupID)
	case !clientIDForm.MatchString(id):
		return "holds a character other than letters, digits, hyphens and underscores, or a second @@@"
	}
	return ""
}

// minGroupID is the shortest Group ID the platform accepts.
const minGroupID = 7

// validPort accepts a Config port: -1 (none), 0 (default) or a port number.
func validPort(p int) bool { return p >= -1 && p <= 65535 }
