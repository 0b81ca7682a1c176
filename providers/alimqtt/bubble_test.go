package alimqtt_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// pipeListener is a net.Listener whose connections are net.Pipes, for HTTP
// between a provider and the emulator inside one synctest bubble: every
// wait of both ends is then on the bubble's channels, so the bubble's clock
// moves when they all wait, and the emulator reads the same clock as the
// Cache. Only its address is loopback.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

// dial connects to the listener, as an http.Transport's DialContext.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// bubbleServer starts the emulator for a test inside a synctest bubble,
// with the client that reaches it: real HTTP over in-memory connections,
// closed when the test ends.
func bubbleServer(t *testing.T) (*iotauthtest.Server, *http.Client) {
	t.Helper()
	l := newPipeListener()
	srv := iotauthtest.NewServer(iotauthtest.WithListener(l))
	tr := &http.Transport{DialContext: l.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return srv, &http.Client{Transport: tr}
}

// bubbled returns a Provider of the emulated account and the emulator, for
// a test inside a synctest bubble (see bubbleServer). edit changes the
// Config.
func bubbled(t *testing.T, edit func(*alimqtt.Config)) (*alimqtt.Provider, *iotauthtest.Server) {
	t.Helper()
	srv, client := bubbleServer(t)
	return emulatedWith(t, srv, func(cfg *alimqtt.Config) {
		cfg.HTTPClient = client
		edit(cfg)
	}), srv
}
