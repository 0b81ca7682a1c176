package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startRedis runs a throwaway redis-server on a free loopback port for the
// test and returns its address. The redisstore package has the full test
// harness; an example only needs a server. Without redis-server the test is
// skipped, except under CI=true.
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

func TestRun_ThreeReplicasSharingRedis_FailNoRequestAndLogInOncePerToken(t *testing.T) {
	var out bytes.Buffer
	cfg := config{redisAddr: startRedis(t), replicas: 3, goroutines: 5, duration: 4 * time.Second, tokenTTL: 2 * time.Second}
	require.NoError(t, run(context.Background(), &out, cfg))
	t.Log(out.String())

	m := regexp.MustCompile(`fleet: (\d+) requests, (\d+) failed; the platform issued (\d+) tokens`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "no fleet line in:\n%s", out.String())
	requests, _ := strconv.Atoi(m[1])
	failed, _ := strconv.Atoi(m[2])
	tokens, _ := strconv.Atoi(m[3])
	assert.Positive(t, requests)
	assert.Zero(t, failed)
	// A 2 s token is served for 1.8 s (its skew), so 4 s take about three.
	assert.LessOrEqual(t, tokens, int(cfg.duration/cfg.tokenTTL)+2)
	assert.Positive(t, tokens)
}

func TestRun_NoRedis_SaysSo(t *testing.T) {
	cfg := config{redisAddr: "127.0.0.1:1", replicas: 1, goroutines: 1, duration: time.Second, tokenTTL: time.Second}
	err := run(context.Background(), &bytes.Buffer{}, cfg)
	assert.ErrorContains(t, err, "no Redis at 127.0.0.1:1")
}
