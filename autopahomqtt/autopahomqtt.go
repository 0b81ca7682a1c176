// Package autopahomqtt connects github.com/eclipse/paho.golang autopaho
// (MQTT 5) connection managers with an iotauth.MQTTSource: a fresh login on
// every connect and reconnect, refused logins reported to the source, and
// tokens renewed on the live connection before they expire (Alibaba Cloud
// MQTT's token mode).
//
//	cm, err := autopahomqtt.NewConnection(ctx, ali.TokenMQTTSource(clientID, tokens), autopaho.ClientConfig{
//		CleanStartOnInitialConnection: false, SessionExpiryInterval: 3600, // a persistent session: no message loss
//		ClientConfig: paho.ClientConfig{OnPublishReceived: handlers},
//	})
//	defer cm.Disconnect(context.Background())
//
// NewConnection fills in the server URL, the client id (unless set), the
// CONNECT's username and password, the function that opens the network
// connection (TCP or TLS with TlsCfg; not WebSockets), a reconnect backoff
// of 1 s doubling to a minute (unless set), and calls the
// ConnectPacketBuilder, OnConnectionUp and OnConnectError given after its
// own. Unlike autopaho.NewConnection, it waits for the first connection: a
// first login the broker refuses, or any first failure, is returned as an
// error and nothing keeps retrying; after a first successful connect,
// autopaho reconnects with backoff, each time with a fresh login. The
// background renewal of a connection ends when the connection closes, and
// everything ends with cm.Disconnect.
package autopahomqtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/mqttsession"
)

// NewConnection starts an autopaho connection manager that connects with
// logins from src, and waits for its first connection. ctx bounds the first
// login and that wait, not the connection.
func NewConnection(ctx context.Context, src iotauth.MQTTSource, cfg autopaho.ClientConfig) (*autopaho.ConnectionManager, error) {
	if src == nil {
		return nil, errors.New("autopahomqtt: nil MQTTSource")
	}
	s := mqttsession.New(src)
	first, err := s.Login(ctx)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(first.BrokerURL())
	if err != nil {
		return nil, fmt.Errorf("autopahomqtt: broker URL: %w", err)
	}
	cfg.ServerUrls = []*url.URL{u}
	if cfg.ClientID == "" {
		cfg.ClientID = first.ClientID
	}
	if cfg.ReconnectBackoff == nil {
		cfg.ReconnectBackoff = backoff
	}

	build := cfg.ConnectPacketBuilder
	cfg.ConnectPacketBuilder = func(cp *paho.Connect, u *url.URL) (*paho.Connect, error) {
		l, err := s.Prepare()
		if err != nil {
			return nil, err
		}
		cp.Username, cp.UsernameFlag = l.Username, true
		cp.Password, cp.PasswordFlag = []byte(l.Password), true
		if build != nil {
			return build(cp, u)
		}
		return cp, nil
	}
	cfg.AttemptConnection = func(ctx context.Context, c autopaho.ClientConfig, u *url.URL) (net.Conn, error) {
		var tlsOn bool
		switch u.Scheme {
		case "tcp", "mqtt":
		case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps":
			tlsOn = true
		default:
			return nil, errors.New("autopahomqtt: unsupported broker scheme " + u.Scheme)
		}
		ctx, cancel := context.WithTimeout(ctx, c.ConnectTimeout)
		defer cancel()
		addr := u.Host
		if u.String() == first.BrokerURL() {
			addr = "" // the broker of each attempt's login
		}
		return s.Open(ctx, (&net.Dialer{}).DialContext, addr, tlsOn, c.TlsCfg)
	}

	var once sync.Once
	firstDone := make(chan error, 1)
	up := cfg.OnConnectionUp
	cfg.OnConnectionUp = func(cm *autopaho.ConnectionManager, ack *paho.Connack) {
		once.Do(func() { firstDone <- nil })
		if c := s.Accepted(); c != nil {
			c.Up(func(ctx context.Context, topic string, payload []byte) error {
				return publish(ctx, cm, topic, payload)
			})
		}
		if up != nil {
			up(cm, ack)
		}
	}
	failed := cfg.OnConnectError
	cfg.OnConnectError = func(err error) {
		once.Do(func() { firstDone <- err })
		if failed != nil {
			failed(err)
		}
	}

	run, stop := context.WithCancel(context.Background())
	cm, err := autopaho.NewConnection(run, cfg)
	if err != nil {
		stop()
		return nil, err
	}
	select {
	case err = <-firstDone:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		stop()
		<-cm.Done()
		return nil, err
	}
	go func() {
		<-cm.Done()
		stop()
	}()
	return cm, nil
}

// publish sends payload at QoS 1 and waits for a successful PUBACK.
func publish(ctx context.Context, cm *autopaho.ConnectionManager, topic string, payload []byte) error {
	res, err := cm.Publish(ctx, &paho.Publish{QoS: 1, Topic: topic, Payload: payload})
	if err != nil {
		return err
	}
	if res != nil && res.ReasonCode >= 0x80 {
		return fmt.Errorf("autopahomqtt: %s refused: reason code %#x", topic, res.ReasonCode)
	}
	return nil
}

// backoff is the delay before connection attempt n of a reconnect: none for
// the first, then 1 s doubling up to a minute.
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return min(time.Second<<min(n-1, 6), time.Minute)
}
