package iotauth

import (
	"context"
	"net"
	"strconv"
	"time"
)

// MQTTLogin is what an MQTT client needs for one CONNECT to a platform's
// broker: Alibaba Cloud MQTT's three authentication modes and MXCHIP MQTT
// clients all derive one. Password is a Secret, so a login can be logged.
type MQTTLogin struct {
	Host     string
	Port     int // plain TCP port, 0 if the broker has none
	TLSPort  int // TLS port, 0 if the broker has none
	ClientID string
	Username string
	Password Secret
	// Expiry is the earliest expiry of the tokens in the login; zero when
	// nothing in it expires. A broker drops a connection whose tokens
	// expire unless they are renewed on it (see MQTTRenewal).
	Expiry time.Time
}

// BrokerURL returns the broker address for an MQTT client, such as
// "ssl://host:8883", preferring TLS when the broker offers it.
func (l MQTTLogin) BrokerURL() string {
	if l.TLSPort != 0 {
		return "ssl://" + net.JoinHostPort(l.Host, strconv.Itoa(l.TLSPort))
	}
	return "tcp://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// sameCredentials reports whether a and b present the same username and
// password for the same client id.
func (l MQTTLogin) sameCredentials(o MQTTLogin) bool {
	return l.ClientID == o.ClientID && l.Username == o.Username && l.Password == o.Password
}

// MQTTSource gives an MQTT client the login for its next CONNECT. An MQTT
// client asks for a login on every connect and reconnect, so that a
// reconnect an hour later does not present an expired token.
type MQTTSource interface {
	// MQTTLogin returns the login for the next CONNECT. ctx bounds the
	// platform calls it may make.
	MQTTLogin(ctx context.Context) (MQTTLogin, error)
	// Refused tells the source that the broker refused l (CONNACK "bad user
	// name or password" or "not authorized"); the source never offers l
	// again. A network failure is not a refusal.
	Refused(l MQTTLogin)
}

// MQTTRenewer is implemented by MQTT sources whose broker takes new tokens
// on a live connection (Alibaba Cloud MQTT's token mode), so that a token
// is renewed without a disconnect. The MQTT adapters (pahomqtt,
// autopahomqtt) follow it; the protocol is the source's, the schedule the
// Caches' behind it (Cache.RefreshAt).
type MQTTRenewer interface {
	MQTTRenewal() MQTTRenewal
}

// MQTTRenewal is how a broker takes new tokens on a live connection.
type MQTTRenewal struct {
	// Upload returns the messages that hand the tokens of l to the broker:
	// each is published at QoS 1 and must be acknowledged before the next.
	Upload func(l MQTTLogin) []MQTTMessage
	// ExpiringTopic is where the broker warns, unasked, that a token is
	// about to expire: the client renews at once.
	ExpiringTopic string
	// InvalidTopic is where the broker says, unasked, that a token is no
	// longer valid, before it drops the connection: the login is refused
	// and the client reconnects with a new one.
	InvalidTopic string
	// RenewAt says when to ask the source for a login with newer tokens
	// than l, the one the connection holds: a time not after now means at
	// once; a later time, ask RenewAt again then; the zero time, when a
	// channel of changed is closed. A source over Caches answers from
	// their Cache.RefreshAt. Nil: the tokens are renewed on the broker's
	// expiry notice only, and the connection is dropped when they expire.
	RenewAt func(l MQTTLogin) (at time.Time, changed []<-chan struct{})
}

// MQTTMessage is a message an MQTT client publishes for iotauth. The
// payload carries a token, so it is a Secret.
type MQTTMessage struct {
	Topic   string
	Payload Secret
}
