package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
)

// apiToken is the bearer of the token API in these tests.
const apiToken = "serve-test-api-token-0123456789"

// serveEnv is a directory with an api token file, beside the emulators.
type serveEnv struct {
	t   *testing.T
	dir string
	emu *iotauthtest.Server
}

func newServeEnv(t *testing.T) *serveEnv {
	emu := iotauthtest.NewServer()
	t.Cleanup(emu.Close)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "api.token"), []byte(apiToken+"\n"), 0o600))
	return &serveEnv{t: t, dir: dir, emu: emu}
}

// credentials is a credentials section for every platform of the emulators;
// extra is added to the oceanconnect one.
func (e *serveEnv) credentials(extra string) string {
	u := e.emu.URL
	return fmt.Sprintf(`credentials:
  oc:
    platform: oceanconnect
    base_url: %s
    app_id: %s
    secret: %s
%s
  mx:
    platform: mxchip
    base_url: %s
    client_id: %s
    client_secret: %s
    app_id: %s
  cs:
    platform: cloudstudio
    base_url: %s
    email: %s
    password: %s
    client_id: %d
  ali:
    platform: alimqtt
    base_url: %s
    region_id: %s
    access_key_id: %s
    access_key_secret: %s
    instance_id: %s
    resources: [demo/#]
`, u, iotauthtest.OceanConnectAppID, iotauthtest.OceanConnectSecret, extra,
		u, iotauthtest.MXCHIPClientID, iotauthtest.MXCHIPClientSecret, iotauthtest.MXCHIPAppID,
		u, iotauthtest.CloudStudioEmail, iotauthtest.CloudStudioPassword, iotauthtest.CloudStudioClientID,
		u, iotauthtest.EmulatorRegion, iotauthtest.AlibabaAccessKeyID, iotauthtest.AlibabaAccessKeySecret, iotauthtest.AlibabaInstanceID)
}

// config writes a config file: the listen address, the api token file and
// then body.
func (e *serveEnv) config(name, body string) string {
	path := filepath.Join(e.dir, name)
	full := fmt.Sprintf("listen: 127.0.0.1:0\napi_token_file: %s\n%s", filepath.Join(e.dir, "api.token"), body)
	require.NoError(e.t, os.WriteFile(path, []byte(full), 0o600))
	return path
}

// agentProc is one 'iotauth serve' process.
type agentProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string // host:port, or the socket path

	mu    sync.Mutex
	lines []string
	grew  *sync.Cond
	ended bool
}

// startAgent starts the binary on config and waits for its "listening" log.
func startAgent(t *testing.T, config string, env ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", config)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	a := &agentProc{t: t, cmd: cmd}
	a.grew = sync.NewCond(&a.mu)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			a.mu.Lock()
			a.lines = append(a.lines, sc.Text())
			a.grew.Broadcast()
			a.mu.Unlock()
		}
		a.mu.Lock()
		a.ended = true
		a.grew.Broadcast()
		a.mu.Unlock()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line := a.waitLog(`"msg":"iotauth serve: listening"`)
	var rec struct{ Addr string }
	require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
	a.addr = rec.Addr
	return a
}

// waitLog waits for a log line containing s, from the start of the log,
// and returns it; it fails when the process ends without one.
func (a *agentProc) waitLog(s string) string {
	a.t.Helper()
	return a.waitLogAfter(0, s)
}

func (a *agentProc) waitLogAfter(from int, s string) string {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := from; ; i++ {
		for i >= len(a.lines) {
			if a.ended {
				a.t.Fatalf("the agent ended without logging %q; its log:\n%s", s, strings.Join(a.lines, "\n"))
			}
			a.grew.Wait()
		}
		if strings.Contains(a.lines[i], s) {
			return a.lines[i]
		}
	}
}

// logLen is the number of log lines so far.
func (a *agentProc) logLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.lines)
}

func (a *agentProc) log() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.lines, "\n")
}

func (a *agentProc) url(path string) string { return "http://" + a.addr + path }

// wait waits for the process to exit and returns its exit code.
func (a *agentProc) wait() int {
	a.t.Helper()
	err := a.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(a.t, err)
	return 0
}

// curl runs curl with args and returns the body and the HTTP status.
func curl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command("curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndex(s, "\n")
	code, err := strconv.Atoi(s[i+1:])
	require.NoError(t, err, s)
	return s[:max(i, 0)], code
}

// python runs a python3 program with args.
func python(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := exec.Command("python3", append([]string{"-c", prog}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}

const bearer = "Authorization: Bearer " + apiToken

func TestServe_Check_GoodConfigExits0(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", e.credentials(""))
	r := cli(t, nil, "serve", "--check", "--config", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ok (4 credentials: ali, cs, mx, oc)")
	r = cli(t, map[string]string{"IOTAUTH_SERVE_CONFIG": cfg}, "serve", "--check")
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestServe_Check_EveryProblemNamedByKey(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("bad.yaml", `listnen: x
store: {dir: /tmp, redis: {addr: "127.0.0.1:6379"}}
credentials:
  oc:
    platform: oceanconnect
    base_url: https://iot.example.com:8743
    app_id: a
    secert: s
  v1: {platform: mxchip}
  Bad_Name: {platform: mxchip}
  x: {platform: nosuch}
  mx:
    platform: mxchip
    client_secret_file: /nonexistent/secret
`)
	r := cli(t, nil, "serve", "--check", "--config", cfg)
	require.Equal(t, 2, r.code, r.stderr)
	for _, want := range []string{
		"listnen: unknown key",
		"store: give dir or redis, not both",
		"credentials.oc.secert: unknown key for platform oceanconnect",
		`credentials.v1: "v1" is reserved`,
		"credentials.Bad_Name: a credential's name is made of a-z, 0-9 and -",
		`credentials.x.platform: unknown platform "nosuch"`,
	} {
		assert.Contains(t, r.stderr, want)
	}
	// Once the keys are known, the credentials are built: their problems too.
	cfg = e.config("bad2.yaml", `credentials:
  oc: {platform: oceanconnect, base_url: "https://iot.example.com:8743", secret: s}
  mx: {platform: mxchip, client_id: c, client_secret_file: /nonexistent/secret}
`)
	r = cli(t, nil, "serve", "--check", "--config", cfg)
	require.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "credentials.oc.app_id: missing")
	assert.Contains(t, r.stderr, "credentials.mx.client_secret_file: cannot read the secret file")
}

func TestServe_Check_SecretInAReadableConfigRefused_SecretFileAccepted(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", e.credentials(""))
	require.NoError(t, os.Chmod(cfg, 0o644))
	r := cli(t, nil, "serve", "--check", "--config", cfg)
	require.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "holds a secret but has mode 0644")
	assert.NotContains(t, r.stderr, iotauthtest.OceanConnectSecret)

	secret := filepath.Join(e.dir, "oc.secret")
	require.NoError(t, os.WriteFile(secret, []byte(iotauthtest.OceanConnectSecret+"\n"), 0o600))
	cfg = e.config("files.yaml", fmt.Sprintf(`credentials:
  oc: {platform: oceanconnect, base_url: %q, app_id: %s, secret_file: %s}
`, e.emu.URL, iotauthtest.OceanConnectAppID, secret))
	require.NoError(t, os.Chmod(cfg, 0o644))
	r = cli(t, nil, "serve", "--check", "--config", cfg)
	require.Equal(t, 0, r.code, r.stderr)

	a := startAgent(t, cfg)
	_, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	assert.Equal(t, 200, code)
}

func TestServe_IOTAUTHVariablesDoNotApply(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", fmt.Sprintf(`credentials:
  oc: {platform: oceanconnect, base_url: %q, secret: s}
`, e.emu.URL))
	r := cli(t, map[string]string{"IOTAUTH_OCEANCONNECT_APP_ID": "from-the-shell"}, "serve", "--check", "--config", cfg)
	require.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "credentials.oc.app_id: missing")

	// A variable cannot redirect a configured credential either.
	cfg = e.config("good.yaml", e.credentials(""))
	a := startAgent(t, cfg, "IOTAUTH_OCEANCONNECT_BASE_URL=http://127.0.0.1:1", "IOTAUTH_OCEANCONNECT_SECRET=wrong")
	_, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	assert.Equal(t, 200, code)
	r = cli(t, nil, "serve", "--store-dir", e.dir, "--config", cfg)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--store-dir does not apply")
}

func TestServe_NonLoopbackWithoutTLS_Exit2(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", e.credentials(""))
	b, _ := os.ReadFile(cfg)
	require.NoError(t, os.WriteFile(cfg, []byte(strings.Replace(string(b), "127.0.0.1:0", "0.0.0.0:0", 1)), 0o600))
	r := cli(t, nil, "serve", "--config", cfg)
	require.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "listen: 0.0.0.0:0 is not a loopback address")
}

func TestServe_Proxy_Curl(t *testing.T) {
	e := newServeEnv(t)
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))

	// OceanConnect: app_key and the bearer added; the client's own dropped.
	body, code := curl(t, "-H", "Authorization: Bearer forged", "-H", "app_key: forged", "-i",
		a.url("/oc/iocm/app/dm/v1.4.0/devices?pageNo=0"))
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, `"devices":[]`)
	tok := e.tokenOf(t, a, "oc")
	assert.NotContains(t, body, tok, "a response header carries the token")
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins())

	// Cloud Studio: the token goes into the JSON body of a .svc call.
	body, code = curl(t, "-X", "POST", "-H", "Content-Type: application/json", "-d", "{}",
		a.url("/cs/services/gear/DashboardService.svc/GetDashboards"))
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, "GetDashboardsResult")

	// Routes that could leave a credential's base URL are refused.
	body, code = curl(t, "--path-as-is", a.url("/oc/../mx/v3/open_api/token/"))
	assert.Equal(t, 400, code, body)
	body, code = curl(t, "--path-as-is", a.url("/oc/./iocm"))
	assert.Equal(t, 400, code, body)
	body, code = curl(t, a.url("/oc/iocm%2F..%2Fx"))
	assert.Equal(t, 400, code, body)
	body, code = curl(t, "--path-as-is", a.url("/oc/%2e%2e/mx/v3/open_api/token/"))
	assert.Equal(t, 400, code, body)
	body, code = curl(t, a.url("/nosuch/iocm"))
	assert.Equal(t, 404, code, body)
	assert.Contains(t, body, `"error":"unknown_credential"`)
	body, code = curl(t, a.url("/ali/x"))
	assert.Equal(t, 404, code, body)
}

// tokenOf gets a credential's token through the token API.
func (e *serveEnv) tokenOf(t *testing.T, a *agentProc, name string) string {
	t.Helper()
	body, code := curl(t, "-H", bearer, a.url("/v1/credentials/"+name+"/token"))
	require.Equal(t, 200, code, body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	return tok.AccessToken
}

func TestServe_RefusedCredentials_503JSON_NoSecret_ReadyzNamesThem(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", fmt.Sprintf(`credentials:
  oc: {platform: oceanconnect, base_url: %q, app_id: %s, secret: wrong-secret-xyz}
`, e.emu.URL, iotauthtest.OceanConnectAppID))
	a := startAgent(t, cfg)
	body, code := curl(t, a.url("/readyz"))
	assert.Equal(t, 200, code, "no login needed yet: ready: %s", body)
	body, code = curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	assert.Equal(t, 503, code, body)
	assert.Contains(t, body, `"error":"invalid_credentials"`)
	assert.NotContains(t, body, "wrong-secret-xyz")
	body, code = curl(t, a.url("/readyz"))
	assert.Equal(t, 503, code, body)
	assert.JSONEq(t, `{"status":"failing","failing":{"oc":"invalid_credentials"}}`, body)
	body, code = curl(t, a.url("/healthz"))
	assert.Equal(t, 200, code, body)
	assert.NotContains(t, a.log(), "wrong-secret-xyz")
}

const pyGet = `
import json, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers=dict(h.split(": ", 1) for h in sys.argv[2:]))
try:
    with urllib.request.urlopen(req) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
`

func TestServe_TokenAPI_PythonUrllib(t *testing.T) {
	e := newServeEnv(t)
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))

	out := python(t, pyGet, a.url("/v1/credentials/oc/token"))
	assert.True(t, strings.HasPrefix(out, "401 "), out)
	out = python(t, pyGet, a.url("/v1/credentials/oc/token"), "Authorization: Bearer "+apiToken+"x")
	assert.True(t, strings.HasPrefix(out, "401 "), out)

	// The token API's headers make a Python program's own call.
	out = python(t, pyGet, a.url("/v1/credentials/oc/headers"), bearer)
	require.True(t, strings.HasPrefix(out, "200 "), out)
	var hs struct{ Headers map[string]string }
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(out, "200 ")), &hs))
	assert.Equal(t, iotauthtest.OceanConnectAppID, hs.Headers["app_key"])
	args := []string{e.emu.URL + "/iocm/app/dm/v1.4.0/devices"}
	for k, v := range hs.Headers {
		args = append(args, k+": "+v)
	}
	out = python(t, pyGet, args...)
	assert.True(t, strings.HasPrefix(out, "200 "), out)

	out = python(t, pyGet, a.url("/v1/credentials/oc/token"), bearer)
	require.True(t, strings.HasPrefix(out, "200 "), out)
	var tok map[string]string
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(out, "200 ")), &tok))
	assert.Equal(t, "Bearer", tok["token_type"])
	_, err := time.Parse(time.RFC3339, tok["expiry"])
	assert.NoError(t, err)
	assert.Equal(t, hs.Headers["Authorization"], "Bearer "+tok["access_token"])
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "the proxy, token and headers share one login")

	out = python(t, pyGet, a.url("/v1/credentials/nosuch/token"), bearer)
	assert.True(t, strings.HasPrefix(out, "404 "), out)
	out = python(t, pyGet, a.url("/v1/credentials/mx/mqtt"), bearer)
	assert.True(t, strings.HasPrefix(out, "200 "), out)
}

func TestServe_AlibabaWithoutResources_TokenIs404(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", strings.Replace(e.credentials(""), "    resources: [demo/#]\n", "", 1))
	a := startAgent(t, cfg)
	body, code := curl(t, "-H", bearer, a.url("/v1/credentials/ali/token"))
	assert.Equal(t, 404, code, body)
	assert.Contains(t, body, "only when resources is configured")
	body, code = curl(t, "-H", bearer, a.url("/v1/credentials/ali/mqtt?client_id=GID_test@@@dev1&mode=signature"))
	assert.Equal(t, 200, code, body)
	assert.Contains(t, body, `"username":"Signature|`)
}

func TestServe_MQTT_MosquittoPubConnectsWithALoginFromTheAgent(t *testing.T) {
	e := newServeEnv(t)
	broker, err := mqttbroker.Start(e.emu)
	require.NoError(t, err)
	t.Cleanup(func() { broker.Close() })
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))

	for _, q := range []string{
		"/v1/credentials/mx/mqtt",
		"/v1/credentials/ali/mqtt?client_id=GID_test@@@dev1",
		"/v1/credentials/ali/mqtt?client_id=GID_test@@@dev2&mode=signature",
		"/v1/credentials/ali/mqtt?client_id=GID_test@@@dev3&mode=token",
	} {
		body, code := curl(t, "-H", bearer, a.url(q))
		require.Equal(t, 200, code, body)
		var l mqttLoginJSON
		require.NoError(t, json.Unmarshal([]byte(body), &l))
		out, err := exec.Command("mosquitto_pub", "-h", broker.Host, "-p", strconv.Itoa(broker.Port),
			"-i", l.ClientID, "-u", l.Username, "-P", l.Password, "-t", "demo/serve", "-m", "hello", "-q", "1").CombinedOutput()
		assert.NoError(t, err, "%s: %s", q, out)
		assert.GreaterOrEqual(t, broker.Connects(l.ClientID), 1, q)
	}
	// A wrong password is refused by the broker: the test can fail.
	out, err := exec.Command("mosquitto_pub", "-h", broker.Host, "-p", strconv.Itoa(broker.Port),
		"-i", "GID_test@@@dev9", "-u", "Signature|x|y", "-P", "wrong", "-t", "demo/serve", "-m", "hello").CombinedOutput()
	assert.Error(t, err, "%s", out)
}

func TestServe_TwoAgentsOneStore_OneLogin_TokenFile(t *testing.T) {
	e := newServeEnv(t)
	sink := filepath.Join(e.dir, "oc.token")
	body := fmt.Sprintf("store: {dir: %s}\n", filepath.Join(e.dir, "store")) + e.credentials("    token_file: "+sink)
	a1 := startAgent(t, e.config("a1.yaml", body))
	a2 := startAgent(t, e.config("a2.yaml", body))
	for _, a := range []*agentProc{a1, a2, a1, a2} {
		b, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
		require.Equal(t, 200, code, b)
	}
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "two agents on one store log in once")
	assert.Equal(t, e.tokenOf(t, a1, "oc"), e.tokenOf(t, a2, "oc"))

	tok := e.tokenOf(t, a1, "oc")
	a1.waitLog("iotauth serve: token file written")
	got, err := os.ReadFile(sink)
	require.NoError(t, err)
	assert.Equal(t, tok, string(got))
	fi, err := os.Stat(sink)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestServe_Kill9AndRestartWithAStore_ReusesTheToken(t *testing.T) {
	e := newServeEnv(t)
	cfg := e.config("serve.yaml", fmt.Sprintf("store: {dir: %s}\n", filepath.Join(e.dir, "store"))+e.credentials(""))
	a := startAgent(t, cfg)
	_, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGKILL))
	_ = a.cmd.Wait()

	b := startAgent(t, cfg)
	_, code = curl(t, b.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "the restarted agent took the stored token")
}

func TestServe_SIGHUP_GoodConfigApplied_BadConfigRefused(t *testing.T) {
	e := newServeEnv(t)
	oc := fmt.Sprintf("credentials:\n  oc: {platform: oceanconnect, base_url: %q, app_id: %s, secret: %s}\n",
		e.emu.URL, iotauthtest.OceanConnectAppID, iotauthtest.OceanConnectSecret)
	cfg := e.config("serve.yaml", oc)
	a := startAgent(t, cfg)
	_, code := curl(t, a.url("/mx/v3/open_api/token/"))
	assert.Equal(t, 404, code)

	// Good: mx added, oc unchanged (kept, with its token).
	_, code = curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	n := a.logLen()
	e.config("serve.yaml", e.credentials(""))
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))
	line := a.waitLogAfter(n, "iotauth serve: reloaded")
	assert.Contains(t, line, `"added":["ali","cs","mx"]`)
	assert.Contains(t, line, `"removed":[]`)
	body, code := curl(t, "-H", bearer, a.url("/v1/credentials/mx/mqtt"))
	assert.Equal(t, 200, code, body)
	_, code = curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	assert.Equal(t, 200, code)
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "an unchanged credential keeps its token")

	// Bad: refused and logged; the running config keeps serving.
	n = a.logLen()
	e.config("serve.yaml", "credentials:\n  oc: {platform: oceanconnect, colour: blue}\n")
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))
	line = a.waitLogAfter(n, "reload refused")
	assert.Contains(t, line, "credentials.oc.colour: unknown key")
	_, code = curl(t, a.url("/mx/v3/open_api/token/"))
	assert.NotEqual(t, 404, code)
	_, code = curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	assert.Equal(t, 200, code)

	// Good again: everything but oc removed.
	n = a.logLen()
	e.config("serve.yaml", oc)
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))
	line = a.waitLogAfter(n, "iotauth serve: reloaded")
	assert.Contains(t, line, `"removed":["ali","cs","mx"]`)
	_, code = curl(t, a.url("/mx/v3/open_api/token/"))
	assert.Equal(t, 404, code)
}

func TestServe_SIGTERM_DrainsAndExits0(t *testing.T) {
	e := newServeEnv(t)
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))
	e.emu.OceanConnect.SetLatency(300 * time.Millisecond)
	done := make(chan int, 1)
	go func() {
		out, _ := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", a.url("/oc/iocm/app/dm/v1.4.0/devices")).Output()
		code, _ := strconv.Atoi(string(out))
		done <- code
	}()
	a.waitLog(`"msg":"iotauth: login"`) // the request is in flight: its login is done, its call is slow
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, a.wait())
	assert.Equal(t, 200, <-done, "the request in flight finished")
	assert.Contains(t, a.log(), "iotauth serve: stopped")
}

func TestServe_UnixSocket_ModeIsTheAccessControl(t *testing.T) {
	e := newServeEnv(t)
	sock := filepath.Join(e.dir, "agent.sock")
	path := filepath.Join(e.dir, "serve.yaml")
	require.NoError(t, os.WriteFile(path, []byte("listen: unix:"+sock+"\n"+e.credentials("")), 0o600))
	a := startAgent(t, path)
	fi, err := os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	body, code := curl(t, "--unix-socket", sock, "http://agent/v1/credentials/oc/token")
	assert.Equal(t, 200, code, body)
	body, code = curl(t, "--unix-socket", sock, "http://agent/oc/iocm/app/dm/v1.4.0/devices")
	assert.Equal(t, 200, code, body)
	_ = a
}

func TestServe_TLS_EveryRouteRequiresTheBearer(t *testing.T) {
	e := newServeEnv(t)
	cert, key := writeCert(t, e.dir)
	path := filepath.Join(e.dir, "serve.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf("listen: 0.0.0.0:0\napi_token_file: %s\ntls_cert_file: %s\ntls_key_file: %s\n%s",
		filepath.Join(e.dir, "api.token"), cert, key, e.credentials(""))), 0o600))
	a := startAgent(t, path)
	_, port, _ := net.SplitHostPort(a.addr)
	u := "https://localhost:" + port
	for _, p := range []string{"/oc/iocm/app/dm/v1.4.0/devices", "/metrics", "/healthz", "/v1/credentials/oc/token"} {
		body, code := curl(t, "--cacert", cert, "--resolve", "localhost:"+port+":127.0.0.1", u+p)
		assert.Equal(t, 401, code, "%s: %s", p, body)
		body, code = curl(t, "--cacert", cert, "--resolve", "localhost:"+port+":127.0.0.1", "-H", bearer, u+p)
		assert.Equal(t, 200, code, "%s: %s", p, body)
	}
}

// writeCert writes a self-signed certificate for localhost and its key.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

func TestServe_Metrics_PrometheusText(t *testing.T) {
	e := newServeEnv(t)
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))
	_, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	body, code := curl(t, a.url("/metrics"))
	require.Equal(t, 200, code)
	assert.Contains(t, body, `iotauth_cache_logins_total{iotauth_outcome="ok",iotauth_platform="oceanconnect"`)
	assert.Contains(t, body, "# TYPE iotauth_cache_logins_total counter")
}

// MXCHIP answers a refused token with HTTP 200 and meta.code 10101 in the
// envelope. Through the proxy, the client never sees that answer: the agent
// logs in once more and resends the request.
func TestServe_Proxy_MXCHIPRejectionInA200_OneLoginAndTheRequestResent(t *testing.T) {
	e := newServeEnv(t)
	a := startAgent(t, e.config("serve.yaml", e.credentials("")))
	body, code := curl(t, a.url("/mx/v3/open_api/product/ids/"))
	require.Equal(t, 200, code, body)
	require.NotContains(t, body, "10101", body)
	first := e.tokenOf(t, a, "mx")
	logins, rejected := e.emu.MXCHIP.Logins(), e.emu.MXCHIP.Rejected()

	e.emu.MXCHIP.RevokeTokens()
	body, code = curl(t, a.url("/mx/v3/open_api/product/ids/"))
	require.Equal(t, 200, code, body)
	assert.NotContains(t, body, "10101", "the client saw the rejection")
	assert.Contains(t, body, "product id list")
	assert.Equal(t, logins+1, e.emu.MXCHIP.Logins(), "one login after the rejection")
	assert.Equal(t, rejected+1, e.emu.MXCHIP.Rejected(), "one request rejected, then resent")
	assert.NotEqual(t, first, e.tokenOf(t, a, "mx"))
}
