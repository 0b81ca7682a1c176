package mxchip

import (
	"net"
	"net/url"
	"strconv"
	"testing"

	"github.com/iotauth/iotauth/internal/httpc"
)

// FuzzMQTTLogin: an MQTT client the parser accepts gives a login whose
// broker URL names exactly the host and port the platform answered, so a
// crafted mqtthost ("a@b", "a/b") cannot point the device elsewhere.
// Seeds: the document's create-MQTT-client answer.
func FuzzMQTTLogin(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := parseMQTTClient(c, fuzzResponse("CreateMQTTClient", body))
		if err != nil {
			return
		}
		l := m.MQTTLogin()
		if l.Username != m.LoginName || l.Password != m.Password || l.ClientID != m.ClientID {
			t.Fatal("the login does not carry the client's credentials")
		}
		u, err := url.Parse(l.BrokerURL())
		if err != nil {
			t.Fatalf("broker URL: %v", err)
		}
		port := l.TLSPort
		if port == 0 {
			port = l.Port
		}
		if u.User != nil || u.Path != "" || u.Host != net.JoinHostPort(m.Host, strconv.Itoa(port)) {
			t.Fatalf("broker URL %q does not name host %q", l.BrokerURL(), m.Host)
		}
	})
}
