package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/redisstore"
)

// startRedis runs a throwaway redis-server on a free loopback port and
// returns its address. Without redis-server the test is skipped, except
// under CI=true.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not on PATH; it is required when CI=true")
		}
		t.Skip("redis-server is not on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", port)
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "redis-server did not listen on %s", addr)
	return addr
}

// goReplica is a Go service with the same OceanConnect credential as the
// agent, on store st, as a user writes it.
func goReplica(t *testing.T, e *serveEnv, st iotauth.Store) *http.Client {
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: e.emu.URL, AppID: iotauthtest.OceanConnectAppID, Secret: iotauthtest.OceanConnectSecret})
	require.NoError(t, err)
	c := iotauth.NewCache(p, iotauth.WithStore(st))
	t.Cleanup(func() { c.Close() })
	return &http.Client{Transport: iotauth.NewTransport(c, nil)}
}

func replicaGet(t *testing.T, hc *http.Client, e *serveEnv) {
	t.Helper()
	resp, err := hc.Get(e.emu.URL + "/iocm/app/dm/v1.4.0/devices")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func TestServe_Fleet_TwoAgentsAndAGoReplicaOnRedis_OneLogin(t *testing.T) {
	e := newServeEnv(t)
	addr := startRedis(t)
	body := fmt.Sprintf("store: {redis: {addr: %q}}\n", addr) + e.credentials("")
	a1 := startAgent(t, e.config("a1.yaml", body))
	a2 := startAgent(t, e.config("a2.yaml", body))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	st, err := redisstore.New(rdb)
	require.NoError(t, err)
	hc := goReplica(t, e, st)

	_, code := curl(t, a1.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	replicaGet(t, hc, e)
	_, code = curl(t, a2.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	replicaGet(t, hc, e)
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "two agents and a Go replica on one Redis log in once")
	assert.Zero(t, e.emu.OceanConnect.Rejected())
}

func TestServe_Fleet_GoReplicaFirstOnAFileStore_AgentAdoptsItsToken(t *testing.T) {
	e := newServeEnv(t)
	dir := filepath.Join(e.dir, "store")
	st, err := store.NewFile(dir)
	require.NoError(t, err)
	hc := goReplica(t, e, st)
	replicaGet(t, hc, e)

	a := startAgent(t, e.config("serve.yaml", fmt.Sprintf("store: {dir: %s}\n", dir)+e.credentials("")))
	_, code := curl(t, a.url("/oc/iocm/app/dm/v1.4.0/devices"))
	require.Equal(t, 200, code)
	replicaGet(t, hc, e)
	assert.Equal(t, int64(1), e.emu.OceanConnect.Logins(), "the agent took the Go replica's token: same store key")
}
