// Package mqttbroker is an MQTT broker emulator for the platforms of
// iotauthtest, on loopback, built on github.com/mochi-mqtt/server/v2. It
// enforces what the real brokers enforce:
//
//   - Alibaba Cloud MQTT's Signature, DeviceCredential and Token modes,
//     checked against the credentials and tokens the Alibaba emulator issued;
//     in Token mode, topics are limited to the tokens' resources and types,
//     a token that expires or is revoked gets a $SYS/tokenInvalidNotice and
//     the connection is dropped, a $SYS/tokenExpireNotice is sent once
//     before a token expires, and $SYS/uploadToken replaces a token on a
//     live connection;
//   - MXCHIP logins of the MQTT clients the MXCHIP emulator created (it
//     points them at this broker);
//   - Huawei IoTDA device logins (client id {device_id}_0_{0|1}_{YYYYMMDDHH})
//     of the devices the IoTDA emulator knows: the password keyed by the
//     timestamp, and, for type 1, the timestamp within
//     iotauthtest.IoTDAMQTTTolerance of the emulator clock's hour.
//
// Tests can kick a client, expire or revoke a token, and count the CONNECTs,
// refusals and token uploads of each client.
package mqttbroker

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/iotauth/iotauth/iotauthtest"
)

// The token mode system topics; see the alimqtt package for their source.
const (
	topicUploadToken   = "$SYS/uploadToken"
	topicExpireNotice  = "$SYS/tokenExpireNotice"
	topicInvalidNotice = "$SYS/tokenInvalidNotice"

	// uploadTopic is what an accepted upload is renamed to, so that mochi,
	// which drops client publishes to $SYS silently, acknowledges it. It is
	// never forwarded.
	uploadTopic = "iotauth-broker-emulator/uploadToken"
)

// The $SYS/tokenInvalidNotice codes the emulator sends.
const (
	codeForged  = 1
	codeExpired = 2
	codeRevoked = 3
)

// Broker is a running broker emulator. Point an MQTT login at Host and Port
// (plain) or TLSPort (TLS, with a certificate that ClientTLS trusts).
type Broker struct {
	Host    string // 127.0.0.1
	Port    int
	TLSPort int

	emu  *iotauthtest.Server
	srv  *mqtt.Server
	cfg  config
	pool *x509.CertPool

	mu       sync.Mutex
	sessions map[string]*session // connected clients, by client id
	pending  map[*mqtt.Client]map[string]string
	counts   map[string]*Counts

	stop chan struct{}
	done chan struct{}
}

// Counts is what one client id did.
type Counts struct {
	Connects int // CONNECT packets received
	Refused  int // CONNECTs refused for their username or password
	Uploads  int // tokens accepted on $SYS/uploadToken

	LastUpload time.Time // when the latest upload was accepted; zero before the first
}

// session is a connected client. tokens holds its Alibaba tokens by type
// (Token mode only), noticed the types already warned of expiry.
type session struct {
	cl      *mqtt.Client
	tokens  map[string]string
	noticed map[string]bool
}

type config struct {
	notice time.Duration
	tick   time.Duration
	logger *slog.Logger
}

// Option configures Start.
type Option func(*config)

// WithExpireNotice sets how long before a token expires the broker sends
// $SYS/tokenExpireNotice; default 5 minutes, as the platform documents.
func WithExpireNotice(d time.Duration) Option { return func(c *config) { c.notice = d } }

// WithCheckInterval sets how often the broker checks the tokens of
// connected clients for expiry and revocation; default 50 ms.
func WithCheckInterval(d time.Duration) Option { return func(c *config) { c.tick = d } }

// WithLogger makes the broker log to l (mochi's own records); default
// nowhere.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Start serves a broker on loopback ports for the platforms emulated by emu,
// and points emu's MXCHIP MQTT clients at it. Close it when done.
func Start(emu *iotauthtest.Server, opts ...Option) (*Broker, error) {
	cfg := config{notice: 5 * time.Minute, tick: 50 * time.Millisecond, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	b := &Broker{
		Host: "127.0.0.1", emu: emu, cfg: cfg, pool: pool,
		sessions: map[string]*session{}, pending: map[*mqtt.Client]map[string]string{}, counts: map[string]*Counts{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	b.srv = mqtt.New(&mqtt.Options{
		Logger:                 cfg.logger,
		SysTopicResendInterval: 3600,
	})
	if err := b.srv.AddHook(&hook{b: b}, nil); err != nil {
		return nil, err
	}
	plain := listeners.NewTCP(listeners.Config{ID: "tcp", Address: "127.0.0.1:0"})
	secure := listeners.NewTCP(listeners.Config{ID: "tls", Address: "127.0.0.1:0",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	for _, l := range []*listeners.TCP{plain, secure} {
		if err := b.srv.AddListener(l); err != nil {
			_ = b.srv.Close()
			return nil, err
		}
	}
	b.Port, b.TLSPort = port(plain.Address()), port(secure.Address())
	if err := b.srv.Serve(); err != nil {
		_ = b.srv.Close()
		return nil, err
	}
	emu.MXCHIP.SetMQTTBroker(b.Host, b.Port, b.TLSPort)
	go b.watch()
	return b, nil
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Addr is the plain listener's address, host:port.
func (b *Broker) Addr() string { return net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) }

// ClientTLS returns a TLS configuration that trusts the broker's
// certificate.
func (b *Broker) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: b.pool, MinVersion: tls.VersionTLS12}
}

// Close stops the broker and drops its clients.
func (b *Broker) Close() error {
	select {
	case <-b.stop:
		return nil
	default:
	}
	close(b.stop)
	<-b.done
	return b.srv.Close()
}

// Counts returns what clientID did so far.
func (b *Broker) Counts(clientID string) Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.counts[clientID]; ok {
		return *c
	}
	return Counts{}
}

// Connects is the number of CONNECTs received from clientID.
func (b *Broker) Connects(clientID string) int { return b.Counts(clientID).Connects }

// Connected reports whether clientID has a live connection.
func (b *Broker) Connected(clientID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.sessions[clientID]
	return ok
}

// Kick drops the connection of clientID, as a broker restart or a network
// failure would; it reports whether the client was connected.
func (b *Broker) Kick(clientID string) bool {
	b.mu.Lock()
	s, ok := b.sessions[clientID]
	b.mu.Unlock()
	if ok {
		drop(s.cl, packets.ErrAdministrativeAction)
	}
	return ok
}

// Tokens returns the Alibaba tokens of clientID's connection, by type.
func (b *Broker) Tokens(clientID string) map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]string{}
	if s, ok := b.sessions[clientID]; ok {
		for typ, tok := range s.tokens {
			out[typ] = tok
		}
	}
	return out
}

// ExpireToken makes tok expire now; connections that use it get a
// $SYS/tokenInvalidNotice and are dropped on the next check.
func (b *Broker) ExpireToken(tok string) bool { return b.emu.Alibaba.ExpireToken(tok) }

// RevokeToken revokes tok; connections that use it get a
// $SYS/tokenInvalidNotice and are dropped on the next check.
func (b *Broker) RevokeToken(tok string) bool { return b.emu.Alibaba.Revoke(tok) }

func (b *Broker) count(clientID string, f func(*Counts)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.counts[clientID]
	if !ok {
		c = &Counts{}
		b.counts[clientID] = c
	}
	f(c)
}

// drop closes a client's connection: MQTT 5 clients get a DISCONNECT with
// the reason first; MQTT 3 has no server DISCONNECT.
func drop(cl *mqtt.Client, code packets.Code) {
	if cl.Properties.ProtocolVersion == 5 {
		_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}, ReasonCode: code.Code})
	}
	cl.Stop(code)
}

// notify sends a system message to one client, without a subscription.
func notify(cl *mqtt.Client, topic string, v any) {
	payload, _ := json.Marshal(v)
	_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic, Payload: payload})
}

// watch checks the tokens of connected Token mode clients every tick.
func (b *Broker) watch() {
	defer close(b.done)
	t := time.NewTicker(b.cfg.tick)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.check()
		}
	}
}

type expireNotice struct {
	ExpireTime int64  `json:"expireTime"`
	Type       string `json:"type"`
}

type invalidNotice struct {
	Code int    `json:"code"`
	Type string `json:"type"`
}

func (b *Broker) check() {
	ali := b.emu.Alibaba
	now := ali.Now()
	type action struct {
		cl     *mqtt.Client
		topic  string
		notice any
		drop   bool
	}
	var todo []action
	b.mu.Lock()
	for id, s := range b.sessions {
		for typ, tok := range s.tokens {
			t, ok := ali.Token(tok)
			switch {
			case !ok:
				todo = append(todo, action{s.cl, topicInvalidNotice, invalidNotice{codeForged, typ}, true})
			case t.Revoked:
				todo = append(todo, action{s.cl, topicInvalidNotice, invalidNotice{codeRevoked, typ}, true})
			case !now.Before(t.Expire):
				todo = append(todo, action{s.cl, topicInvalidNotice, invalidNotice{codeExpired, typ}, true})
			case t.Expire.Sub(now) <= b.cfg.notice && !s.noticed[typ]:
				s.noticed[typ] = true
				todo = append(todo, action{s.cl, topicExpireNotice, expireNotice{t.Expire.UnixMilli(), typ}, false})
			default:
				continue
			}
			if todo[len(todo)-1].drop {
				delete(b.sessions, id) // dropped once
				break
			}
		}
	}
	b.mu.Unlock()
	for _, a := range todo {
		notify(a.cl, a.topic, a.notice)
		if a.drop {
			drop(a.cl, packets.ErrNotAuthorized)
		}
	}
}
