package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The issue this guards against: every run created a persistent Cloud
// Studio token (valid to 2099), and revoke could not find them.
func TestToken_CloudStudioThreeRuns_OneLiveTokenThatRevokeRemoves(t *testing.T) {
	srv, env := emulator(t)
	home := t.TempDir()
	env = with(env, "HOME", home)

	var printed []string
	for range 3 {
		r := cli(t, env, "token", "--platform", "cloudstudio")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stderr)
		printed = append(printed, r.stdout)
	}
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens(), "one live token after three runs")
	assert.Equal(t, printed[0], printed[1])
	assert.Equal(t, printed[0], printed[2])

	dir := filepath.Join(home, ".cache", "iotauth")
	fi, err := os.Stat(dir)
	require.NoError(t, err, "the default store is in the user's cache directory")
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	r := cli(t, env, "revoke", "--platform", "cloudstudio")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "cloudstudio: token revoked\n", r.stdout)
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens())

	r = cli(t, env, "revoke", "--platform", "cloudstudio")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "no token in the store")
}

func TestToken_NoStore_CloudStudioTokenDeletedOnExitNothingKept(t *testing.T) {
	srv, env := emulator(t)
	home := t.TempDir()
	env = with(env, "HOME", home)

	r := cli(t, env, "token", "--platform", "cloudstudio", "--no-store")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotEmpty(t, strings.TrimSpace(r.stdout))
	assert.Contains(t, r.stderr, "deleted")
	assert.EqualValues(t, 1, srv.CloudStudio.Logins())
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens(), "nothing left behind on the platform")
	_, err := os.Stat(filepath.Join(home, ".cache"))
	assert.True(t, os.IsNotExist(err), "nothing left behind on disk")

	r = cli(t, with(env, "IOTAUTH_NO_STORE", "1"), "token", "--platform", "cloudstudio")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 0, srv.CloudStudio.ActiveTokens())
}

func TestToken_DefaultStore_OceanConnectRunsShareOneLogin(t *testing.T) {
	srv, env := emulator(t)
	env = with(env, "HOME", t.TempDir())
	first := cli(t, env, "token", "--platform", "oceanconnect")
	require.Equal(t, 0, first.code, first.stderr)
	second := cli(t, env, "header", "--platform", "oceanconnect")
	require.Equal(t, 0, second.code, second.stderr)
	assert.Contains(t, second.stdout, "Authorization: Bearer "+strings.TrimSpace(first.stdout))
	assert.EqualValues(t, 1, srv.OceanConnect.Logins(), "a new login would invalidate the first run's token")
}

func TestToken_NoCacheDirectory_NamesTheWayOut(t *testing.T) {
	_, env := emulator(t)
	env["HOME"] = "" // set empty: no user cache directory
	r := cli(t, env, "token", "--platform", "oceanconnect")
	assert.Equal(t, exitUsage, r.code)
	line := requireOneLine(t, r)
	assert.Contains(t, line, "IOTAUTH_STORE_DIR")
	assert.Contains(t, line, "--no-store")

	r = cli(t, env, "token", "--platform", "oceanconnect", "--no-store")
	assert.Equal(t, 0, r.code, r.stderr)
}
