package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
)

// The platform ids, as --platform takes them.
var platformIDs = []string{"oceanconnect", "mxchip", "cloudstudio", "alimqtt", "iotda"}

// option is one non-secret setting that a flag, an IOTAUTH_* variable and
// the config file can all give.
type option struct {
	key  string // config file key and, upper-cased, the variable's suffix
	flag string // flag name
	uses []use  // the platforms that read it, and where
}

// use is what a setting means on one platform, and the commands that read
// it there.
type use struct {
	platform string
	usage    string
	cmds     []string
}

// The commands that take a platform, and the platforms each serves.
var commandPlatforms = map[string][]string{
	"token":  {"oceanconnect", "mxchip", "cloudstudio", "alimqtt", "iotda"},
	"header": {"oceanconnect", "mxchip", "cloudstudio", "iotda"},
	"mqtt":   {"alimqtt", "mxchip", "iotda"},
	"revoke": {"cloudstudio", "alimqtt"},
}

var (
	httpCmds  = []string{"token", "header"}
	csCmds    = []string{"token", "header", "revoke"}
	aliCmds   = []string{"token", "mqtt", "revoke"}
	mxchipAll = []string{"token", "header", "mqtt"}
)

// options are the per-platform non-secret settings. A key means the same
// thing on every platform that uses it, so one flag serves them all; a
// command shows only the flags its platforms read.
var options = []option{
	{"base_url", "base-url", []use{
		{"oceanconnect", "platform base URL, such as https://host:8743", httpCmds},
		{"mxchip", "API base URL (default https://api.fogcloud.io)", mxchipAll},
		{"cloudstudio", "API base URL", csCmds},
		{"alimqtt", "OpenAPI endpoint (default from --region)", aliCmds},
		{"iotda", "IoTDA API endpoint, such as https://{id}.st1.iotda-app.cn-north-4.myhuaweicloud.com", httpCmds},
	}},
	{"app_id", "app-id", []use{
		{"oceanconnect", "application id", httpCmds},
		{"mxchip", "application to create MQTT clients for", []string{"mqtt"}},
	}},
	{"client_id", "client-id", []use{
		{"mxchip", "AccessKey ID", mxchipAll},
		{"cloudstudio", "client the token is created for", csCmds},
	}},
	{"email", "email", []use{{"cloudstudio", "account e-mail", csCmds}}},
	{"description", "description", []use{{"cloudstudio", "token description (made unique on each creation)", httpCmds}}},
	{"expiration", "expiration", []use{{"cloudstudio", "token lifetime, such as 720h (empty: the platform's default)", httpCmds}}},
	{"region_id", "region", []use{{"alimqtt", "region, such as cn-hangzhou", aliCmds}}},
	{"access_key_id", "access-key-id", []use{{"alimqtt", "AccessKey ID", aliCmds}}},
	{"instance_id", "instance-id", []use{{"alimqtt", "MQTT instance id", aliCmds}}},
	{"mqtt_host", "mqtt-host", []use{
		{"alimqtt", "MQTT broker host (default {instance}.mqtt.aliyuncs.com)", []string{"mqtt"}},
		{"iotda", "device access host, such as {id}.st1.iotda-device.cn-north-4.myhuaweicloud.com", []string{"mqtt"}},
	}},
	{"device", "device", []use{
		{"alimqtt", "device client id, GroupID@@@DeviceID", []string{"mqtt", "revoke"}},
		{"iotda", "device id, {product_id}_{node_id} (secret: IOTAUTH_IOTDA_DEVICE_SECRET)", []string{"mqtt"}},
	}},
	{"resources", "resources", []use{{"alimqtt", "comma-separated topics the token grants, such as demo/#", []string{"token", "mqtt"}}}},
	{"actions", "actions", []use{{"alimqtt", "actions the token grants: R, W or R,W", []string{"token", "mqtt"}}}},
	{"lifetime", "lifetime", []use{{"alimqtt", "token lifetime", []string{"token", "mqtt"}}}},
	{"iam_endpoint", "iam-endpoint", []use{{"iotda", "IAM endpoint tokens are obtained from (default https://iam.myhuaweicloud.com)", httpCmds}}},
	{"domain_name", "domain-name", []use{{"iotda", "account (domain) name of the IAM user", httpCmds}}},
	{"user_name", "user-name", []use{{"iotda", "IAM user name (secret: IOTAUTH_IOTDA_PASSWORD)", httpCmds}}},
	{"project_name", "project-name", []use{{"iotda", "project the token is scoped to, such as cn-north-4", httpCmds}}},
	{"access_key", "access-key", []use{{"iotda", "access key id (AK), to sign requests instead (secret: IOTAUTH_IOTDA_SECRET_KEY); for iotauth serve", httpCmds}}},
	{"mqtt_port", "mqtt-port", []use{{"iotda", "MQTT port (default 1883, with 8883 for MQTTS)", []string{"mqtt"}}}},
	{"mqtt_tls_port", "mqtt-tls-port", []use{{"iotda", "MQTTS port (default 8883, with 1883 for MQTT)", []string{"mqtt"}}}},
}

// usageFor is the flag's help on command cmd: what it means on each of the
// command's platforms that read it, or "" when none does.
func (o option) usageFor(cmd string) string {
	var parts []string
	for _, u := range o.uses {
		if slices.Contains(commandPlatforms[cmd], u.platform) && slices.Contains(u.cmds, cmd) {
			parts = append(parts, u.platform+": "+u.usage)
		}
	}
	return strings.Join(parts, "; ")
}

// readBy reports whether platform reads the setting at all.
func (o option) readBy(platform string) bool {
	return slices.ContainsFunc(o.uses, func(u use) bool { return u.platform == platform })
}

// secretKeys are the secret settings of each platform. They have no flag:
// a flag would land in the shell history and in ps.
var secretKeys = map[string][]string{
	"oceanconnect": {"secret"},
	"mxchip":       {"client_secret"},
	"cloudstudio":  {"password"},
	"alimqtt":      {"access_key_secret", "security_token"},
	"iotda":        {"password", "secret_key", "device_secret"},
}

// secretFlags are flag names users may try for a secret; they are refused
// with the way to give the secret instead.
var secretFlags = map[string]string{
	"secret": "secret", "client-secret": "client_secret", "password": "password",
	"access-key-secret": "access_key_secret", "security-token": "security_token",
	"secret-key": "secret_key", "device-secret": "device_secret",
}

// global is a setting that is not per platform.
type global struct{ key, flag, usage string }

// globals are the settings that are not per platform.
var globals = []global{
	{"ca_file", "ca-file", "PEM file of extra certificate authorities to trust (such as the emulator's)"},
	{"store_dir", "store-dir", "directory where tokens are kept between runs (default: iotauth in the user's cache directory, such as ~/.cache/iotauth)"},
}

// addOptionFlags registers --platform and the flags of the settings that
// the platforms of cmd (token, header, mqtt or revoke) read there.
func addOptionFlags(cmd *cobra.Command) {
	name := cmd.Name()
	f := cmd.Flags()
	ps := commandPlatforms[name]
	f.String("platform", "", "platform: "+strings.Join(ps, ", ")+" (or IOTAUTH_PLATFORM)")
	_ = cmd.RegisterFlagCompletionFunc("platform", cobra.FixedCompletions(ps, cobra.ShellCompDirectiveNoFileComp))
	for _, o := range options {
		if u := o.usageFor(name); u != "" {
			f.String(o.flag, "", u)
		}
	}
}

// addGlobalFlags registers --config and the global settings on the root.
func addGlobalFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.String("config", "", "JSON config file with one object per platform (or IOTAUTH_CONFIG)")
	for _, o := range globals {
		f.String(o.flag, "", o.usage)
	}
	f.Bool("no-store", false, "keep no token between runs, and delete a Cloud Studio token created by this run on exit (or IOTAUTH_NO_STORE=1)")
}

// settings resolves the settings of one command run: a flag wins over an
// IOTAUTH_* variable, which wins over the config file.
type settings struct {
	cmd        *cobra.Command
	getenv     func(string) string
	platform   string
	file       configFile
	stdinTaken bool // a secret was read from standard input (_FILE=-)
	// serveKey, set for a credential of 'iotauth serve', names a key of
	// its config (credentials.<name>.<key>) in messages: the config is the
	// only source of serve's settings.
	serveKey func(key string) string
}

// configFile is the parsed --config file: global keys and one section per
// platform, every value a string.
type configFile struct {
	path     string
	global   map[string]string
	sections map[string]map[string]string
}

// loadSettings reads the config file, if any, and the platform (when the
// command takes one).
func loadSettings(cmd *cobra.Command, getenv func(string) string, needPlatform bool) (*settings, error) {
	s := &settings{cmd: cmd, getenv: getenv}
	path := s.flagOr("config", "IOTAUTH_CONFIG")
	if path != "" {
		f, err := readConfigFile(path)
		if err != nil {
			return nil, err
		}
		s.file = f
	}
	if !needPlatform {
		return s, nil
	}
	p := s.flagOr("platform", "IOTAUTH_PLATFORM")
	if p == "" {
		return nil, &settingError{"missing setting: set --platform (or IOTAUTH_PLATFORM) to one of " + strings.Join(platformIDs, ", ")}
	}
	if !isPlatform(p) {
		return nil, &usageError{fmt.Sprintf("unknown platform %q: want one of %s", p, strings.Join(platformIDs, ", "))}
	}
	s.platform = p
	return s, nil
}

func isPlatform(p string) bool {
	for _, id := range platformIDs {
		if id == p {
			return true
		}
	}
	return false
}

// flagOr returns the flag's value when it was given, else the variable's.
func (s *settings) flagOr(flag, env string) string {
	if f := s.cmd.Flags().Lookup(flag); f != nil && f.Changed {
		return f.Value.String()
	}
	return s.getenv(env)
}

// envName is the variable of a platform's setting, IOTAUTH_OCEANCONNECT_APP_ID.
func envName(platform, key string) string {
	if platform == "" {
		return "IOTAUTH_" + strings.ToUpper(key)
	}
	return "IOTAUTH_" + strings.ToUpper(platform) + "_" + strings.ToUpper(key)
}

// lookup tells where key is set: its variable, its flag, and whether it is
// a global setting rather than a platform's.
func (s *settings) lookup(key string) (env, flag string, global bool) {
	for _, o := range globals {
		if o.key == key {
			return envName("", key), o.flag, true
		}
	}
	for _, o := range options {
		if o.key == key {
			flag = o.flag
		}
	}
	return envName(s.platform, key), flag, false
}

// get returns a setting of the command's platform, or a global one, or ""
// when it is not set anywhere.
func (s *settings) get(key string) string {
	env, flag, global := s.lookup(key)
	if v := s.flagOr(flag, env); v != "" {
		return v
	}
	if global {
		return s.file.global[key]
	}
	return s.file.sections[s.platform][key]
}

// need returns a setting that must be set, or an error naming where to set it.
func (s *settings) need(key string) (string, error) {
	if v := s.get(key); v != "" {
		return v, nil
	}
	if s.serveKey != nil {
		return "", &settingError{fmt.Sprintf("%s: missing", s.serveKey(key))}
	}
	env, flag, global := s.lookup(key)
	where := fmt.Sprintf("%q in the config file's %q section", key, s.platform)
	if global {
		where = fmt.Sprintf("%q in the config file", key)
	}
	return "", &settingError{fmt.Sprintf("missing setting: set %s (or --%s, or %s)", env, flag, where)}
}

// secret returns a secret setting: from IOTAUTH_<PLATFORM>_<KEY>, from the
// file named by IOTAUTH_<PLATFORM>_<KEY>_FILE, or from the config file's
// "<key>" or "<key>_file". Trailing newlines of a file are dropped.
func (s *settings) secret(key string, required bool) (iotauth.Secret, error) {
	env := envName(s.platform, key)
	if v := s.getenv(env); v != "" {
		return iotauth.Secret(v), nil
	}
	path := s.getenv(env + "_FILE")
	if path == "" {
		if v := s.file.sections[s.platform][key]; v != "" {
			return iotauth.Secret(v), nil
		}
		path = s.file.sections[s.platform][key+"_file"]
	}
	fileLabel := env + "_FILE"
	if s.serveKey != nil {
		env, fileLabel = s.serveKey(key), s.serveKey(key+"_file")
	}
	if path != "" {
		b, err := s.readSecretFile(path)
		if err != nil {
			return "", &settingError{fmt.Sprintf("%s: cannot read the secret file: %v", fileLabel, err)}
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			if path == "-" {
				path = "on standard input"
			}
			return "", &settingError{fmt.Sprintf("%s: the secret %s is empty", fileLabel, path)}
		}
		return iotauth.Secret(v), nil
	}
	if !required {
		return "", nil
	}
	if s.serveKey != nil {
		return "", &settingError{fmt.Sprintf("%s: missing: set %q or %q (a file holding it)", env, key, key+"_file")}
	}
	return "", &settingError{fmt.Sprintf("missing secret: set %s or %s (a file holding it), or %q or %q in the config file's %q section; secrets are never taken from flags",
		env, env+"_FILE", key, key+"_file", s.platform)}
}

// maxSecretFile bounds what a secret file is read for: a secret is a line.
const maxSecretFile = 64 << 10

// readSecretFile reads a secret from path, or from standard input when path
// is "-" (once per run: two secrets cannot both come from it).
func (s *settings) readSecretFile(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if s.serveKey != nil {
			return nil, errors.New("serve reads no secret from standard input (-): name a file")
		}
		if s.stdinTaken {
			return nil, errors.New("standard input (-) was already read for another secret")
		}
		s.stdinTaken = true
		r = s.cmd.InOrStdin()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, pathError(err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	if err != nil {
		return nil, pathError(err)
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d KiB: not a secret", path, maxSecretFile>>10)
	}
	return b, nil
}

// pathError drops the operation from an *os.PathError, keeping path and cause.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// readConfigFile parses the JSON config file:
//
//	{"store_dir": "/var/lib/iotauth",
//	 "oceanconnect": {"base_url": "https://host:8743", "app_id": "…", "secret_file": "/run/secrets/oc"}}
//
// Values may be strings or numbers. Unknown sections and keys are errors, so
// that a typo does not go unnoticed.
//
// A file that holds a secret itself (not a *_file path) must not be
// readable or writable by group or others, as ssh requires of its keys.
func readConfigFile(path string) (configFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return configFile{}, &settingError{fmt.Sprintf("config file: %v", pathError(err))}
	}
	f, err := parseConfig(path, b)
	if err != nil {
		return f, err
	}
	if key := f.secretKey(); key != "" && runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			return f, &settingError{fmt.Sprintf("config file: %v", pathError(err))}
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return f, &settingError{fmt.Sprintf("config file %s holds a secret (%q) but has mode %#o, open to group or others: chmod 600 %s, or name a file holding the secret with %q",
				path, key, perm, path, key+"_file")}
		}
	}
	return f, nil
}

// secretKey returns a "platform.key" of a secret the file holds itself, or
// "" when it holds none.
func (f configFile) secretKey() string {
	for _, p := range platformIDs {
		for _, k := range secretKeys[p] {
			if f.sections[p][k] != "" {
				return p + "." + k
			}
		}
	}
	return ""
}

// parseConfig parses the config file's contents b, read from path.
func parseConfig(path string, b []byte) (configFile, error) {
	f := configFile{path: path, global: map[string]string{}, sections: map[string]map[string]string{}}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return f, &settingError{fmt.Sprintf("config file %s: not a JSON object: %v", path, err)}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isPlatform(k) {
			sec, err := readSection(path, k, raw[k])
			if err != nil {
				return f, err
			}
			f.sections[k] = sec
			continue
		}
		if !isGlobalKey(k) {
			return f, &settingError{fmt.Sprintf("config file %s: unknown key %q (want %s, or a platform section)", path, k, globalKeyList())}
		}
		v, err := scalar(raw[k])
		if err != nil {
			return f, &settingError{fmt.Sprintf("config file %s: %q: %v", path, k, err)}
		}
		f.global[k] = v
	}
	return f, nil
}

func readSection(path, platform string, raw json.RawMessage) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, &settingError{fmt.Sprintf("config file %s: section %q is not a JSON object", path, platform)}
	}
	sec := map[string]string{}
	for k, r := range obj {
		if !isSectionKey(platform, k) {
			return nil, &settingError{fmt.Sprintf("config file %s: unknown key %q in section %q", path, k, platform)}
		}
		v, err := scalar(r)
		if err != nil {
			return nil, &settingError{fmt.Sprintf("config file %s: %s.%s: %v", path, platform, k, err)}
		}
		sec[k] = v
	}
	return sec, nil
}

// scalar turns a JSON string, number or boolean into its text.
func scalar(r json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(r, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return strings.TrimSpace(string(r)), nil
	}
	return "", fmt.Errorf("want a string or a number")
}

func isGlobalKey(k string) bool {
	for _, o := range globals {
		if o.key == k {
			return true
		}
	}
	return false
}

func globalKeyList() string {
	var ks []string
	for _, o := range globals {
		ks = append(ks, fmt.Sprintf("%q", o.key))
	}
	return strings.Join(ks, ", ")
}

func isSectionKey(platform, k string) bool {
	for _, o := range options {
		if o.key == k && o.readBy(platform) {
			return true
		}
	}
	for _, sk := range secretKeys[platform] {
		if k == sk || k == sk+"_file" {
			return true
		}
	}
	return false
}
