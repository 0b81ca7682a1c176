package iotauth

import (
	"net"
	"strconv"
)

// MQTTLogin is what an MQTT client needs to connect to a platform's broker:
// Alibaba Cloud MQTT device credentials and MXCHIP MQTT clients both derive
// one. Password is a Secret, so a login can be logged.
type MQTTLogin struct {
	Host     string
	Port     int // plain TCP port, 0 if the broker has none
	TLSPort  int // TLS port, 0 if the broker has none
	ClientID string
	Username string
	Password Secret
}

// BrokerURL returns the broker address for an MQTT client, such as
// "ssl://host:8883", preferring TLS when the broker offers it.
func (l MQTTLogin) BrokerURL() string {
	if l.TLSPort != 0 {
		return "ssl://" + net.JoinHostPort(l.Host, strconv.Itoa(l.TLSPort))
	}
	return "tcp://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}
