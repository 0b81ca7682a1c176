// Package iotauthtest emulates the platforms iotauth supports, on one
// loopback HTTP server, for iotauth's own tests, its demo, and users' tests.
//
// Each platform is as strict as its documents: it enforces the documented
// request rules (token carrier per endpoint, content types, field types,
// ApplyToken bounds and sorting, ClientId form, signatures and STS tokens)
// and answers each documented error with its documented HTTP status and
// body (see each platform's Errors, and docs/platforms.md). It keeps the
// platforms' quirks (OceanConnect keeps only the last token valid, MXCHIP
// answers errors with HTTP 200, Cloud Studio locks an account behind a
// captcha), serves every answer shape seen from real servers on demand
// (OceanConnect.SetShape), counts the calls it receives, and misbehaves on
// demand through one vocabulary of Faults shared by all platforms
// (FailNext, ErrorNext, ResetNext, MalformedNext, HTMLNext, HugeNext,
// SetLatency).
package iotauthtest

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"time"
)

// Server serves every emulated platform. Point a provider's BaseURL (or
// Endpoint) at URL.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234.
	URL string

	OceanConnect *OceanConnect
	MXCHIP       *MXCHIP
	CloudStudio  *CloudStudio
	Alibaba      *Alibaba
	IAM          *IAM
	IoTDA        *IoTDA

	srv *httptest.Server
}

type config struct {
	tls      bool
	ttl      time.Duration
	clock    *Clock
	listener net.Listener
}

// Option configures NewServer.
type Option func(*config)

// WithTLS serves HTTPS with a self-signed certificate; use Server.Client or
// Server.Certificate to trust it.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTokenTTL sets the lifetime of the tokens every platform issues
// (each platform's documented lifetime when unset).
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithClock makes the platforms read time from clk, so tests can expire
// tokens by advancing it instead of sleeping.
func WithClock(clk *Clock) Option { return func(c *config) { c.clock = clk } }

// WithListener serves on l instead of a fresh loopback port.
func WithListener(l net.Listener) Option { return func(c *config) { c.listener = l } }

// NewServer starts the emulators on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	cfg := &config{}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.clock == nil {
		cfg.clock = NewClock()
	}
	s := &Server{
		OceanConnect: newOceanConnect(cfg),
		MXCHIP:       newMXCHIP(cfg),
		CloudStudio:  newCloudStudio(cfg),
		Alibaba:      newAlibaba(cfg),
		IAM:          newIAM(cfg),
	}
	s.IoTDA = newIoTDA(cfg, s.IAM)
	mux := http.NewServeMux()
	s.OceanConnect.register(mux)
	s.MXCHIP.register(mux)
	s.CloudStudio.register(mux)
	s.Alibaba.register(mux)
	s.IAM.register(mux)
	s.IoTDA.register(mux)

	srv := httptest.NewUnstartedServer(mux)
	if cfg.listener != nil {
		srv.Listener.Close()
		srv.Listener = cfg.listener
	}
	if cfg.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	s.srv = srv
	s.URL = srv.URL
	return s
}

// Client returns an http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate returns the TLS certificate when the server uses TLS, else nil.
func (s *Server) Certificate() *tls.Certificate {
	if s.srv.TLS == nil || len(s.srv.TLS.Certificates) == 0 {
		return nil
	}
	return &s.srv.TLS.Certificates[0]
}

// Close shuts the server down and closes its client connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}
