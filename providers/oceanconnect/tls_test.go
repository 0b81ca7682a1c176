package oceanconnect_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// pki is a test certificate authority with a server and a client
// certificate it issued.
type pki struct {
	caPEM          []byte
	server         tls.Certificate
	clientCert     *x509.Certificate
	clientKey      *ecdsa.PrivateKey
	clientCertPEM  []byte
	clientKeyPEM   []byte
	caCert         *x509.Certificate
	clientsTrusted *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iotauth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(serial int64, tmpl *x509.Certificate, k *ecdsa.PrivateKey) *x509.Certificate {
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		require.NoError(t, err)
		c, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		return c
	}
	serverKey := key()
	serverCert := issue(2, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, serverKey)
	clientKey := key()
	clientCert := issue(3, &x509.Certificate{Subject: pkix.Name{CommonName: "iotauth client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, clientKey)

	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &pki{
		caPEM:          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		server:         tls.Certificate{Certificate: [][]byte{serverCert.Raw}, PrivateKey: serverKey},
		clientCert:     clientCert,
		clientKey:      clientKey,
		clientCertPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientCert.Raw}),
		clientKeyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		caCert:         ca,
		clientsTrusted: pool,
	}
}

// mutualTLSServer answers a login only to a client whose certificate the
// PKI issued, and records the subject it saw.
func mutualTLSServer(t *testing.T, k *pki, configure func(*tls.Config)) (*httptest.Server, *string) {
	t.Helper()
	var subject string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			subject = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"scope":"default","tokenType":"Bearer ","expiresIn":"3600","accessToken":"at","refreshToken":"rt"}`))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{k.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    k.clientsTrusted,
	}
	if configure != nil {
		configure(srv.TLS)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &subject
}

func tlsConfig(base string, k *pki) oceanconnect.Config {
	return oceanconnect.Config{BaseURL: base, AppID: "app", Secret: "secret", CACertPEM: k.caPEM}
}

func TestTLS_EmulatorWithCACertPEM_LogsIn(t *testing.T) {
	srv := iotauthtest.NewServer(iotauthtest.WithTLS())
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Certificate[0]})
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauthtest.OceanConnectSecret, CACertPEM: caPEM})
	require.NoError(t, err)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	assert.True(t, tok.Valid())
}

func TestTLS_UntrustedPlatformCertificate_IsRefused(t *testing.T) {
	srv := iotauthtest.NewServer(iotauthtest.WithTLS())
	t.Cleanup(srv.Close)
	p := newProvider(t, srv.URL, iotauthtest.OceanConnectSecret)
	_, err := p.Token(t.Context())
	requireKind(t, err, iotauth.ErrServer)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown)
	assert.Zero(t, srv.OceanConnect.Logins())
}

func TestTLS_InsecureSkipVerify_LogsAWarningOnEveryLogin(t *testing.T) {
	srv := iotauthtest.NewServer(iotauthtest.WithTLS())
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauthtest.OceanConnectSecret, InsecureSkipVerify: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	tok, err := p.Token(t.Context())
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	require.NoError(t, err)
	_, err = p.Refresh(t.Context(), tok)
	require.Error(t, err) // staled by the second login; warned all the same
	assert.Equal(t, 3, strings.Count(logs.String(), "level=WARN"))
	assert.Contains(t, logs.String(), "InsecureSkipVerify")
	assert.NotContains(t, logs.String(), iotauthtest.OceanConnectSecret)
}

func TestTLS_VerifiedLogin_LogsNoWarning(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauthtest.OceanConnectSecret, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	require.NoError(t, err)
	assert.Empty(t, logs.String())
}

func TestTLS_ClientCertificatePEM_PassesTwoWayTLS(t *testing.T) {
	k := newPKI(t)
	srv, subject := mutualTLSServer(t, k, nil)
	cfg := tlsConfig(srv.URL, k)
	cfg.ClientCertPEM, cfg.ClientKeyPEM = k.clientCertPEM, k.clientKeyPEM
	p, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "iotauth client", *subject)
}

func TestTLS_WithoutClientCertificate_TwoWayTLSFails(t *testing.T) {
	k := newPKI(t)
	srv, _ := mutualTLSServer(t, k, nil)
	p, err := oceanconnect.New(tlsConfig(srv.URL, k))
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	requireKind(t, err, iotauth.ErrServer)
}

func TestTLS_ClientCertificatePKCS12_PassesTwoWayTLS(t *testing.T) {
	k := newPKI(t)
	srv, subject := mutualTLSServer(t, k, nil)
	p12, err := pkcs12.Modern.Encode(k.clientKey, k.clientCert, []*x509.Certificate{k.caCert}, "p12-pass")
	require.NoError(t, err)
	cfg := tlsConfig(srv.URL, k)
	cfg.ClientPKCS12, cfg.PKCS12Password = p12, "p12-pass"
	p, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "iotauth client", *subject)
}

func TestTLS_PKCS12WrongPassword_IsAConfigError(t *testing.T) {
	k := newPKI(t)
	p12, err := pkcs12.Modern.Encode(k.clientKey, k.clientCert, nil, "p12-pass")
	require.NoError(t, err)
	cfg := tlsConfig("https://127.0.0.1:8743", k)
	cfg.ClientPKCS12, cfg.PKCS12Password = p12, "not-the-pass"
	_, err = oceanconnect.New(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Config.ClientPKCS12")
	assert.NotContains(t, err.Error(), "not-the-pass")
}

func TestTLS_ServerBelowTLS12_IsRefused(t *testing.T) {
	k := newPKI(t)
	srv, _ := mutualTLSServer(t, k, func(c *tls.Config) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		c.ClientAuth = tls.NoClientCert
	})
	roots := x509.NewCertPool()
	roots.AddCert(k.caCert)
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10}}}
	resp, err := old.Post(srv.URL, "text/plain", nil)
	require.NoError(t, err, "the server does speak TLS 1.1")
	resp.Body.Close()

	cfg := tlsConfig(srv.URL, k)
	// Even a user transport that allows TLS 1.0 is raised to TLS 1.2.
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS10}}}
	p, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	requireKind(t, err, iotauth.ErrServer)
}

func TestTLS_UserTransport_IsClonedNotModified(t *testing.T) {
	k := newPKI(t)
	srv, _ := mutualTLSServer(t, k, nil)
	userTLS := &tls.Config{ServerName: "127.0.0.1"}
	userTransport := &http.Transport{TLSClientConfig: userTLS}
	cfg := tlsConfig(srv.URL, k)
	cfg.ClientCertPEM, cfg.ClientKeyPEM = k.clientCertPEM, k.clientKeyPEM
	cfg.HTTPClient = &http.Client{Transport: userTransport, Timeout: 5 * time.Second}
	p, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	require.NoError(t, err)
	assert.Same(t, userTLS, userTransport.TLSClientConfig)
	assert.Nil(t, userTLS.RootCAs, "the user's TLS config is not modified")
	assert.Empty(t, userTLS.Certificates)
}

func TestTLS_ConfigErrors_NameTheField(t *testing.T) {
	k := newPKI(t)
	cases := map[string]struct {
		mutate func(*oceanconnect.Config)
		want   string
	}{
		"cert without key": {func(c *oceanconnect.Config) { c.ClientCertPEM = k.clientCertPEM }, "Config.ClientKeyPEM"},
		"key without cert": {func(c *oceanconnect.Config) { c.ClientKeyPEM = k.clientKeyPEM }, "Config.ClientCertPEM"},
		"pem and pkcs12": {func(c *oceanconnect.Config) {
			c.ClientCertPEM, c.ClientKeyPEM, c.ClientPKCS12 = k.clientCertPEM, k.clientKeyPEM, []byte{1}
		}, "Config.ClientPKCS12"},
		"mismatched pair": {func(c *oceanconnect.Config) {
			c.ClientCertPEM, c.ClientKeyPEM = k.caPEM, k.clientKeyPEM
		}, "Config.ClientCertPEM"},
		"CA not PEM": {func(c *oceanconnect.Config) { c.CACertPEM = []byte("not pem") }, "Config.CACertPEM"},
		"transport not *http.Transport": {func(c *oceanconnect.Config) {
			c.HTTPClient = &http.Client{Transport: roundTripFunc(nil)}
		}, "Config.HTTPClient.Transport"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := tlsConfig("https://127.0.0.1:8743", k)
			c.mutate(&cfg)
			_, err := oceanconnect.New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "PRIVATE KEY")
		})
	}
}
