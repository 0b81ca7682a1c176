package iotauth

import (
	"context"
	"sync"
	"sync/atomic"
)

// MQTTCredential is the platform side of an MQTT source whose login comes
// from one credential rather than from expiring tokens: Alibaba's signature
// and device-credential modes, an MXCHIP MQTT client. NewMQTTSource turns
// it into an MQTTSource.
type MQTTCredential interface {
	// MQTTCredential returns the credential as a Token: AccessToken holds
	// its secret, Extra what else the login needs, so that it can travel
	// through a Store. afresh is true after the broker refused the last
	// one: the credential must then come from the platform again, not from
	// a copy the provider holds.
	MQTTCredential(ctx context.Context, afresh bool) (*Token, error)
	// MQTTLoginOf derives the login from a credential MQTTCredential
	// returned (or a Store kept).
	MQTTLoginOf(t *Token) MQTTLogin
}

// NewMQTTSource returns an MQTTSource over cred, with a Cache in between
// (configured by opts): the credential is fetched once and reused by every
// connect, concurrent connects share one fetch, failures are retried with
// backoff, and with WithStore the credential is shared by the processes of a
// fleet and survives a restart.
//
// After a refusal the credential is fetched afresh. When the platform gives
// the same login again, it cannot change: MQTTLogin fails with an error
// that errors.Is ErrInvalidCredentials, latched like the Cache's for the
// hold-off (WithHoldOff), and no CONNECT is made with it meanwhile.
func NewMQTTSource(cred MQTTCredential, opts ...CacheOption) MQTTSource {
	g := &mqttGate{cred: cred}
	return &mqttSource{gate: g, cache: NewCache(g, opts...)}
}

type mqttSource struct {
	gate  *mqttGate
	cache *Cache
	last  atomic.Pointer[Token] // the credential of the last login served
}

func (s *mqttSource) MQTTLogin(ctx context.Context) (MQTTLogin, error) {
	t, err := s.cache.Token(ctx)
	if err != nil {
		return MQTTLogin{}, err
	}
	s.last.Store(t)
	return s.gate.cred.MQTTLoginOf(t), nil
}

// Refused drops the credential behind l from the Cache, so that the next
// login fetches it afresh. A login older than the last one served is
// ignored: its credential was replaced already.
func (s *mqttSource) Refused(l MQTTLogin) {
	t := s.last.Load()
	if t == nil || !s.gate.cred.MQTTLoginOf(t).sameCredentials(l) {
		return
	}
	s.gate.refuse(l)
	s.cache.Invalidate(t)
}

// mqttGate is the TokenSource behind an MQTT source's Cache. It turns "the
// platform gives the login the broker refused" into ErrInvalidCredentials,
// which the Cache latches.
type mqttGate struct {
	cred MQTTCredential

	mu      sync.Mutex
	refused *MQTTLogin // the refused login, until a fetch has answered for it
}

func (g *mqttGate) refuse(l MQTTLogin) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused = &l
}

func (g *mqttGate) Token(ctx context.Context) (*Token, error) {
	g.mu.Lock()
	r := g.refused
	g.refused = nil
	g.mu.Unlock()
	t, err := g.cred.MQTTCredential(ctx, r != nil)
	if err != nil {
		if r != nil {
			g.mu.Lock()
			if g.refused == nil {
				g.refused = r // fetch afresh on the next attempt too
			}
			g.mu.Unlock()
		}
		return nil, err
	}
	if r != nil && t != nil && g.cred.MQTTLoginOf(t).sameCredentials(*r) {
		return nil, &Error{Platform: Describe(g).Name, Op: "mqtt login", Kind: ErrInvalidCredentials,
			Message: "the broker refused the login and the platform has no other"}
	}
	return t, nil
}

// Describe forwards the credential's description (its name, and its
// StoreKey for WithStore).
func (g *mqttGate) Describe() Platform {
	if d, ok := g.cred.(Describer); ok {
		return d.Describe()
	}
	return Platform{}
}

// WithStoreOf shares the Store of ts, when ts is a Cache configured with
// one, so that credentials of the same account are kept where its tokens
// are. It does nothing otherwise. The credential the option configures
// must have a StoreKey in its Describe, as WithStore requires.
func WithStoreOf(ts TokenSource) CacheOption {
	return func(c *cacheConfig) {
		if p, ok := ts.(*Cache); ok && p.cfg.store != nil {
			c.store = p.cfg.store
		}
	}
}
