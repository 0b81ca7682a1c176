package mqttsession

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iotauth/iotauth"
)

// An MQTT library asks for a connection's credentials and then opens it,
// one attempt at a time. Prepare takes the login of the next attempt; Open
// dials it and watches the connection.

// attempt is one connection attempt's login, or why there is none.
type attempt struct {
	login iotauth.MQTTLogin
	err   error
}

// ErrNoLogin fails an attempt that was opened without credentials.
var ErrNoLogin = errors.New("iotauth: no MQTT login for this connection attempt")

// Prepare takes a fresh login for the next connection attempt (bounded by a
// timeout: reconnects have no context of their own). Without one, the
// error is returned, and Open fails the attempt before dialling.
func (s *Session) Prepare() (iotauth.MQTTLogin, error) {
	l, err := s.LoginDetached()
	s.mu.Lock()
	s.next = &attempt{login: l, err: err}
	s.mu.Unlock()
	return l, err
}

// Dialer opens a network connection to a broker at host:port.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Open dials addr (over TLS with cfg when tlsOn) for the attempt that
// Prepare made ready, and returns the connection, watched: its CONNACK
// reports a refused login to the source, the broker's notices reach the
// renewal, and closing it ends the renewal. An empty addr is the broker of
// the attempt's login (its TLS port when it has one), so that a login that
// moved to another broker (a new MXCHIP client) is followed.
func (s *Session) Open(ctx context.Context, dial Dialer, addr string, tlsOn bool, cfg *tls.Config) (net.Conn, error) {
	s.mu.Lock()
	at := s.next
	s.next = nil
	s.mu.Unlock()
	switch {
	case at == nil:
		return nil, ErrNoLogin
	case at.err != nil:
		return nil, at.err
	}
	if addr == "" {
		l := at.login
		port := l.Port
		if tlsOn = l.TLSPort != 0; tlsOn {
			port = l.TLSPort
		}
		addr = net.JoinHostPort(l.Host, strconv.Itoa(port))
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsOn {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			cfg = cfg.Clone()
		}
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, err
		}
		nc = tc
	}
	w := &Watched{raw: nc, s: s, login: at.login}
	if tcp, ok := nc.(*net.TCPConn); ok {
		// Embedding the *net.TCPConn keeps its vectored write: a library
		// that writes a packet as several buffers at once (paho.golang)
		// gets it onto the wire in one piece, not interleaved with another
		// goroutine's packet.
		return watchedTCP{tcp, w}, nil
	}
	return watchedConn{nc, w}, nil
}

// Watched is a connection to the broker opened for an MQTT library.
type Watched struct {
	raw   net.Conn
	s     *Session
	login iotauth.MQTTLogin

	in      scanner     // the packets read so far; one reader at a time
	dropped atomic.Bool // closed by Drop, for a reconnect

	mu     sync.Mutex
	acked  bool // the CONNACK was read
	closed bool
	live   *Live
}

// watchedConn and watchedTCP are a Watched connection as the library uses
// it: reads are scanned, Close ends the renewal.
type watchedConn struct {
	net.Conn
	w *Watched
}

func (c watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return c.w.read(p, n, err)
}
func (c watchedConn) Close() error { return c.w.close() }

type watchedTCP struct {
	*net.TCPConn
	w *Watched
}

func (c watchedTCP) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	return c.w.read(p, n, err)
}
func (c watchedTCP) Close() error { return c.w.close() }

// ErrDropped is the read error of a connection dropped so that the client
// logs in afresh.
var ErrDropped = errors.New("iotauth: MQTT connection dropped to log in afresh")

// read scans what a Read returned: the CONNACK's code, and the broker's
// notices (which must be seen before the connection drops, not when the
// library gets to dispatch them).
func (w *Watched) read(p []byte, n int, err error) (int, error) {
	w.in.scan(p[:n], w.packet)
	if err != nil && w.dropped.Load() {
		// Libraries ignore "use of closed network connection", taking it
		// for their own Close: report the drop as the loss it is.
		err = ErrDropped
	}
	return n, err
}

// packet handles a packet read: its type and the bytes kept of it.
func (w *Watched) packet(typ byte, kept []byte) {
	switch typ {
	case typeConnack:
		if len(kept) == 2 {
			w.connack(kept[1])
		}
	case typePublish:
		if len(kept) > 2 {
			w.notice(string(kept[2:]))
		}
	}
}

// notice hands a broker's notice to this connection's renewal. One that
// arrives before the renewal starts still refuses an invalid login.
func (w *Watched) notice(topic string) {
	w.mu.Lock()
	lv := w.live
	w.mu.Unlock()
	switch {
	case lv != nil:
		w.s.notice(lv, topic)
	case w.s.kind(topic) == noticeInvalid:
		w.s.Refused(w.login)
	}
}

func (w *Watched) connack(code byte) {
	w.mu.Lock()
	first := !w.acked
	w.acked = true
	w.mu.Unlock()
	switch {
	case !first:
	case code == 0:
		w.s.mu.Lock()
		w.s.current = w
		w.s.mu.Unlock()
	case Refusal(code):
		w.s.Refused(w.login)
	}
}

// Accepted returns the last connection the broker accepted, if any; the
// library's on-connect callback starts its renewal with Up.
func (s *Session) Accepted() *Watched {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Up starts the renewal of the connection, which publishes through pub,
// unless the connection is closed already or its renewal runs.
func (w *Watched) Up(pub func(ctx context.Context, topic string, payload []byte) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.live != nil {
		return
	}
	w.live = w.s.Up(netLive{w, pub}, w.login)
}

// close closes the connection and ends its renewal.
func (w *Watched) close() error {
	w.mu.Lock()
	w.closed = true
	lv := w.live
	w.mu.Unlock()
	if lv != nil {
		lv.Stop()
	}
	return w.raw.Close()
}

// Drop closes the network connection under the library, which then
// reconnects.
func (w *Watched) Drop() {
	w.dropped.Store(true)
	_ = w.raw.Close()
}

// netLive is a Watched connection as its renewal uses it.
type netLive struct {
	w   *Watched
	pub func(ctx context.Context, topic string, payload []byte) error
}

func (n netLive) Publish(ctx context.Context, topic string, payload []byte) error {
	return n.pub(ctx, topic, payload)
}

func (n netLive) Drop() { n.w.Drop() }
