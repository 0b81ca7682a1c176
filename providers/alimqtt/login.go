package alimqtt

import (
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/httpc"
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

// SignatureLogin is the signature mode login on the instance's broker
// (Config's MQTTHost and ports), for trusted servers that hold the
// AccessKey; see the package function SignatureLogin. A client id the
// broker refuses is an iotauth.ErrBadRequest naming the rule.
func (p *Provider) SignatureLogin(clientID string) (iotauth.MQTTLogin, error) {
	if err := checkClientID(opLogin, clientID); err != nil {
		return iotauth.MQTTLogin{}, err
	}
	return p.signatureLogin(clientID), nil
}

// signatureLogin is SignatureLogin of a client id already checked.
func (p *Provider) signatureLogin(clientID string) iotauth.MQTTLogin {
	return signatureLogin(p.broker(), p.cfg.AccessKeyID, p.cfg.AccessKeySecret, p.cfg.InstanceID, clientID)
}

// SignatureLogin is the signature mode login: username
// Signature|{AccessKeyId}|{InstanceId}, password
// Base64(HMAC-SHA1(AccessKeySecret, ClientId)), on the broker
// {InstanceID}.mqtt.aliyuncs.com at the default ports. An id the broker
// refuses (a client id that is not GroupID@@@DeviceID of at most 64
// characters, an AccessKey or instance id outside its documented form) or
// an empty secret is an iotauth.ErrBadRequest naming the rule.
func SignatureLogin(accessKeyID string, accessKeySecret iotauth.Secret, instanceID, clientID string) (iotauth.MQTTLogin, error) {
	err := checkAccount(accessKeyID, instanceID)
	if err == nil && accessKeySecret.IsZero() {
		err = httpc.Refuse(platform, opLogin, "no AccessKey secret")
	}
	if err == nil {
		err = checkClientID(opLogin, clientID)
	}
	if err != nil {
		return iotauth.MQTTLogin{}, err
	}
	return signatureLogin(defaultBroker(instanceID), accessKeyID, accessKeySecret, instanceID, clientID), nil
}

func signatureLogin(b broker, accessKeyID string, secret iotauth.Secret, instanceID, clientID string) iotauth.MQTTLogin {
	return b.login(clientID, "Signature|"+accessKeyID+"|"+instanceID, alisign.HMACSHA1(string(secret), clientID))
}

// TokenLogin is the token mode login on the instance's broker (Config's
// MQTTHost and ports); see the package function TokenLogin, whose rules it
// follows.
func (p *Provider) TokenLogin(clientID string, tokens ...*iotauth.Token) (iotauth.MQTTLogin, error) {
	if err := checkClientID(opLogin, clientID); err != nil {
		return iotauth.MQTTLogin{}, err
	}
	return tokenLogin(p.broker(), p.cfg.AccessKeyID, p.cfg.InstanceID, clientID, tokens)
}

// TokenLogin is the token mode login, for devices that get tokens from a
// server and never hold an AccessKey secret: username
// Token|{AccessKeyId}|{InstanceId}, password the type and content of each
// token joined by "|": "R|tok" for a token applied for with Actions "R",
// "W|tok" for "W", "RW|tok" for "R,W", and "R|t1|W|t2" for separate read
// and write tokens. Expiry is the earliest of the tokens'. The broker is
// {InstanceID}.mqtt.aliyuncs.com on the default ports.
//
// What the broker would refuse is an iotauth.ErrBadRequest naming the rule,
// and no login: a client id that is not GroupID@@@DeviceID of at most 64
// characters, an AccessKey or instance id outside its documented form, no
// token, a nil token or one without an access token, a token whose Scope is
// not an Actions value, and two tokens of one type (a client holds one per
// type).
func TokenLogin(accessKeyID, instanceID, clientID string, tokens ...*iotauth.Token) (iotauth.MQTTLogin, error) {
	err := checkAccount(accessKeyID, instanceID)
	if err == nil {
		err = checkClientID(opLogin, clientID)
	}
	if err != nil {
		return iotauth.MQTTLogin{}, err
	}
	return tokenLogin(defaultBroker(instanceID), accessKeyID, instanceID, clientID, tokens)
}

func tokenLogin(b broker, accessKeyID, instanceID, clientID string, tokens []*iotauth.Token) (iotauth.MQTTLogin, error) {
	password, expiry, err := tokenPassword(tokens)
	if err != nil {
		return iotauth.MQTTLogin{}, err
	}
	l := b.login(clientID, "Token|"+accessKeyID+"|"+instanceID, password)
	l.Expiry = expiry
	return l, nil
}

// opLogin is the Op of the errors of the login builders.
const opLogin = "mqtt login"

// checkAccount refuses an AccessKey or instance id outside its documented
// form (see New), which would put another account's name in a user name.
func checkAccount(accessKeyID, instanceID string) error {
	f := httpc.Fields{Platform: platform}
	return httpc.First(
		f.Match("AccessKeyID", accessKeyID, accessKeyIDForm, "an AccessKey id (letters, digits, dots)"),
		f.Match("InstanceID", instanceID, instanceIDForm, `an instance id such as "post-cn-0pp12gl0000"`),
	)
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
// tokens in it. The error is a bad request naming the rule the first
// refused token breaks.
func tokenPassword(tokens []*iotauth.Token) (string, time.Time, error) {
	if len(tokens) == 0 {
		return "", time.Time{}, httpc.Refuse(platform, opLogin, "no token")
	}
	var (
		byType = map[string]string{}
		expiry time.Time
	)
	for _, t := range tokens {
		if t == nil || t.AccessToken == "" {
			return "", time.Time{}, httpc.Refuse(platform, opLogin, "a token is nil or has no access token")
		}
		typ, err := PasswordType(t.Scope)
		if err != nil {
			return "", time.Time{}, httpc.Refuse(platform, opLogin, `a token's Scope is not "R", "W" or "R,W"`)
		}
		if _, dup := byType[typ]; dup {
			return "", time.Time{}, httpc.Refuse(platform, opLogin, "two tokens of type "+typ+"; a client holds one per type")
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
	return strings.Join(parts, "|"), expiry, nil
}

// broker is where MQTT logins connect: Config.MQTTHost and its ports.
type broker struct {
	host          string
	port, tlsPort int
}

// broker returns the configured broker; a port of -1 is "none" (0 in a login).
func (p *Provider) broker() broker {
	return broker{host: p.cfg.MQTTHost, port: orDefault(p.cfg.MQTTPort, MQTTPort), tlsPort: orDefault(p.cfg.MQTTTLSPort, MQTTTLSPort)}
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

func (b broker) login(clientID, username, password string) iotauth.MQTTLogin {
	return iotauth.MQTTLogin{Host: b.host, Port: b.port, TLSPort: b.tlsPort, ClientID: clientID,
		Username: username, Password: iotauth.Secret(password)}
}
