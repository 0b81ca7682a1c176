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
// Dialer; not WebSockets) and an OnConnect handler. Change the other
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
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/mqttsession"
)

// ClientOptions returns paho options that connect with logins from src. It
// takes a first login, bounded by ctx, for the broker address and client id;
// ctx bounds nothing else.
func ClientOptions(ctx context.Context, src iotauth.MQTTSource) (*mqtt.ClientOptions, error) {
	if src == nil {
		return nil, errors.New("pahomqtt: nil MQTTSource")
	}
	s := mqttsession.New(src)
	first, err := s.Login(ctx)
	if err != nil {
		return nil, err
	}
	a := &adapter{s: s}
	return mqtt.NewClientOptions().
		AddBroker(first.BrokerURL()).
		SetClientID(first.ClientID).
		SetProtocolVersion(4).
		SetCredentialsProvider(a.credentials).
		SetCustomOpenConnectionFn(a.open).
		SetOnConnectHandler(a.onConnect).
		SetConnectRetry(false).
		SetAutoReconnect(true).
		SetConnectTimeout(10 * time.Second).
		SetMaxReconnectInterval(time.Minute), nil
}

// adapter ties one paho client to its Session. paho asks for credentials
// and then opens the connection, one attempt at a time.
type adapter struct {
	s *mqttsession.Session

	mu      sync.Mutex
	next    *attempt // the login of the attempt being made
	current *conn    // the last connection the broker accepted
}

// attempt is one connection attempt's login, or why there is none.
type attempt struct {
	login  iotauth.MQTTLogin
	issued time.Time
	err    error
}

// credentials asks the source for the login of the next attempt. Without
// one it returns nothing, and open fails the attempt before dialling.
func (a *adapter) credentials() (string, string) {
	l, err := a.s.LoginDetached()
	a.mu.Lock()
	a.next = &attempt{login: l, issued: time.Now(), err: err}
	a.mu.Unlock()
	if err != nil {
		return "", ""
	}
	return l.Username, string(l.Password)
}

// errNoLogin is returned for an attempt made without credentials.
var errNoLogin = errors.New("pahomqtt: no login for this connection attempt")

// open dials the broker for paho and watches the CONNACK of the login.
func (a *adapter) open(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	a.mu.Lock()
	at := a.next
	a.next = nil
	a.mu.Unlock()
	switch {
	case at == nil:
		return nil, errNoLogin
	case at.err != nil:
		return nil, at.err
	}
	nc, err := dial(uri, o)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc, a: a, login: at.login, issued: at.issued}, nil
}

// dial opens a TCP or TLS connection to the broker in uri.
func dial(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	switch uri.Scheme {
	case "tcp", "mqtt":
		return d.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps":
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.TLSConfig != nil {
			cfg = o.TLSConfig.Clone()
		}
		return tls.DialWithDialer(d, "tcp", uri.Host, cfg)
	}
	return nil, errors.New("pahomqtt: unsupported broker scheme " + uri.Scheme)
}

// onConnect starts the renewal of the connection just accepted.
func (a *adapter) onConnect(client mqtt.Client) {
	a.mu.Lock()
	c := a.current
	a.mu.Unlock()
	if c == nil {
		return
	}
	c.up(client)
}

// conn is a connection opened for paho. It reads the CONNACK as it goes by,
// to report a refused login, and ends the connection's renewal on Close.
type conn struct {
	net.Conn
	a      *adapter
	login  iotauth.MQTTLogin
	issued time.Time

	in      scanner     // the packets read so far
	dropped atomic.Bool // closed by Drop, for a reconnect

	mu     sync.Mutex
	acked  bool // the CONNACK was read
	closed bool
	live   *mqttsession.Live
}

// Read passes paho's reads through, scanning the packets on the way: the
// CONNACK's return code, and the broker's notices (which must be seen
// before the connection drops, not when paho gets to dispatch them).
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.scan(p[:n], c.packet)
	if err != nil && c.dropped.Load() {
		// paho ignores "use of closed network connection", taking it for
		// its own Close: report the drop as the loss it is.
		err = errDropped
	}
	return n, err
}

// packet handles a packet read: typ and the bytes kept of it.
func (c *conn) packet(typ byte, kept []byte) {
	switch typ {
	case typeConnack:
		if len(kept) == 2 {
			c.connack(kept[1])
		}
	case typePublish:
		if len(kept) > 2 {
			c.a.s.Notice(string(kept[2:]))
		}
	}
}

func (c *conn) connack(code byte) {
	c.mu.Lock()
	first := !c.acked
	c.acked = true
	c.mu.Unlock()
	switch {
	case !first:
	case code == 0:
		c.a.mu.Lock()
		c.a.current = c
		c.a.mu.Unlock()
	case mqttsession.Refusal(code):
		c.a.s.Refused(c.login)
	}
}

// up starts the renewal, unless the connection is already closed.
func (c *conn) up(client mqtt.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.live != nil {
		return
	}
	c.live = c.a.s.Up(pahoConn{client, c}, c.login, c.issued)
}

// Close closes the connection and ends its renewal.
func (c *conn) Close() error {
	c.mu.Lock()
	c.closed = true
	lv := c.live
	c.mu.Unlock()
	if lv != nil {
		lv.Stop()
	}
	return c.Conn.Close()
}

// pahoConn is a live connection as the renewal uses it.
type pahoConn struct {
	client mqtt.Client
	c      *conn
}

func (p pahoConn) Publish(ctx context.Context, topic string, payload []byte) error {
	t := p.client.Publish(topic, 1, false, payload)
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drop closes the network connection under paho, which then reconnects.
func (p pahoConn) Drop() {
	p.c.dropped.Store(true)
	_ = p.c.Conn.Close()
}

// errDropped is the read error of a connection dropped for a new login.
var errDropped = errors.New("pahomqtt: connection dropped to log in afresh")
