package iotauthtest

import (
	"strings"
	"time"
)

// What an MQTT broker emulator (iotauthtest/mqttbroker) needs from the
// platform emulators: the tokens, credentials and MQTT clients they issued,
// and the emulated clock.

// AlibabaToken is what the Alibaba emulator knows of a token it issued.
type AlibabaToken struct {
	Type      string // the password type: R, W or RW
	Resources []string
	Expire    time.Time // on the emulator clock
	Revoked   bool
}

// Token returns what the emulator knows of tok.
func (e *Alibaba) Token(tok string) (AlibabaToken, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[tok]
	if !ok {
		return AlibabaToken{}, false
	}
	return AlibabaToken{Type: alibabaTokenType(t.actions), Resources: append([]string(nil), t.resources...),
		Expire: t.expire, Revoked: t.revoked}, true
}

// Now returns the emulator clock's time.
func (e *Alibaba) Now() time.Time { return e.cfg.clock.Now() }

// ExpireToken makes tok expire now, on the emulator clock.
func (e *Alibaba) ExpireToken(tok string) bool {
	return e.updateToken(tok, func(t *alibabaToken) { t.expire = e.cfg.clock.Now() })
}

// Revoke revokes tok, as RevokeToken does.
func (e *Alibaba) Revoke(tok string) bool {
	return e.updateToken(tok, func(t *alibabaToken) { t.revoked = true })
}

func (e *Alibaba) updateToken(tok string, f func(*alibabaToken)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[tok]
	if ok {
		f(&t)
		e.tokens[tok] = t
	}
	return ok
}

// AcceptsMQTTLogin reports whether the MQTT broker would accept a CONNECT
// with this client id, username and password: those of an MQTT client the
// emulator created.
func (e *MXCHIP) AcceptsMQTTLogin(clientID, username, password string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[clientID]
	return ok && c.LoginName == username && c.Password == password
}

// SetMQTTBroker makes the MQTT clients created from now on connect to host
// on these ports (a broker emulator) instead of the platform's broker.
func (e *MXCHIP) SetMQTTBroker(host string, port, sslPort int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.broker = mxchipBroker{host, port, sslPort}
}

type mxchipBroker struct {
	host          string
	port, sslPort int
}

// apply points c at the broker, when one is set.
func (b mxchipBroker) apply(c *MXCHIPClient) {
	if b.host != "" {
		c.MQTTHost, c.MQTTPort, c.SSLPort = b.host, b.port, b.sslPort
	}
}

// IsAlibabaUsername reports whether username is an Alibaba Cloud MQTT login
// (Signature|…, DeviceCredential|… or Token|…).
func IsAlibabaUsername(username string) bool {
	mode, _, _ := strings.Cut(username, "|")
	return mode == "Signature" || mode == "DeviceCredential" || mode == "Token"
}
