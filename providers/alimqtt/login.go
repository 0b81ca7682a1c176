package alimqtt

import (
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
)

// The token types of a token mode password, from "Client operations in
// token-based authentication" (ApsaraMQ for MQTT, help.aliyun.com
// document 54282): a token applied for with Actions "R" is sent as type R,
// "W" as W, and "R,W" as RW; each client holds at most one token per type.
const (
	PasswordTypeRead      = "R"
	PasswordTypeWrite     = "W"
	PasswordTypeReadWrite = "RW"
)

// MQTTLogin is the device-credential mode login: username
// DeviceCredential|{DeviceAccessKeyId}|{InstanceId}, password
// Base64(HMAC-SHA1(DeviceAccessKeySecret, ClientId)).
func (d *DeviceCredential) MQTTLogin() iotauth.MQTTLogin {
	b := d.broker
	if b.host == "" {
		b = defaultBroker(d.InstanceID)
	}
	return b.login(d.ClientID,
		"DeviceCredential|"+d.DeviceAccessKeyID+"|"+d.InstanceID,
		alisign.HMACSHA1(string(d.DeviceAccessKeySecret), d.ClientID))
}

// SignatureLogin is the signature mode login, for trusted servers that hold
// the AccessKey: username Signature|{AccessKeyId}|{InstanceId}, password
// Base64(HMAC-SHA1(AccessKeySecret, ClientId)).
func (c *Client) SignatureLogin(clientID string) iotauth.MQTTLogin {
	return c.broker().login(clientID,
		"Signature|"+c.cfg.AccessKeyID+"|"+c.cfg.InstanceID,
		alisign.HMACSHA1(string(c.cfg.AccessKeySecret), clientID))
}

// TokenLogin is the token mode login on the instance's broker (Config's
// MQTTHost and ports); see the package function TokenLogin.
func (c *Client) TokenLogin(clientID string, tokens ...*iotauth.Token) iotauth.MQTTLogin {
	password, expiry, _ := tokenPassword(tokens)
	l := c.broker().login(clientID, "Token|"+c.cfg.AccessKeyID+"|"+c.cfg.InstanceID, password)
	l.Expiry = expiry
	return l
}

// TokenLogin is the token mode login, for devices that get tokens from a
// server and never hold an AccessKey secret: username
// Token|{AccessKeyId}|{InstanceId}, password the type and content of each
// token joined by "|": "R|tok" for a token applied for with Actions "R",
// "W|tok" for "W", "RW|tok" for "R,W", and "R|t1|W|t2" for separate read
// and write tokens. A second token of a type already given, or one whose
// Scope is not an Actions value, is left out. Expiry is the earliest of the
// tokens'. The broker is {InstanceID}.mqtt.aliyuncs.com on the default
// ports.
func TokenLogin(accessKeyID, instanceID, clientID string, tokens ...*iotauth.Token) iotauth.MQTTLogin {
	password, expiry, _ := tokenPassword(tokens)
	l := defaultBroker(instanceID).login(clientID, "Token|"+accessKeyID+"|"+instanceID, password)
	l.Expiry = expiry
	return l
}

// PasswordType returns the password type of a token applied for with actions
// (as ApplyToken sets its Scope): R, W or RW.
func PasswordType(actions string) (string, error) {
	a, err := normalizeActions(actions)
	if err != nil {
		return "", err
	}
	if a == ActionReadWrite {
		return PasswordTypeReadWrite, nil
	}
	return a, nil
}

// tokenPassword builds a token mode password and the earliest expiry of the
// tokens in it. The error is a bad request naming the first token left out.
func tokenPassword(tokens []*iotauth.Token) (string, time.Time, error) {
	var (
		byType = map[string]string{}
		expiry time.Time
		bad    error
	)
	for _, t := range tokens {
		if t == nil || t.AccessToken == "" {
			bad = firstErr(bad, badRequest("mqtt login", "a token is missing"))
			continue
		}
		typ, err := PasswordType(t.Scope)
		if err != nil {
			bad = firstErr(bad, badRequest("mqtt login", `a token's Scope is not "R", "W" or "R,W"`))
			continue
		}
		if _, dup := byType[typ]; dup {
			bad = firstErr(bad, badRequest("mqtt login", "two tokens of type "+typ+"; a client holds one per type"))
			continue
		}
		byType[typ] = t.AccessToken
		if !t.Expiry.IsZero() && (expiry.IsZero() || t.Expiry.Before(expiry)) {
			expiry = t.Expiry
		}
	}
	var parts []string
	for _, typ := range []string{PasswordTypeRead, PasswordTypeWrite, PasswordTypeReadWrite} {
		if tok, ok := byType[typ]; ok {
			parts = append(parts, typ, tok)
		}
	}
	if len(parts) == 0 && bad == nil {
		bad = badRequest("mqtt login", "no token")
	}
	return strings.Join(parts, "|"), expiry, bad
}

// firstErr keeps the first error.
func firstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// broker is where MQTT logins connect: Config.MQTTHost and its ports.
type broker struct {
	host          string
	port, tlsPort int
}

// broker returns the configured broker; a port of -1 is "none" (0 in a login).
func (c *Client) broker() broker {
	return broker{host: c.cfg.MQTTHost, port: orDefault(c.cfg.MQTTPort, MQTTPort), tlsPort: orDefault(c.cfg.MQTTTLSPort, MQTTTLSPort)}
}

func defaultBroker(instanceID string) broker {
	return broker{host: instanceID + ".mqtt.aliyuncs.com", port: MQTTPort, tlsPort: MQTTTLSPort}
}

func orDefault(port, def int) int {
	switch {
	case port < 0:
		return 0
	case port == 0:
		return def
	}
	return port
}

// validPort accepts a Config port: -1 (none), 0 (default) or a port number.
func validPort(p int) bool { return p >= -1 && p <= 65535 }

func (b broker) login(clientID, username, password string) iotauth.MQTTLogin {
	return iotauth.MQTTLogin{Host: b.host, Port: b.port, TLSPort: b.tlsPort, ClientID: clientID,
		Username: username, Password: iotauth.Secret(password)}
}
