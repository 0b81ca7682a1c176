package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

func TestVersion_PrintsTheModuleVersions(t *testing.T) {
	r := cli(t, nil, "version")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.Regexp(t, `^iotauth (v\d+\.\d+\.\d+\S*|\(devel\))`, lines[0])
	assert.Regexp(t, `^library github.com/iotauth/iotauth (v\d|\(devel)`, lines[1])
	assert.Equal(t, fmt.Sprintf("go %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH), lines[2])

	v := cli(t, nil, "--version")
	require.Equal(t, 0, v.code, v.stderr)
	assert.Equal(t, lines[0]+"\n", v.stdout)
}

func TestCompletion_EveryShell_WritesAScript(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "bash completion", "zsh": "#compdef iotauth", "fish": "complete -c iotauth", "powershell": "Register-ArgumentCompleter"} {
		r := cli(t, nil, "completion", shell)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, marker, shell)
	}
	// Dynamic completion of --platform and --format values.
	r := cli(t, nil, cobra.ShellCompRequestCmd, "header", "--platform", "")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"oceanconnect", "mxchip", "cloudstudio", "iotda", ":4"}, strings.Fields(r.stdout))
	r = cli(t, nil, cobra.ShellCompRequestCmd, "mqtt", "--format", "")
	assert.Equal(t, []string{"plain", "json", ":4"}, strings.Fields(r.stdout))
}

func TestFlags_OnlyThoseTheCommandsPlatformsRead(t *testing.T) {
	for cmd, tc := range map[string]struct{ has, lacks []string }{
		"token":  {[]string{"--resources", "--email", "--app-id"}, []string{"--device", "--mqtt-host"}},
		"header": {[]string{"--email", "--app-id", "--client-id"}, []string{"--resources", "--region", "--device"}},
		"mqtt":   {[]string{"--device", "--mqtt-host", "--app-id", "--client-id", "--resources", "--mode"}, []string{"--email", "--description"}},
		"revoke": {[]string{"--device", "--email", "--client-id"}, []string{"--resources", "--app-id", "--mqtt-host", "--description"}},
	} {
		r := cli(t, nil, cmd, "--help")
		require.Equal(t, 0, r.code, r.stderr)
		for _, f := range tc.has {
			assert.Contains(t, r.stdout, f+" ", "%s --help", cmd)
		}
		for _, f := range tc.lacks {
			assert.NotContains(t, r.stdout, f+" ", "%s --help", cmd)
		}
	}
	r := cli(t, nil, "header", "--platform", "oceanconnect", "--resources", "a/#")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "unknown flag: --resources")
}

func TestFormat_TokenAndHeader_EveryFormat(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "HOME", t.TempDir())
	plain := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, plain.code, plain.stderr)
	tok := strings.TrimSpace(plain.stdout)
	require.True(t, srv.OceanConnect.ValidToken(tok))

	header := "Authorization: Bearer " + tok + "\napp_key: " + iotauthtest.OceanConnectAppID + "\n"
	for _, args := range [][]string{{"token", "--format", "header"}, {"header"}, {"header", "--format", "header"}} {
		r := cli(t, env, append(args, "--platform", "oceanconnect")...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, header, r.stdout, "%v", args)
	}
	curl := "header = \"Authorization: Bearer " + tok + "\"\nheader = \"app_key: " + iotauthtest.OceanConnectAppID + "\"\n"
	for _, cmd := range []string{"token", "header"} {
		r := cli(t, env, cmd, "--platform", "oceanconnect", "--format", "curl")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, curl, r.stdout)
	}
	r := cli(t, env, "header", "--platform", "oceanconnect", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var j map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j))
	assert.Equal(t, tok, j["access_token"])
	r = cli(t, env, "header", "--platform", "oceanconnect", "--format", "plain")
	assert.Equal(t, tok+"\n", r.stdout)

	r = cli(t, env, "token", "--platform", "oceanconnect", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j), "the older --json still works")
	assert.Contains(t, r.stderr, "--format json")
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())
}

func TestFormat_CurlConfig_AuthorizesACallThroughCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	srv, env := emulator(t)
	r := cli(t, env, "header", "--platform", "oceanconnect", "--format", "curl")
	require.Equal(t, 0, r.code, r.stderr)
	cmd := exec.Command(curl, "-sS", "--fail", "-K", "-", srv.URL+"/iocm/app/dm/v1.4.0/devices")
	cmd.Stdin = strings.NewReader(r.stdout)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), `"devices"`)
}

func TestFormat_Refusals_AreBadUsage(t *testing.T) {
	_, env := emulator(t)
	for name, args := range map[string][]string{
		"unknown format":     {"token", "--platform", "oceanconnect", "--format", "yaml"},
		"mqtt header":        {"mqtt", "--platform", "mxchip", "--format", "header"},
		"alimqtt header":     {"token", "--platform", "alimqtt", "--resources", "a/#", "--format", "curl"},
		"alimqtt header cmd": {"header", "--platform", "alimqtt"},
		"json and format":    {"token", "--platform", "oceanconnect", "--json", "--format", "curl"},
	} {
		t.Run(name, func(t *testing.T) {
			r := cli(t, env, args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			assert.True(t, strings.HasPrefix(lines[len(lines)-2+boolInt(len(lines) == 1)], "iotauth: "), r.stderr)
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSecretFile_Dash_ReadsStandardInput(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "IOTAUTH_OCEANCONNECT_SECRET", "", "IOTAUTH_OCEANCONNECT_SECRET_FILE", "-")
	r := cliInput(t, env, iotauthtest.OceanConnectSecret+"\n", "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, srv.OceanConnect.ValidToken(strings.TrimSpace(r.stdout)))

	r = cliInput(t, env, "", "token", "--platform", "oceanconnect", "--no-store")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "standard input is empty")

	ali := with(env, "IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET", "", "IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET_FILE", "-", "IOTAUTH_ALIMQTT_SECURITY_TOKEN_FILE", "-")
	r = cliInput(t, ali, iotauthtest.AlibabaAccessKeySecret, "token", "--platform", "alimqtt", "--resources", "a/#")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "already read")
	assert.NotContains(t, r.stderr, iotauthtest.AlibabaAccessKeySecret)
}

func TestConfig_SecretInAFileOthersCanRead_IsRefused(t *testing.T) {
	srv, _ := emulator(t)
	dir := t.TempDir()
	body := fmt.Sprintf(`{"oceanconnect": {"base_url": %q, "app_id": %q, "secret": %q}}`,
		srv.URL, iotauthtest.OceanConnectAppID, iotauthtest.OceanConnectSecret)
	cfg := filepath.Join(dir, "iotauth.json")
	require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
	require.NoError(t, os.Chmod(cfg, 0o644))

	r := cli(t, nil, "--config", cfg, "token", "--platform", "oceanconnect")
	assert.Equal(t, exitUsage, r.code)
	line := requireOneLine(t, r)
	assert.Contains(t, line, "chmod 600")
	assert.Contains(t, line, "0644")
	assert.NotContains(t, r.stderr, iotauthtest.OceanConnectSecret)
	assert.Zero(t, srv.OceanConnect.Logins())

	require.NoError(t, os.Chmod(cfg, 0o600))
	r = cli(t, nil, "--config", cfg, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)

	// A file that only names the secret's file may be readable.
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(iotauthtest.OceanConnectSecret), 0o600))
	open := filepath.Join(dir, "open.json")
	require.NoError(t, os.WriteFile(open, []byte(fmt.Sprintf(`{"oceanconnect": {"base_url": %q, "app_id": %q, "secret_file": %q}}`,
		srv.URL, iotauthtest.OceanConnectAppID, secretFile)), 0o600))
	require.NoError(t, os.Chmod(open, 0o644))
	r = cli(t, nil, "--config", open, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, r.code, r.stderr)
}

func TestErrors_UntrustedCertificate_NamesTLSAndCAFile(t *testing.T) {
	_, env := emulator(t, iotauthtest.WithTLS())
	r := cli(t, env, "token", "--platform", "mxchip")
	assert.Equal(t, exitFailure, r.code)
	line := requireOneLine(t, r)
	assert.Contains(t, line, "mxchip token: TLS error: ")
	assert.Contains(t, line, "--ca-file")
	assert.NotContains(t, line, "server error")
}

func TestErrors_PlainHTTPServerAsHTTPS_NamesTLS(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_MXCHIP_BASE_URL", strings.Replace(srv.URL, "http://", "https://", 1)), "token", "--platform", "mxchip")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, requireOneLine(t, r), "TLS error")
}

// Every example in --help runs, as a user would paste it, against the
// emulators: a shell script with the emulators' settings in its environment
// and the built command on its PATH.
func TestHelp_EveryExample_Runs(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	root := newRootCmd(os.Getenv)
	cmds := root.Commands()
	n := 0
	for _, c := range cmds {
		if c.Example == "" {
			continue
		}
		n++
		t.Run(c.Name(), func(t *testing.T) {
			srv, env := emulator(t)
			env = with(env, "HOME", t.TempDir(), "IOTAUTH_ALIMQTT_DEVICE", "", "IOTAUTH_MXCHIP_APP_ID", iotauthtest.MXCHIPAppID)
			script := "set -e\n" + strings.ReplaceAll(c.Example, "\n  ", "\n")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sh, "-c", script)
			cmd.WaitDelay = 5 * time.Second // an example that leaves a process behind fails, not hangs
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH")}
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Run(), "example of %s:\n%s\noutput:\n%s", c.Name(), c.Example, out.String())
			_ = srv
		})
	}
	assert.GreaterOrEqual(t, n, 5, "token, header, revoke, emulate and version have examples")
}

var _ = http.StatusOK

func TestToken_AlibabaJSON_TypeIsMQTT(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "token", "--platform", "alimqtt", "--resources", "iotauth/test/#", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		TokenType string `json:"token_type"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "MQTT", got.TokenType)
}

func TestErrors_MQTTWrongSecret_OneLine(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_MXCHIP_CLIENT_SECRET", "wrong-mxchip-secret"), "mqtt", "--platform", "mxchip")
	assert.NotEqual(t, 0, r.code)
	requireOneLine(t, r)
	assert.NotContains(t, r.stderr, "WARN")
	assert.NotContains(t, r.stderr, "wrong-mxchip-secret")
}
