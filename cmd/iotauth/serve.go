package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/redisstore"
)

// drainTimeout bounds how long SIGTERM waits for requests in flight.
const drainTimeout = 10 * time.Second

func newServeCmd(getenv func(string) string) *cobra.Command {
	var (
		configPath string
		check      bool
	)
	cmd := &cobra.Command{
		Use:   "serve --config FILE [--check]",
		Short: "Run the agent: one owner of each credential for every program on the host",
		Long: `Run an agent that owns each configured credential: it logs in once (sharing
the login through a store with other agents and Go services), proxies
http://LISTEN/<name>/<path> to the credential's base URL with the platform's
headers, answers the token API (/v1/credentials/<name>/token, /headers,
/mqtt) for programs that make their own calls, and writes token files.

The config file (YAML; JSON is valid YAML) is the only source of settings:
IOTAUTH_<PLATFORM>_* variables and the flags of the other commands do not
apply. --check validates it and exits 0, or 2 naming every problem by key.
SIGHUP reloads it; SIGTERM drains requests for at most 10 s and exits 0.
See docs/serve.md for the keys and the API.`,
		Example: `  cat > serve.yaml <<EOF
  listen: unix:agent.sock
  credentials:
    oc:
      platform: oceanconnect
      base_url: $IOTAUTH_OCEANCONNECT_BASE_URL
      app_id: $IOTAUTH_OCEANCONNECT_APP_ID
      secret: $IOTAUTH_OCEANCONNECT_SECRET
  EOF
  chmod 600 serve.yaml
  iotauth serve --check --config serve.yaml
  iotauth serve --config serve.yaml 2> serve.log &
  until [ -S agent.sock ]; do sleep 0.1; done
  curl -sS --fail --unix-socket agent.sock http://agent/oc/iocm/app/dm/v1.4.0/devices
  kill $!`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"store-dir", "ca-file", "no-store"} {
				if cmd.Flags().Changed(f) {
					return &usageError{fmt.Sprintf("serve: --%s does not apply: the config file is serve's only source of settings", f)}
				}
			}
			path := configPath
			if path == "" {
				path = getenv("IOTAUTH_SERVE_CONFIG")
			}
			if path == "" {
				return &settingError{"serve: missing setting: pass --config FILE (or set IOTAUTH_SERVE_CONFIG)"}
			}
			cfg, err := loadServeConfig(path)
			if err != nil {
				return err
			}
			if check {
				fmt.Fprintf(cmd.OutOrStdout(), "serve config %s: ok (%d credentials: %s)\n", path, len(cfg.creds), strings.Join(cfg.names(), ", "))
				return nil
			}
			return runAgent(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config file of the agent (or IOTAUTH_SERVE_CONFIG)")
	cmd.Flags().BoolVar(&check, "check", false, "validate the config and exit: 0 when it is good, 2 naming every problem")
	return cmd
}

// agent is a running 'iotauth serve'.
type agent struct {
	log       *slog.Logger
	path      string
	store     iotauth.Store
	metrics   *metrics
	unix      bool // listening on a unix socket: its file mode is the access control
	tls       bool // serving TLS: every route requires the bearer or a client certificate
	tlsConfig *tls.Config
	state     atomic.Pointer[agentState]
}

// agentState is what a reload replaces at once.
type agentState struct {
	cfg    *serveConfig
	creds  map[string]*credential
	bearer []byte // the api_token_file's contents; nil: none
}

// metrics is the Prometheus registry the otel module's metrics are read into.
type metrics struct {
	mp      *sdkmetric.MeterProvider
	handler http.Handler
}

func newMetrics() (*metrics, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	return &metrics{
		mp:      sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)),
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}, nil
}

// runAgent serves cfg until ctx is done (SIGINT, SIGTERM), then drains.
func runAgent(ctx context.Context, cfg *serveConfig, logOut io.Writer) error {
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	a := &agent{log: log, path: cfg.path}
	m, err := newMetrics()
	if err != nil {
		return failure(fmt.Errorf("serve: metrics: %w", err))
	}
	a.metrics = m
	defer m.mp.Shutdown(context.Background())
	st, closeStore, err := openStore(cfg.store)
	if err != nil {
		return failure(fmt.Errorf("serve: store: %w", err))
	}
	defer closeStore()
	a.store = st
	state, err := a.newState(cfg, nil)
	if err != nil {
		return err
	}
	a.state.Store(state)
	defer func() {
		for _, c := range a.state.Load().creds {
			c.retire()
		}
	}()

	l, err := a.listen(cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         a.tlsConfig,
	}
	served := make(chan error, 1)
	go func() {
		if a.tls {
			served <- srv.ServeTLS(l, "", "")
		} else {
			served <- srv.Serve(l)
		}
	}()
	log.Info("iotauth serve: listening", "addr", l.Addr().String(), "tls", a.tls, "credentials", cfg.names(), "store", storeName(cfg.store))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			a.reload()
		case err := <-served:
			return failure(fmt.Errorf("serve: %w", err))
		case <-ctx.Done():
			log.Info("iotauth serve: stopping: draining requests in flight", "timeout", drainTimeout.String())
			sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
			err := srv.Shutdown(sctx)
			cancel()
			if err != nil {
				log.Warn("iotauth serve: requests still in flight after the drain timeout were cut", "error", err.Error())
				srv.Close()
			}
			log.Info("iotauth serve: stopped")
			return nil
		}
	}
}

// storeName names the configured store in logs.
func storeName(s storeConfig) string {
	switch {
	case s.dir != "":
		return "dir " + s.dir
	case s.isRedis():
		return "redis"
	}
	return "none"
}

// openStore opens the configured store: nil without one.
func openStore(s storeConfig) (iotauth.Store, func(), error) {
	switch {
	case s.dir != "":
		st, err := store.NewFile(s.dir)
		if err != nil {
			return nil, nil, err
		}
		return st, func() {}, nil
	case s.isRedis():
		addrs := s.addrs
		if s.addr != "" {
			addrs = []string{s.addr}
		}
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, MasterName: s.masterName})
		st, err := redisstore.New(rdb)
		if err != nil {
			rdb.Close()
			return nil, nil, err
		}
		return st, func() { rdb.Close() }, nil
	}
	return nil, func() {}, nil
}

// listen opens the listener: a unix socket or TCP, with TLS when configured.
func (a *agent) listen(cfg *serveConfig) (net.Listener, error) {
	if path, ok := strings.CutPrefix(cfg.listen, "unix:"); ok {
		a.unix = true
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path) // a socket left by a process that was killed
		}
		// 0600; 0660 in a setgid directory, whose group is then the
		// group of programs that may use the agent.
		mode, umask := os.FileMode(0o600), 0o177
		if fi, err := os.Stat(filepath.Dir(path)); err == nil && fi.Mode()&os.ModeSetgid != 0 {
			mode, umask = 0o660, 0o117
		}
		old := syscall.Umask(umask)
		l, err := net.Listen("unix", path)
		syscall.Umask(old)
		if err != nil {
			return nil, failure(fmt.Errorf("serve: listen: %w", err))
		}
		if err := os.Chmod(path, mode); err != nil {
			l.Close()
			return nil, failure(fmt.Errorf("serve: listen: %w", err))
		}
		return l, nil
	}
	l, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return nil, failure(fmt.Errorf("serve: listen: %w", err))
	}
	if cfg.tlsCert == "" {
		return l, nil
	}
	tc, err := serverTLS(cfg)
	if err != nil {
		l.Close()
		return nil, err
	}
	a.tls = true
	a.tlsConfig = tc
	return l, nil
}

// serverTLS is the TLS config of the listener: the certificate, and the
// client certificate authorities when configured (a client certificate is
// then verified when given; one that is not given leaves the bearer).
func serverTLS(cfg *serveConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
	if err != nil {
		return nil, &settingError{fmt.Sprintf("tls_cert_file, tls_key_file: %v", err)}
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.tlsClientCA != "" {
		pem, err := os.ReadFile(cfg.tlsClientCA)
		if err != nil {
			return nil, &settingError{fmt.Sprintf("tls_client_ca_file: %v", pathError(err))}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &settingError{fmt.Sprintf("tls_client_ca_file: %s holds no PEM certificate", cfg.tlsClientCA)}
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// readBearer reads the api_token_file: nil when none is configured.
func readBearer(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &settingError{fmt.Sprintf("api_token_file: %v", pathError(err))}
	}
	b = []byte(strings.TrimRight(string(b), "\r\n"))
	if len(b) < 16 {
		return nil, &settingError{fmt.Sprintf("api_token_file: %s holds %d bytes: want a random token of 16 bytes or more", path, len(b))}
	}
	return b, nil
}

// newState builds the state of cfg, keeping the credentials of old whose
// settings did not change.
func (a *agent) newState(cfg *serveConfig, old *agentState) (*agentState, error) {
	bearer, err := readBearer(cfg.apiTokenFile)
	if err != nil {
		return nil, err
	}
	st := &agentState{cfg: cfg, creds: map[string]*credential{}, bearer: bearer}
	for _, name := range cfg.names() {
		cc := cfg.creds[name]
		if old != nil {
			if c := old.creds[name]; c != nil && c.fingerprint == cc.fingerprint() {
				st.creds[name] = c
				continue
			}
		}
		c, err := a.newCredential(cc)
		if err != nil {
			for n, c := range st.creds {
				if old == nil || old.creds[n] != c {
					c.retire()
				}
			}
			return nil, err
		}
		st.creds[name] = c
	}
	return st, nil
}

// reload reads the config again and swaps it in: credentials added,
// removed or changed; requests in flight on a removed or changed credential
// finish before its cache is closed. A config that does not validate, or
// that changes what only a restart can (listen, TLS, store), is refused and
// the old one keeps serving.
func (a *agent) reload() {
	old := a.state.Load()
	cfg, err := loadServeConfig(a.path)
	if err == nil {
		err = restartOnly(old.cfg, cfg)
	}
	var st *agentState
	if err == nil {
		st, err = a.newState(cfg, old)
	}
	if err != nil {
		a.log.Error("iotauth serve: reload refused; the running config keeps serving", "config", a.path, "error", err.Error())
		return
	}
	a.state.Store(st)
	added, removed, changed := []string{}, []string{}, []string{}
	for name, c := range st.creds {
		switch oc := old.creds[name]; {
		case oc == nil:
			added = append(added, name)
		case oc != c:
			changed = append(changed, name)
		}
	}
	for name, oc := range old.creds {
		if st.creds[name] != oc {
			if st.creds[name] == nil {
				removed = append(removed, name)
			}
			go oc.retire()
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	a.log.Info("iotauth serve: reloaded", "config", a.path, "added", added, "removed", removed, "changed", changed)
}

// restartOnly refuses a reload that changes what only a restart applies.
func restartOnly(old, cfg *serveConfig) error {
	var ps problems
	if old.listen != cfg.listen {
		ps.add("listen", "changed: restart the agent to apply it")
	}
	if old.tlsCert != cfg.tlsCert || old.tlsKey != cfg.tlsKey || old.tlsClientCA != cfg.tlsClientCA {
		ps.add("tls_cert_file", "TLS settings changed: restart the agent to apply them")
	}
	if old.store.String() != cfg.store.String() {
		ps.add("store", "changed: restart the agent to apply it")
	}
	return ps.err(cfg.path)
}

// errNotServing is returned to a request that raced a reload.
var errNotServing = errors.New("the credential was reloaded")
