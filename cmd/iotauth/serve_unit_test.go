package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unitFile is the systemd unit docs/serve.md documents.
const unitFile = "../../docs/serve/iotauth-serve.service"

// TestServe_SystemdUnit_Verifies checks the documented unit with
// systemd-analyze verify (the binary path replaced by the test's build):
// any warning about the unit fails. Without systemd-analyze, the unit is
// parsed instead: sections and Key=Value lines only, in the sections a
// service unit has.
func TestServe_SystemdUnit_Verifies(t *testing.T) {
	b, err := os.ReadFile(unitFile)
	require.NoError(t, err)
	unit := strings.ReplaceAll(string(b), "/usr/local/bin/iotauth", binary)
	path := filepath.Join(t.TempDir(), "iotauth-serve.service")
	require.NoError(t, os.WriteFile(path, []byte(unit), 0o644))

	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		out, err := exec.Command(sa, "verify", path).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.NotContains(t, string(out), "iotauth-serve.service", "systemd-analyze warns about the unit")
	} else {
		t.Log("systemd-analyze is not installed: parsing the unit instead")
	}
	sections := map[string]map[string]string{}
	var cur map[string]string
	sc := bufio.NewScanner(strings.NewReader(unit))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			name := strings.Trim(line, "[]")
			require.Contains(t, []string{"Unit", "Service", "Install"}, name, "line %d", n)
			cur = map[string]string{}
			sections[name] = cur
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok && cur != nil, "line %d is not Key=Value in a section: %q", n, line)
			cur[k] = v
		}
	}
	require.NoError(t, sc.Err())
	svc := sections["Service"]
	require.NotNil(t, svc)
	assert.Equal(t, binary+" serve --config /etc/iotauth/serve.yaml", svc["ExecStart"])
	assert.Equal(t, "/bin/kill -HUP $MAINPID", svc["ExecReload"], "reload is SIGHUP")
	assert.Equal(t, "SIGTERM", svc["KillSignal"])
	assert.Equal(t, "multi-user.target", sections["Install"]["WantedBy"])

	// The commands it runs exist: --check on a config prints its problems.
	args := strings.Fields(svc["ExecStartPre"])
	require.Equal(t, binary, args[0])
	cfg := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("credentials: {}\nlisten: unix:/run/iotauth/agent.sock\n"), 0o600))
	args[len(args)-1] = cfg
	r := cli(t, nil, args[1:]...)
	assert.Equal(t, 0, r.code, r.stderr)
}
