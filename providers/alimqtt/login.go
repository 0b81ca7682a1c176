package alimqtt

import (
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
)

// MQTTLogin is the device-credential mode login: username
// DeviceCredential|{DeviceAccessKeyId}|{InstanceId}, password
// Base64(HMAC-SHA1(DeviceAccessKeySecret, ClientId)).
func (d *DeviceCredential) MQTTLogin() iotauth.MQTTLogin {
	return login(d.host, d.InstanceID, d.ClientID,
		"DeviceCredential|"+d.DeviceAccessKeyID+"|"+d.InstanceID,
		alisign.HMACSHA1(string(d.DeviceAccessKeySecret), d.ClientID))
}

// SignatureLogin is the signature mode login, for trusted servers that hold
// the AccessKey: username Signature|{AccessKeyId}|{InstanceId}, password
// Base64(HMAC-SHA1(AccessKeySecret, ClientId)).
func (c *Client) SignatureLogin(clientID string) iotauth.MQTTLogin {
	return login(c.cfg.MQTTHost, c.cfg.InstanceID, clientID,
		"Signature|"+c.cfg.AccessKeyID+"|"+c.cfg.InstanceID,
		alisign.HMACSHA1(string(c.cfg.AccessKeySecret), clientID))
}

// TokenLogin is the token mode login on the instance's broker; see the
// package function TokenLogin.
func (c *Client) TokenLogin(clientID string, tokens ...*iotauth.Token) iotauth.MQTTLogin {
	l := TokenLogin(c.cfg.AccessKeyID, c.cfg.InstanceID, clientID, tokens...)
	l.Host = c.cfg.MQTTHost
	return l
}

// TokenLogin is the token mode login, for devices that get tokens from a
// server and never hold an AccessKey secret: username
// Token|{AccessKeyId}|{InstanceId}, password "R|tok", "W|tok" or
// "R|t1|W|t2", each token given for the actions in its Scope (as
// ApplyToken sets it). The host is {InstanceID}.mqtt.aliyuncs.com.
func TokenLogin(accessKeyID, instanceID, clientID string, tokens ...*iotauth.Token) iotauth.MQTTLogin {
	var parts []string
	for _, action := range []string{ActionRead, ActionWrite} {
		for _, t := range tokens {
			if t != nil && strings.Contains(t.Scope, action) {
				parts = append(parts, action, t.AccessToken)
				break
			}
		}
	}
	return login(instanceID+".mqtt.aliyuncs.com", instanceID, clientID,
		"Token|"+accessKeyID+"|"+instanceID, strings.Join(parts, "|"))
}

func login(host, instanceID, clientID, username, password string) iotauth.MQTTLogin {
	if host == "" {
		host = instanceID + ".mqtt.aliyuncs.com"
	}
	return iotauth.MQTTLogin{Host: host, Port: MQTTPort, TLSPort: MQTTTLSPort, ClientID: clientID,
		Username: username, Password: iotauth.Secret(password)}
}
