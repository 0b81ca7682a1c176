// Package examples_test builds and runs every example against the built-in
// emulators, as a user running "go run ./examples/<name>" would.
package examples_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExamples_RunAgainstTheEmulator_ExitZero(t *testing.T) {
	bin := t.TempDir()
	for _, tc := range []struct {
		name  string
		lines []string // lines the output must contain
		never []string // what it must not print
	}{
		{"quickstart", []string{"GET /iocm/app/dm/v1.4.0/devices: 200 OK", "3 requests, 1 login"}, nil},
		{"resty", []string{"the platform expired the token", "GET /v3/open_api/product/ids/: 200 OK, 2 products", "logins: 2"}, nil},
		{"multiplatform", []string{"oceanconnect: Bearer token, expires in 1h0m0s", "mxchip:", "cloudstudio:", "alimqtt:"}, nil},
		{"mqtt", []string{"built-in emulators and MQTT broker", "mqtt: 4 devices, sent ", "reconnects 1,", "token renewals 3"},
			[]string{"iotauth-test-access-key-secret"}},
		{"otel", []string{"GET /metrics:", `iotauth_cache_logins_total{iotauth_outcome="ok",iotauth_platform="oceanconnect"} 1`,
			`iotauth_cache_hits_total{iotauth_platform="oceanconnect"} 4`, "iotauth_token_time_left_seconds{"},
			[]string{"oc-secret-4e9d1b86"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe := filepath.Join(bin, tc.name)
			out, err := exec.Command("go", "build", "-o", exe, "./"+tc.name).CombinedOutput()
			require.NoError(t, err, "go build: %s", out)

			cmd := exec.Command(exe)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no real settings
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
			assert.Contains(t, stdout.String(), "built-in emulator")
			for _, l := range tc.lines {
				assert.Contains(t, stdout.String(), l)
			}
			for _, s := range tc.never {
				assert.NotContains(t, stdout.String()+stderr.String(), s)
			}
			assert.False(t, strings.Contains(stdout.String(), "panic"), stdout.String())
		})
	}
}
