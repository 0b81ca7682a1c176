package iotauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// poolKeyCtx is the context key WithPoolKey sets.
type poolKeyCtx struct{}

// WithPoolKey returns a copy of ctx that names key as the Pool key of the
// requests made with it: a PoolTransport authorizes them with key's Cache.
func WithPoolKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, poolKeyCtx{}, key)
}

// PoolTransport is an http.RoundTripper that authorizes each request with
// the Cache of the Pool key its context names (WithPoolKey), so that one
// http.Client serves every tenant. Each key gets the behaviour of a
// Transport over its own Cache (see Transport): its credentials go only to
// the origins its own source declares, never to another key's, and a
// request whose token is rejected is resent once with a fresh one. The Cache
// stays open while a request uses it, even when the Pool drops the key
// meanwhile. A request whose context names no key fails without being sent.
type PoolTransport struct {
	pool *Pool
	base http.RoundTripper
	opts []TransportOption
	per  sync.Map // *poolEntry -> *Transport
}

// NewPoolTransport returns a PoolTransport over p that sends requests
// through base (http.DefaultTransport when nil), with opts for every key's
// Transport. It panics when p or an option is nil, or when an origin cannot
// be parsed, as NewTransport does.
func NewPoolTransport(p *Pool, base http.RoundTripper, opts ...TransportOption) *PoolTransport {
	if p == nil {
		panic("iotauth: NewPoolTransport: nil Pool")
	}
	// Check the options now rather than at the first request.
	_ = NewTransport(TokenSourceFunc(func(context.Context) (*Token, error) { return nil, ErrClosed }), base, opts...)
	t := &PoolTransport{pool: p, base: base, opts: opts}
	p.tmu.Lock()
	p.transports = append(p.transports, t)
	p.tmu.Unlock()
	return t
}

// RoundTrip authorizes req with the Cache of the key its context names, and sends it.
func (t *PoolTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("iotauth: PoolTransport.RoundTrip: nil request or URL")
	}
	key, _ := req.Context().Value(poolKeyCtx{}).(string)
	if key == "" {
		closeBody(req)
		return nil, &Error{Op: "pool", Kind: ErrBadRequest,
			Message: "the request's context names no pool key: make it with iotauth.WithPoolKey"}
	}
	for {
		pe, err := t.pool.entry(req.Context(), key)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		if !t.pool.acquire(pe) {
			continue // dropped meanwhile: build it again
		}
		resp, err := t.transport(pe).RoundTrip(req)
		t.pool.release(pe)
		return resp, err
	}
}

// transport returns pe's Transport, made at its first request. pe is held.
func (t *PoolTransport) transport(pe *poolEntry) *Transport {
	if v, ok := t.per.Load(pe); ok {
		return v.(*Transport)
	}
	v, _ := t.per.LoadOrStore(pe, NewTransport(pe.c, t.base, t.opts...))
	return v.(*Transport)
}

// forget drops pe's Transports once its Cache is closed.
func (p *Pool) forgetTransports(pe *poolEntry) {
	p.tmu.Lock()
	for _, t := range p.transports {
		t.per.Delete(pe)
	}
	p.tmu.Unlock()
}

// String describes the transport without its keys.
func (t *PoolTransport) String() string {
	if t == nil {
		return "<nil>"
	}
	return "iotauth.PoolTransport{caches: " + fmt.Sprint(t.pool.Len()) + "}"
}

// GoString is String, so %#v reveals nothing either.
func (t *PoolTransport) GoString() string { return t.String() }

// Format prints String for every verb.
func (t *PoolTransport) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }
