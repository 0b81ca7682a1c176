package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// binary is the iotauth command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "iotauth-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "iotauth")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building iotauth: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary with args and only the environment given (plus PATH
// and HOME), so that the developer's own IOTAUTH_* variables cannot leak in.
func cli(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return cliInput(t, env, "", args...)
}

// cliInput is cli with stdin as the command's standard input. A HOME in env
// replaces the fresh one, so that runs can share a token store.
func cliInput(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// emulator starts the emulators in the test process and returns them with
// the environment that points the command at them.
func emulator(t *testing.T, opts ...iotauthtest.Option) (*iotauthtest.Server, map[string]string) {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	env := map[string]string{}
	for _, v := range emulatorVars(srv.URL, "") {
		env[v[0]] = v[1]
	}
	return srv, env
}

// with returns a copy of env with the changes; an empty value removes a key.
func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./cmd/iotauth -update")
	assert.Equal(t, string(want), got, "output differs from %s; run go test ./cmd/iotauth -update if the change is intended", path)
}

// requireOneLine checks that a failure is reported on one line of stderr
// (plus the usage hint for bad usage) and nothing on stdout.
func requireOneLine(t *testing.T, r result) string {
	t.Helper()
	assert.Empty(t, r.stdout)
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	require.NotEmpty(t, lines)
	assert.LessOrEqual(t, len(lines), 2, "stderr: %q", r.stderr)
	assert.True(t, strings.HasPrefix(lines[0], "iotauth: "), "stderr: %q", r.stderr)
	return lines[0]
}

func TestHelp_EveryCommand_MatchesGolden(t *testing.T) {
	for _, c := range []string{"", "demo", "emulate", "token", "header", "mqtt", "revoke", "serve", "version"} {
		name := c
		if name == "" {
			name = "root"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"--help"}
			if c != "" {
				args = []string{c, "--help"}
			}
			r := cli(t, nil, args...)
			require.Equal(t, 0, r.code, r.stderr)
			golden(t, "help-"+name+".golden", r.stdout)
		})
	}
}

// demoMasks hide what changes from run to run: the port, the device
// credential's id and the request counts.
var demoMasks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`DC\.[0-9a-f]+`), "DC.ID"},
	{regexp.MustCompile(`\d+ requests to OceanConnect`), "N requests to OceanConnect"},
	{regexp.MustCompile(`(?m)^(\w+ +\d+ +\d+) +\d+( +\d+)$`), "${1} N${2}"},
}

func TestDemo_EveryFigureAsExpected_TableMatchesGolden(t *testing.T) {
	r := cli(t, nil, "demo")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr)
	out := r.stdout
	for _, m := range demoMasks {
		out = m.re.ReplaceAllString(out, m.repl)
	}
	golden(t, "demo.golden", out)
	assert.NotContains(t, r.stdout, iotauthtest.AlibabaAccessKeySecret)
	assert.NotContains(t, r.stdout, demoBadPassword)
}

func TestDemo_RejectsArguments_ExitsTwo(t *testing.T) {
	r := cli(t, nil, "demo", "extra")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "takes no arguments")
}

func TestToken_OceanConnect_PrintsTheTokenThePlatformAccepts(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
	tok := strings.TrimSpace(r.stdout)
	assert.True(t, srv.OceanConnect.ValidToken(tok), "printed %q", tok)
	assert.Equal(t, int64(1), srv.OceanConnect.Logins())
}

func TestToken_JSON_HasExpiryAndRedactsTheRefreshToken(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, env, "token", "--platform", "oceanconnect", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Platform     string    `json:"platform"`
		TokenType    string    `json:"token_type"`
		AccessToken  string    `json:"access_token"`
		RefreshToken string    `json:"refresh_token"`
		Expiry       time.Time `json:"expiry"`
		ExpiresIn    int64     `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "oceanconnect", got.Platform)
	assert.Equal(t, "Bearer", got.TokenType)
	assert.True(t, srv.OceanConnect.ValidToken(got.AccessToken))
	assert.Equal(t, "[REDACTED]", got.RefreshToken)
	assert.True(t, got.Expiry.After(time.Now()), "expiry %v", got.Expiry)
	assert.InDelta(t, 3600, got.ExpiresIn, 5)
}

func TestToken_EveryPlatform_PrintsAnAccessToken(t *testing.T) {
	srv, env := emulator(t)
	for _, tc := range []struct {
		platform string
		args     []string
		issued   func() int64
	}{
		{"mxchip", nil, srv.MXCHIP.Logins},
		{"cloudstudio", nil, srv.CloudStudio.Logins},
		{"alimqtt", []string{"--resources", "iotauth/test/#", "--actions", "R"}, srv.Alibaba.Logins},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			r := cli(t, env, append([]string{"token", "--platform", tc.platform, "--format", "json"}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			var got struct {
				Platform    string `json:"platform"`
				AccessToken string `json:"access_token"`
				Scope       string `json:"scope"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			assert.Equal(t, tc.platform, got.Platform)
			assert.NotEmpty(t, got.AccessToken)
			assert.Equal(t, int64(1), tc.issued())
			if tc.platform == "alimqtt" {
				assert.Equal(t, "R", got.Scope)
			}
		})
	}
	toks := srv.CloudStudio.Tokens()
	require.Len(t, toks, 1)
	assert.Contains(t, toks[0].Description, cloudStudioDescription)
}

func TestToken_StoreDir_SecondRunReusesTheToken(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "IOTAUTH_STORE_DIR", filepath.Join(t.TempDir(), "tokens"))
	first := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, first.code, first.stderr)
	second := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, second.code, second.stderr)
	assert.Equal(t, first.stdout, second.stdout)
	assert.Equal(t, int64(1), srv.OceanConnect.Logins())
	assert.True(t, srv.OceanConnect.ValidToken(strings.TrimSpace(second.stdout)))
}

func TestHeader_OceanConnect_LinesAuthorizeAPlatformCall(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, env, "header", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, r.stdout)
	assert.True(t, strings.HasPrefix(lines[0], "Authorization: Bearer "), lines[0])
	assert.Equal(t, "app_key: "+iotauthtest.OceanConnectAppID, lines[1])

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/iocm/app/dm/v1.4.0/devices", nil)
	require.NoError(t, err)
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ": ")
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestHeader_MXCHIP_PrintsOnlyTheBearerLine(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "header", "--platform", "mxchip")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^Authorization: Bearer \S+\n$`, r.stdout)
}

func TestHeader_Alimqtt_IsBadUsage(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "header", "--platform", "alimqtt")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "iotauth mqtt")
}

// parseLogin reads the "name: value" lines of 'iotauth mqtt'.
func parseLogin(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(l, ":")
		require.True(t, ok, l)
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func TestMQTT_Alibaba_PrintsALoginTheBrokerAccepts(t *testing.T) {
	srv, env := emulator(t)
	const device = "GID_test@@@device-7"
	r := cli(t, env, "mqtt", "--platform", "alimqtt", "--device", device)
	require.Equal(t, 0, r.code, r.stderr)
	l := parseLogin(t, r.stdout)
	assert.Equal(t, device, l["client id"])
	assert.Equal(t, "1883", l["port"])
	assert.Equal(t, "8883", l["tls port"])
	assert.Equal(t, iotauthtest.AlibabaInstanceID+".mqtt.aliyuncs.com", l["host"])
	assert.True(t, strings.HasPrefix(l["username"], "DeviceCredential|"), l["username"])
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(device, l["username"], l["password"]))
	assert.Equal(t, 1, srv.Alibaba.DeviceCredentials())
}

func TestMQTT_MXCHIP_PrintsTheCreatedClient(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, env, "mqtt", "--platform", "mxchip", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Host     string `json:"host"`
		ClientID string `json:"client_id"`
		Username string `json:"username"`
		Password string `json:"password"`
		Port     int    `json:"port"`
		TLSPort  int    `json:"tls_port"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	clients := srv.MXCHIP.Clients()
	require.Len(t, clients, 1)
	c := clients[0]
	assert.Equal(t, iotauthtest.MXCHIPAppID, c.AppID)
	assert.Equal(t, c.MQTTHost, got.Host)
	assert.Equal(t, c.ClientID, got.ClientID)
	assert.Equal(t, c.LoginName, got.Username)
	assert.Equal(t, c.Password, got.Password)
	assert.Equal(t, c.MQTTPort, got.Port)
	assert.Equal(t, c.SSLPort, got.TLSPort)
}

func TestMQTT_MXCHIP_WithoutAppID_NamesTheVariable(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_MXCHIP_APP_ID", ""), "mqtt", "--platform", "mxchip")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "IOTAUTH_MXCHIP_APP_ID")
}

func TestRevoke_CloudStudio_DeletesTheStoredToken(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "IOTAUTH_STORE_DIR", filepath.Join(t.TempDir(), "tokens"))
	first := cli(t, env, "token", "--platform", "cloudstudio")
	require.Equal(t, 0, first.code, first.stderr)
	second := cli(t, env, "token", "--platform", "cloudstudio")
	require.Equal(t, 0, second.code, second.stderr)
	assert.Equal(t, first.stdout, second.stdout, "the second run reuses the stored token")
	require.Equal(t, 1, srv.CloudStudio.ActiveTokens())

	r := cli(t, env, "revoke", "--platform", "cloudstudio")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "cloudstudio: token revoked\n", r.stdout)
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens())
}

func TestRevoke_CloudStudioNoStore_IsBadUsage(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "revoke", "--platform", "cloudstudio", "--no-store")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "--no-store")
}

func TestRevoke_Alibaba_UnregistersTheDeviceCredential(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "IOTAUTH_ALIMQTT_DEVICE", "GID_test@@@device-9")
	require.Equal(t, 0, cli(t, env, "mqtt", "--platform", "alimqtt").code)
	require.Equal(t, 1, srv.Alibaba.DeviceCredentials())
	r := cli(t, env, "revoke", "--platform", "alimqtt")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "GID_test@@@device-9")
	assert.Equal(t, 0, srv.Alibaba.DeviceCredentials())
}

func TestRevoke_OceanConnect_IsBadUsage(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "revoke", "--platform", "oceanconnect")
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r)
}

func TestErrors_MissingSetting_ExitsTwoNamingTheVariable(t *testing.T) {
	_, env := emulator(t)
	for _, tc := range []struct {
		platform, unset string
		args            []string
	}{
		{"oceanconnect", "IOTAUTH_OCEANCONNECT_BASE_URL", nil},
		{"oceanconnect", "IOTAUTH_OCEANCONNECT_APP_ID", nil},
		{"oceanconnect", "IOTAUTH_OCEANCONNECT_SECRET", nil},
		{"mxchip", "IOTAUTH_MXCHIP_CLIENT_SECRET", nil},
		{"cloudstudio", "IOTAUTH_CLOUDSTUDIO_EMAIL", nil},
		{"cloudstudio", "IOTAUTH_CLOUDSTUDIO_PASSWORD", nil},
		{"alimqtt", "IOTAUTH_ALIMQTT_REGION_ID", []string{"--resources", "a/#"}},
		{"alimqtt", "IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET", []string{"--resources", "a/#"}},
		{"alimqtt", "IOTAUTH_ALIMQTT_RESOURCES", nil},
	} {
		t.Run(tc.unset, func(t *testing.T) {
			r := cli(t, with(env, tc.unset, ""), append([]string{"token", "--platform", tc.platform}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code)
			line := requireOneLine(t, r)
			assert.Contains(t, line, tc.unset)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}
	t.Run("platform", func(t *testing.T) {
		r := cli(t, env, "token")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, requireOneLine(t, r), "IOTAUTH_PLATFORM")
	})
}

func TestErrors_WrongSecret_ExitsThreeWithoutTheSecret(t *testing.T) {
	srv, env := emulator(t)
	for _, tc := range []struct{ platform, key, secret string }{
		{"oceanconnect", "IOTAUTH_OCEANCONNECT_SECRET", "wrong-oc-secret-123"},
		{"cloudstudio", "IOTAUTH_CLOUDSTUDIO_PASSWORD", "wrong-cs-password-789"},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			r := cli(t, with(env, tc.key, tc.secret), "token", "--platform", tc.platform)
			assert.Equal(t, exitRefused, r.code, r.stderr)
			line := requireOneLine(t, r)
			assert.Contains(t, line, "invalid credentials")
			assert.NotContains(t, r.stderr, tc.secret)
		})
	}
	t.Run("alimqtt", func(t *testing.T) {
		r := cli(t, with(env, "IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET", "wrong-ali-secret"), "mqtt", "--platform", "alimqtt", "--device", "GID_test@@@b")
		assert.Equal(t, exitRefused, r.code, r.stderr)
		requireOneLine(t, r)
		assert.NotContains(t, r.stderr, "wrong-ali-secret")
	})
	assert.False(t, srv.CloudStudio.CaptchaLocked())
}

func TestErrors_CaptchaLockedAccount_ExitsThree(t *testing.T) {
	srv, env := emulator(t)
	bad := with(env, "IOTAUTH_CLOUDSTUDIO_PASSWORD", "wrong")
	for range 3 {
		require.Equal(t, exitRefused, cli(t, bad, "token", "--platform", "cloudstudio").code)
	}
	require.True(t, srv.CloudStudio.CaptchaLocked())
	r := cli(t, env, "token", "--platform", "cloudstudio")
	assert.Equal(t, exitRefused, r.code)
	assert.Contains(t, requireOneLine(t, r), "captcha")
}

func TestErrors_PlatformDown_ExitsOne(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	_, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_OCEANCONNECT_BASE_URL", down), "token", "--platform", "oceanconnect")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	line := requireOneLine(t, r)
	assert.Contains(t, line, "oceanconnect login: network error: ")
	assert.Contains(t, line, "connection refused")
	assert.NotContains(t, r.stderr, iotauthtest.OceanConnectSecret)
}

func TestErrors_PlatformFailing_ExitsOne(t *testing.T) {
	srv, env := emulator(t)
	srv.MXCHIP.FailNext(1, http.StatusServiceUnavailable)
	r := cli(t, env, "token", "--platform", "mxchip")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	requireOneLine(t, r)
}

func TestErrors_SecretAsFlag_IsRefused(t *testing.T) {
	_, env := emulator(t)
	for _, tc := range []struct{ platform, flag string }{
		{"oceanconnect", "--secret"},
		{"mxchip", "--client-secret"},
		{"cloudstudio", "--password"},
		{"alimqtt", "--access-key-secret"},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			r := cli(t, env, "token", "--platform", tc.platform, tc.flag+"=hunter2")
			assert.Equal(t, exitUsage, r.code)
			line := requireOneLine(t, r)
			assert.Contains(t, line, "secrets are not accepted as flags")
			assert.NotContains(t, r.stderr, "hunter2")
		})
	}
}

func TestErrors_BadUsage_ExitsTwo(t *testing.T) {
	_, env := emulator(t)
	for name, args := range map[string][]string{
		"unknown command":  {"tokn"},
		"unknown flag":     {"token", "--platform", "oceanconnect", "--no-such-flag"},
		"unknown platform": {"token", "--platform", "thingsboard"},
		"argument":         {"token", "--platform", "oceanconnect", "extra"},
		"mqtt platform":    {"mqtt", "--platform", "oceanconnect"},
	} {
		t.Run(name, func(t *testing.T) {
			r := cli(t, env, args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			requireOneLine(t, r)
		})
	}
	t.Run("invalid client id", func(t *testing.T) {
		r := cli(t, env, "token", "--platform", "cloudstudio", "--client-id", "seventy-nine")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, requireOneLine(t, r), "IOTAUTH_CLOUDSTUDIO_CLIENT_ID")
	})
}

func TestConfig_FileWithSecretFile_IsUsed(t *testing.T) {
	srv, _ := emulator(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "oc-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(iotauthtest.OceanConnectSecret+"\n"), 0o600))
	cfg := filepath.Join(dir, "iotauth.json")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(
		`{"oceanconnect": {"base_url": %q, "app_id": %q, "secret_file": %q},
		  "cloudstudio": {"base_url": %q, "email": %q, "password": %q, "client_id": %d}}`,
		srv.URL, iotauthtest.OceanConnectAppID, secretFile,
		srv.URL, iotauthtest.CloudStudioEmail, iotauthtest.CloudStudioPassword, iotauthtest.CloudStudioClientID)), 0o600))

	r := cli(t, nil, "--config", cfg, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, srv.OceanConnect.ValidToken(strings.TrimSpace(r.stdout)))

	r = cli(t, map[string]string{"IOTAUTH_CONFIG": cfg, "IOTAUTH_PLATFORM": "cloudstudio"}, "token")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens())
}

func TestConfig_SecretFileVariable_IsUsed(t *testing.T) {
	srv, env := emulator(t)
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(iotauthtest.OceanConnectSecret), 0o600))
	r := cli(t, with(env, "IOTAUTH_OCEANCONNECT_SECRET", "", "IOTAUTH_OCEANCONNECT_SECRET_FILE", secretFile), "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, srv.OceanConnect.ValidToken(strings.TrimSpace(r.stdout)))
}

func TestConfig_FlagWinsOverVariable(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_OCEANCONNECT_BASE_URL", "http://127.0.0.1:1"), "token", "--platform", "oceanconnect", "--base-url", srv.URL)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, int64(1), srv.OceanConnect.Logins())
}

func TestConfig_Errors_ExitTwo(t *testing.T) {
	_, env := emulator(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"missing config file": {with(env, "IOTAUTH_CONFIG", filepath.Join(dir, "absent.json")), "absent.json"},
		"config not JSON":     {with(env, "IOTAUTH_CONFIG", write("bad.json", "oceanconnect:\n  app_id: x")), "not a JSON object"},
		"unknown key":         {with(env, "IOTAUTH_CONFIG", write("typo.json", `{"oceanconnect": {"appid": "x"}}`)), `"appid"`},
		"missing secret file": {with(env, "IOTAUTH_OCEANCONNECT_SECRET", "", "IOTAUTH_OCEANCONNECT_SECRET_FILE", filepath.Join(dir, "nope")), "IOTAUTH_OCEANCONNECT_SECRET_FILE"},
		"empty secret file":   {with(env, "IOTAUTH_OCEANCONNECT_SECRET", "", "IOTAUTH_OCEANCONNECT_SECRET_FILE", write("empty", "\n")), "empty"},
		"bad CA file":         {with(env, "IOTAUTH_CA_FILE", write("ca.pem", "not a certificate")), "IOTAUTH_CA_FILE"},
	} {
		t.Run(name, func(t *testing.T) {
			r := cli(t, tc.env, "token", "--platform", "oceanconnect")
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, requireOneLine(t, r), tc.want)
		})
	}
}

// startEmulate runs 'iotauth emulate' on a free port and returns the
// process and the settings it printed, once it says it is ready.
func startEmulate(t *testing.T, args ...string) (*exec.Cmd, map[string]string, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"emulate", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stdout)
	env := map[string]string{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ready") {
			return cmd, env, sc
		}
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = strings.Trim(v, "'")
		}
	}
	t.Fatalf("emulate ended before it was ready: %v", sc.Err())
	return nil, nil, nil
}

func TestEmulate_ServesThePrintedSettings_StopsOnSIGTERM(t *testing.T) {
	cmd, env, sc := startEmulate(t, "--token-ttl", "90s")
	for _, k := range []string{"IOTAUTH_OCEANCONNECT_SECRET", "IOTAUTH_MXCHIP_CLIENT_SECRET", "IOTAUTH_CLOUDSTUDIO_PASSWORD", "IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET"} {
		assert.NotEmpty(t, env[k], k)
	}
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, env["IOTAUTH_OCEANCONNECT_BASE_URL"])

	r := cli(t, env, "token", "--platform", "oceanconnect", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"expires_in": 9`, "the --token-ttl of 90 s is served")
	for _, p := range []string{"mxchip", "cloudstudio"} {
		r := cli(t, env, "token", "--platform", p)
		assert.Equal(t, 0, r.code, "%s: %s", p, r.stderr)
	}
	r = cli(t, env, "mqtt", "--platform", "alimqtt", "--device", "GID_test@@@d")
	assert.Equal(t, 0, r.code, r.stderr)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	var rest []string
	for sc.Scan() {
		rest = append(rest, sc.Text())
	}
	require.NoError(t, cmd.Wait())
	assert.Equal(t, []string{"# stopped"}, rest)
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
}

func TestEmulate_TLS_CAFileMakesTheCertificateTrusted(t *testing.T) {
	cmd, env, _ := startEmulate(t, "--tls")
	require.NotEmpty(t, env["IOTAUTH_CA_FILE"])
	assert.True(t, strings.HasPrefix(env["IOTAUTH_OCEANCONNECT_BASE_URL"], "https://"))

	r := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)

	untrusted := with(env, "IOTAUTH_CA_FILE", "")
	r = cli(t, untrusted, "token", "--platform", "oceanconnect")
	assert.Equal(t, exitFailure, r.code, "an unknown certificate must be refused")
	requireOneLine(t, r)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
}

func TestEmulate_AddressInUse_ExitsOne(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	r := cli(t, nil, "emulate", "--addr", l.Addr().String())
	assert.Equal(t, exitFailure, r.code)
	requireOneLine(t, r)
}
