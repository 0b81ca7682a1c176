// Package pahomqtt connects github.com/eclipse/paho.mqtt.golang clients
// with an iotauth.MQTTSource: a fresh login on every connect and reconnect,
// refused logins reported to the source, and tokens renewed on the live
// connection before they expire (Alibaba Cloud MQTT's token mode).
//
//	opts, err := pahomqtt.ClientOptions(ctx, ali.TokenMQTTSource(clientID, tokens))
//	client := mqtt.NewClient(opts.SetCleanSession(false)) // a persistent session: no message loss across reconnects
//	if t := client.Connect(); t.Wait() && t.Error() != nil { ... }
//
// ClientOptions sets the broker, the client id, MQTT 3.1.1 (never a 3.1
// retry after a refusal), a credentials provider, the function that opens
// the network connection (TCP or TLS, with the options' TLSConfig and
// Dialer; not WebSockets; while the broker is the one set, each connection
// goes to the broker of its own login) and an OnConnect handler. Change the other
// options freely; to add an OnConnect handler of your own, call the one set
// from it:
//
//	prev := opts.OnConnect
//	opts.SetOnConnectHandler(func(c mqtt.Client) { prev(c); subscribe(c) })
//
// A first Connect whose login the broker refuses fails within the connect
// timeout and is not retried; after a first successful connect, paho
// reconnects with backoff, each time with a fresh login. A refused login is
// reported to the source, which never offers it again (a signature-mode
// source then fails for its hold-off, so that no CONNECT is made at all).
// The background renewal of a connection ends when the connection closes,
// by Disconnect or loss.
package pahomqtt

import (
	"context"
	"errors"
	"net"
	"net/url"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/mqttsession"
)

// ClientOptions returns paho options that connect with logins from src. It
// takes a first login, bounded by ctx, for the broker address and client id;
// ctx bounds nothing else. The options serve one client: call ClientOptions
// again for another.
func ClientOptions(ctx context.Context, src iotauth.MQTTSource) (*mqtt.ClientOptions, error) {
	if src == nil {
		return nil, errors.New("pahomqtt: nil MQTTSource")
	}
	s := mqttsession.New(src)
	first, err := s.Login(ctx)
	if err != nil {
		return nil, err
	}
	return mqtt.NewClientOptions().
		AddBroker(first.BrokerURL()).
		SetClientID(first.ClientID).
		SetProtocolVersion(4).
		SetCredentialsProvider(func() (string, string) {
			l, err := s.Prepare()
			if err != nil {
				return "", ""
			}
			return l.Username, string(l.Password)
		}).
		SetCustomOpenConnectionFn(func(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
			return open(s, uri, uri.String() == first.BrokerURL(), o)
		}).
		SetOnConnectHandler(func(client mqtt.Client) {
			if c := s.Accepted(); c != nil {
				c.Up(func(ctx context.Context, topic string, payload []byte) error {
					return wait(ctx, client.Publish(topic, 1, false, payload))
				})
			}
		}).
		SetConnectRetry(false).
		SetAutoReconnect(true).
		SetConnectTimeout(10 * time.Second).
		SetMaxReconnectInterval(time.Minute), nil
}

// open dials the broker in uri for paho, over TCP or TLS; or, when uri is
// the broker ClientOptions set (follow), that of the attempt's login.
func open(s *mqttsession.Session, uri *url.URL, follow bool, o mqtt.ClientOptions) (net.Conn, error) {
	var tlsOn bool
	switch uri.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps":
		tlsOn = true
	default:
		return nil, errors.New("pahomqtt: unsupported broker scheme " + uri.Scheme)
	}
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	timeout := o.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	addr := uri.Host
	if follow {
		addr = ""
	}
	return s.Open(ctx, d.DialContext, addr, tlsOn, o.TLSConfig)
}

// wait waits for a paho token or ctx.
func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
