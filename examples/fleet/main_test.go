package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/redistest"
)

func TestRun_ThreeReplicasSharingRedis_FailNoRequestAndLogInOncePerToken(t *testing.T) {
	rs := redistest.Start(t)
	var out bytes.Buffer
	cfg := config{redisAddr: rs.Addr(), replicas: 3, goroutines: 5, duration: 3 * time.Second, tokenTTL: time.Second}
	require.NoError(t, run(context.Background(), &out, cfg))
	t.Log(out.String())

	m := regexp.MustCompile(`fleet: (\d+) requests, (\d+) failed; the platform issued (\d+) tokens`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "no fleet line in:\n%s", out.String())
	requests, _ := strconv.Atoi(m[1])
	failed, _ := strconv.Atoi(m[2])
	tokens, _ := strconv.Atoi(m[3])
	assert.Positive(t, requests)
	assert.Zero(t, failed)
	// A 1 s token is valid for 0.9 s (its skew), so 3 s take about four.
	assert.LessOrEqual(t, tokens, int(cfg.duration/cfg.tokenTTL)+2)
	assert.Positive(t, tokens)
}

func TestRun_NoRedis_SaysSo(t *testing.T) {
	cfg := config{redisAddr: "127.0.0.1:1", replicas: 1, goroutines: 1, duration: time.Second, tokenTTL: time.Second}
	err := run(context.Background(), &bytes.Buffer{}, cfg)
	assert.ErrorContains(t, err, "no Redis at 127.0.0.1:1")
}
