package main

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/iotauth/iotauth"
)

// defaultListen is where serve listens when the config names no address.
const defaultListen = "127.0.0.1:8787"

// serveConfig is a parsed and checked serve config file.
type serveConfig struct {
	path         string
	listen       string // host:port, or unix:PATH
	apiTokenFile string
	store        storeConfig
	creds        map[string]credConfig
	tlsCert      string
	tlsKey       string
	tlsClientCA  string
}

// storeConfig is the config's store: a directory, or a Redis deployment.
type storeConfig struct {
	dir        string
	addr       string
	addrs      []string
	masterName string
}

func (s storeConfig) isRedis() bool { return s.addr != "" || len(s.addrs) > 0 }

func (s storeConfig) String() string {
	return fmt.Sprintf("dir=%s addr=%s addrs=%v master_name=%s", s.dir, s.addr, s.addrs, s.masterName)
}

// credConfig is one credential's section: its platform and the keys of the
// CLI's --config section for that platform, plus serve's own.
type credConfig struct {
	name     string
	platform string
	keys     map[string]string // the platform's keys (base_url, app_id, secret_file, …)
	caFile   string
	sink     string // token_file
}

// fingerprint is what makes two credConfigs the same credential: a reload
// keeps a credential whose fingerprint did not change.
func (c credConfig) fingerprint() string {
	ks := make([]string, 0, len(c.keys))
	for k, v := range c.keys {
		ks = append(ks, k+"="+v)
	}
	sort.Strings(ks)
	return c.platform + "\x00" + c.caFile + "\x00" + c.sink + "\x00" + strings.Join(ks, "\x00")
}

// The top-level keys of a serve config, and serve's own keys in a credential.
var (
	serveTopKeys   = []string{"listen", "api_token_file", "store", "credentials", "tls_cert_file", "tls_key_file", "tls_client_ca_file"}
	serveStoreKeys = []string{"dir", "redis"}
	serveRedisKeys = []string{"addr", "addrs", "master_name"}
	serveCredKeys  = []string{"platform", "ca_file", "token_file"}
)

// credName is what a credential may be called: it is the first segment of
// the proxy's paths.
var credName = regexp.MustCompile(`^[a-z0-9-]+$`)

// reservedNames are the first path segments of serve's own routes.
var reservedNames = []string{"v1", "healthz", "readyz", "metrics"}

// problems collects every problem of a config, each naming its key.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	*p = append(*p, msg)
}

// configError is a config that does not validate: exit code 2, every
// problem on its own line.
func (p problems) err(path string) error {
	if len(p) == 0 {
		return nil
	}
	return &settingError{fmt.Sprintf("serve config %s:\n  %s", path, strings.Join(p, "\n  "))}
}

// loadServeConfig reads and checks the config at path: its syntax, its keys,
// its file mode, and that every credential's provider can be built (which
// reads the secret files). It contacts no platform and no store.
func loadServeConfig(path string) (*serveConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &settingError{fmt.Sprintf("serve config: %v", pathError(err))}
	}
	cfg, ps := parseServeConfig(path, b)
	if len(ps) == 0 {
		ps = append(ps, cfg.checkMode()...)
	}
	if len(ps) == 0 {
		for _, name := range cfg.names() {
			if _, err := cfg.creds[name].build(); err != nil {
				ps.add("", "%s", strings.TrimPrefix(err.Error(), "iotauth: "))
			}
		}
	}
	if err := ps.err(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// names are the credentials' names, sorted.
func (c *serveConfig) names() []string {
	ns := make([]string, 0, len(c.creds))
	for n := range c.creds {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// parseServeConfig parses b, refusing unknown keys.
func parseServeConfig(path string, b []byte) (*serveConfig, problems) {
	cfg := &serveConfig{path: path, listen: defaultListen, creds: map[string]credConfig{}}
	var ps problems
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		ps.add("", "not YAML: %v", err)
		return cfg, ps
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		ps.add("", "want a mapping of keys (listen, credentials, …)")
		return cfg, ps
	}
	eachKey(doc.Content[0], "", serveTopKeys, &ps, func(key string, v *yaml.Node) {
		switch key {
		case "listen":
			cfg.listen = scalarNode(v, key, &ps)
		case "api_token_file":
			cfg.apiTokenFile = scalarNode(v, key, &ps)
		case "tls_cert_file":
			cfg.tlsCert = scalarNode(v, key, &ps)
		case "tls_key_file":
			cfg.tlsKey = scalarNode(v, key, &ps)
		case "tls_client_ca_file":
			cfg.tlsClientCA = scalarNode(v, key, &ps)
		case "store":
			cfg.store = parseStore(v, &ps)
		case "credentials":
			parseCredentials(v, cfg, &ps)
		}
	})
	cfg.checkListen(&ps)
	return cfg, ps
}

// eachKey calls f with each key of the mapping m (at prefix) that is one of
// allowed, and adds a problem for every other key. allowed nil allows any.
func eachKey(m *yaml.Node, prefix string, allowed []string, ps *problems, f func(key string, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		full := k.Value
		if prefix != "" {
			full = prefix + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode {
			ps.add(prefix, "a key is not a string (line %d)", k.Line)
			continue
		}
		if seen[k.Value] {
			ps.add(full, "given twice")
			continue
		}
		seen[k.Value] = true
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			ps.add(full, "unknown key (want one of %s)", strings.Join(allowed, ", "))
			continue
		}
		f(k.Value, v)
	}
}

// scalarNode is the text of a string, number or boolean.
func scalarNode(v *yaml.Node, key string, ps *problems) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		ps.add(key, "want a string")
		return ""
	}
	return v.Value
}

// listNode is a list of strings, or one string as a comma-separated list.
func listNode(v *yaml.Node, key string, ps *problems) []string {
	var raw []string
	if v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			raw = append(raw, scalarNode(e, key, ps))
		}
	} else {
		raw = strings.Split(scalarNode(v, key, ps), ",")
	}
	var out []string
	for _, r := range raw {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func mappingNode(v *yaml.Node, key string, ps *problems) bool {
	if v.Kind != yaml.MappingNode {
		ps.add(key, "want a mapping")
		return false
	}
	return true
}

func parseStore(v *yaml.Node, ps *problems) storeConfig {
	var st storeConfig
	if !mappingNode(v, "store", ps) {
		return st
	}
	eachKey(v, "store", serveStoreKeys, ps, func(key string, v *yaml.Node) {
		switch key {
		case "dir":
			st.dir = scalarNode(v, "store.dir", ps)
		case "redis":
			if !mappingNode(v, "store.redis", ps) {
				return
			}
			eachKey(v, "store.redis", serveRedisKeys, ps, func(key string, v *yaml.Node) {
				switch key {
				case "addr":
					st.addr = scalarNode(v, "store.redis.addr", ps)
				case "addrs":
					st.addrs = listNode(v, "store.redis.addrs", ps)
				case "master_name":
					st.masterName = scalarNode(v, "store.redis.master_name", ps)
				}
			})
			switch {
			case st.addr != "" && len(st.addrs) > 0:
				ps.add("store.redis", "give addr (one server) or addrs (Cluster or Sentinel), not both")
			case !st.isRedis():
				ps.add("store.redis", "missing addr or addrs")
			case st.masterName != "" && len(st.addrs) == 0:
				ps.add("store.redis.master_name", "Sentinel wants addrs, the Sentinels' addresses")
			}
		}
	})
	if st.dir != "" && st.isRedis() {
		ps.add("store", "give dir or redis, not both")
	}
	return st
}

func parseCredentials(v *yaml.Node, cfg *serveConfig, ps *problems) {
	if !mappingNode(v, "credentials", ps) {
		return
	}
	eachKey(v, "credentials", nil, ps, func(name string, v *yaml.Node) {
		prefix := "credentials." + name
		switch {
		case !credName.MatchString(name):
			ps.add(prefix, "a credential's name is made of a-z, 0-9 and -")
			return
		case slices.Contains(reservedNames, name):
			ps.add(prefix, "%q is reserved for serve's own routes (%s)", name, strings.Join(reservedNames, ", "))
			return
		}
		if !mappingNode(v, prefix, ps) {
			return
		}
		c := credConfig{name: name, keys: map[string]string{}}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "platform" {
				c.platform = scalarNode(v.Content[i+1], prefix+".platform", ps)
			}
		}
		if c.platform == "" {
			ps.add(prefix+".platform", "missing: one of %s", strings.Join(platformIDs, ", "))
			return
		}
		if !isPlatform(c.platform) {
			ps.add(prefix+".platform", "unknown platform %q: want one of %s", c.platform, strings.Join(platformIDs, ", "))
			return
		}
		eachKey(v, prefix, nil, ps, func(key string, v *yaml.Node) {
			full := prefix + "." + key
			switch {
			case key == "platform":
			case key == "ca_file":
				c.caFile = scalarNode(v, full, ps)
			case key == "token_file":
				c.sink = scalarNode(v, full, ps)
			case isSectionKey(c.platform, key):
				if key == "resources" {
					c.keys[key] = strings.Join(listNode(v, full, ps), ",")
				} else {
					c.keys[key] = scalarNode(v, full, ps)
				}
			default:
				ps.add(full, "unknown key for platform %s (want one of %s)", c.platform, strings.Join(credKeys(c.platform), ", "))
			}
		})
		cfg.creds[name] = c
	})
}

// credKeys are the keys a credential of platform may have.
func credKeys(platform string) []string {
	ks := slices.Clone(serveCredKeys)
	for _, o := range options {
		if o.readBy(platform) {
			ks = append(ks, o.key)
		}
	}
	for _, k := range secretKeys[platform] {
		ks = append(ks, k, k+"_file")
	}
	return ks
}

// checkListen checks the listen address and the TLS keys beside it.
func (c *serveConfig) checkListen(ps *problems) {
	if path, ok := strings.CutPrefix(c.listen, "unix:"); ok {
		if path == "" {
			ps.add("listen", "unix: wants a socket path, such as unix:/run/iotauth/agent.sock")
		}
		if c.tlsCert != "" || c.tlsKey != "" {
			ps.add("tls_cert_file", "TLS is for TCP listen addresses; a unix socket's file mode is its access control")
		}
		return
	}
	host, _, err := net.SplitHostPort(c.listen)
	if err != nil {
		ps.add("listen", "%q is not host:port or unix:PATH", c.listen)
		return
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		ps.add("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.tlsClientCA != "" && c.tlsCert == "" {
		ps.add("tls_client_ca_file", "client certificates need tls_cert_file and tls_key_file")
	}
	if !isLoopbackHost(host) && c.tlsCert == "" {
		ps.add("listen", "%s is not a loopback address: serving credentials on it needs TLS (tls_cert_file and tls_key_file), and then every route requires the bearer or a client certificate", c.listen)
	}
	if c.apiTokenFile == "" {
		ps.add("api_token_file", "missing: the token API requires a bearer on a TCP listen address")
	}
}

// isLoopbackHost reports whether host is a loopback name or address. An
// empty host listens on every address and is not.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkMode refuses a config holding a secret itself that group or others
// may read, as the CLI's --config does.
func (c *serveConfig) checkMode() problems {
	var ps problems
	if runtime.GOOS == "windows" {
		return ps
	}
	for _, name := range c.names() {
		cr := c.creds[name]
		for _, k := range secretKeys[cr.platform] {
			if cr.keys[k] == "" {
				continue
			}
			fi, err := os.Stat(c.path)
			if err != nil {
				ps.add("", "%v", pathError(err))
				return ps
			}
			if perm := fi.Mode().Perm(); perm&0o077 != 0 {
				key := "credentials." + name + "." + k
				ps.add(key, "the config holds a secret but has mode %#o, open to group or others: chmod 600 %s, or name a file holding the secret with %q",
					perm, c.path, k+"_file")
				return ps
			}
		}
	}
	return ps
}

// settings are the CLI settings of the credential: its keys as the section
// of its platform, and no environment, so that the config is their only
// source.
func (c credConfig) settings() *settings {
	global := map[string]string{}
	if c.caFile != "" {
		global["ca_file"] = c.caFile
	}
	return &settings{
		cmd:      &cobra.Command{},
		getenv:   func(string) string { return "" },
		platform: c.platform,
		file:     configFile{global: global, sections: map[string]map[string]string{c.platform: c.keys}},
		serveKey: func(key string) string { return "credentials." + c.name + "." + key },
	}
}

// build builds the credential's provider through the CLI's table of
// platforms. src is nil for a platform whose tokens are optional and not
// configured (alimqtt without resources).
func (c credConfig) build() (iotauth.TokenSource, error) {
	if key, ok := optionalTokenKey[c.platform]; ok && c.keys[key] == "" {
		// Built to check the settings; MQTT logins are made per request.
		_, closeLogins, err := serveMQTTLogins[c.platform](c.settings(), nil, nil)
		if closeLogins != nil {
			closeLogins()
		}
		return nil, err
	}
	return c.settings().tokenSource()
}

// optionalTokenKey names, for a platform whose credential may have no token
// source, the key without which it has none.
var optionalTokenKey = map[string]string{"alimqtt": "resources"}
