package oceanconnect

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/iotauth/iotauth/internal/httpc"
)

// httpClient returns the client the provider's calls go through: the
// user's, or one with httpc.DefaultTimeout, with cfg's TLS settings applied
// to a copy of its transport.
func httpClient(cfg Config) (*http.Client, error) {
	hasTLS := len(cfg.CACertPEM) > 0 || len(cfg.ClientCertPEM) > 0 || len(cfg.ClientKeyPEM) > 0 ||
		len(cfg.ClientPKCS12) > 0 || cfg.InsecureSkipVerify
	if cfg.HTTPClient != nil && !hasTLS {
		return cfg.HTTPClient, nil
	}
	hc := &http.Client{Timeout: httpc.DefaultTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	var tr *http.Transport
	switch base := hc.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = base.Clone()
	default:
		return nil, fmt.Errorf("Config.HTTPClient.Transport is a %T, not an *http.Transport: the TLS fields cannot be applied to it", base)
	}
	tc, err := tlsConfig(cfg, tr.TLSClientConfig)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tc
	hc.Transport = tr
	return hc, nil
}

// tlsConfig returns base (or an empty config) with TLS 1.2 at least and
// cfg's CA bundle, client certificate and verification setting.
func tlsConfig(cfg Config, base *tls.Config) (*tls.Config, error) {
	tc := &tls.Config{}
	if base != nil {
		tc = base.Clone()
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	if cfg.InsecureSkipVerify {
		tc.InsecureSkipVerify = true
	}
	if len(cfg.CACertPEM) > 0 {
		pool := tc.RootCAs
		if pool == nil {
			sys, err := x509.SystemCertPool()
			if err != nil || sys == nil {
				sys = x509.NewCertPool()
			}
			pool = sys
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
			return nil, errors.New("Config.CACertPEM holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	cert, err := clientCertificate(cfg)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		tc.Certificates = append(append([]tls.Certificate(nil), tc.Certificates...), *cert)
	}
	return tc, nil
}

// clientCertificate loads the client certificate from the PEM pair or the
// PKCS#12 file, or returns nil when cfg has neither.
func clientCertificate(cfg Config) (*tls.Certificate, error) {
	hasPEM := len(cfg.ClientCertPEM) > 0 || len(cfg.ClientKeyPEM) > 0
	switch {
	case hasPEM && len(cfg.ClientPKCS12) > 0:
		return nil, errors.New("set either Config.ClientCertPEM and Config.ClientKeyPEM or Config.ClientPKCS12, not both")
	case len(cfg.ClientCertPEM) > 0 && len(cfg.ClientKeyPEM) == 0:
		return nil, errors.New("Config.ClientKeyPEM is required with Config.ClientCertPEM")
	case len(cfg.ClientKeyPEM) > 0 && len(cfg.ClientCertPEM) == 0:
		return nil, errors.New("Config.ClientCertPEM is required with Config.ClientKeyPEM")
	case hasPEM:
		cert, err := tls.X509KeyPair(cfg.ClientCertPEM, cfg.ClientKeyPEM)
		if err != nil {
			// The error names the problem, never the key's bytes.
			return nil, fmt.Errorf("Config.ClientCertPEM/ClientKeyPEM: %w", err)
		}
		return &cert, nil
	case len(cfg.ClientPKCS12) > 0:
		key, leaf, chain, err := pkcs12.DecodeChain(cfg.ClientPKCS12, string(cfg.PKCS12Password))
		if err != nil {
			return nil, fmt.Errorf("Config.ClientPKCS12: %w", err)
		}
		cert := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
		for _, c := range chain {
			cert.Certificate = append(cert.Certificate, c.Raw)
		}
		return &cert, nil
	}
	return nil, nil
}
