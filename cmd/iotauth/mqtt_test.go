package main

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

// Each Alibaba mode prints a login the broker accepts.
func TestMQTT_Alibaba_EachMode_PrintsALoginTheBrokerAccepts(t *testing.T) {
	srv, env := emulator(t)
	const device = "GID_test@@@device-8"
	for _, tc := range []struct{ mode, prefix string }{
		{"signature", "Signature|"}, {"device-credential", "DeviceCredential|"}, {"token", "Token|"},
	} {
		r := cli(t, env, "mqtt", "--platform", "alimqtt", "--device", device, "--mode", tc.mode,
			"--resources", "iotauth/test/#", "--actions", "R,W")
		require.Equal(t, 0, r.code, r.stderr)
		l := parseLogin(t, r.stdout)
		assert.True(t, strings.HasPrefix(l["username"], tc.prefix), l["username"])
		assert.True(t, srv.Alibaba.AcceptsMQTTLogin(device, l["username"], l["password"]), tc.mode)
		if tc.mode == "token" {
			assert.True(t, strings.HasPrefix(l["password"], "RW|"), "an R,W token goes as RW")
			exp, err := time.Parse(time.RFC3339, l["expires"])
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute)
		}
	}
}

func TestMQTT_Alibaba_TokenMode_JSON_HasTheExpiry(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_ALIMQTT_MODE", "token"), "mqtt", "--platform", "alimqtt", "--device", "GID_test@@@d",
		"--resources", "iotauth/test/#", "--actions", "R", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Platform string    `json:"platform"`
		Password string    `json:"password"`
		Expiry   time.Time `json:"expiry"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "alimqtt", got.Platform)
	assert.True(t, strings.HasPrefix(got.Password, "R|"))
	assert.False(t, got.Expiry.IsZero())
}

func TestMQTT_Alibaba_UnknownMode_IsBadUsage(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, env, "mqtt", "--platform", "alimqtt", "--device", "GID_test@@@d", "--mode", "password")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "--mode")
}

// With a store, the MXCHIP MQTT client is created once and reused by later
// runs.
func TestMQTT_MXCHIP_WithStore_CreatesTheClientOnce(t *testing.T) {
	srv, env := emulator(t)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o700))
	env = with(env, "IOTAUTH_STORE_DIR", dir)
	var logins []map[string]string
	for range 2 {
		r := cli(t, env, "mqtt", "--platform", "mxchip")
		require.Equal(t, 0, r.code, r.stderr)
		logins = append(logins, parseLogin(t, r.stdout))
	}
	assert.Len(t, srv.MXCHIP.Clients(), 1)
	assert.Equal(t, logins[0], logins[1])
	assert.True(t, srv.MXCHIP.AcceptsMQTTLogin(logins[0]["client id"], logins[0]["username"], logins[0]["password"]))
	assert.Equal(t, iotauthtest.MXCHIPAppID, srv.MXCHIP.Clients()[0].AppID)
}

func TestMQTT_MXCHIP_DefaultStore_CreatesTheClientOnceAcrossRuns(t *testing.T) {
	srv, env := emulator(t)
	home := t.TempDir() // the default store lives in the user's cache directory
	env = with(with(env, "HOME", home), "XDG_CACHE_HOME", home)
	for range 3 {
		r := cli(t, env, "mqtt", "--platform", "mxchip")
		require.Equal(t, 0, r.code, r.stderr)
	}
	assert.Len(t, srv.MXCHIP.Clients(), 1, "a run created another MQTT client")
}

// 'iotauth emulate' serves the MQTT broker emulator beside the platforms,
// and the MXCHIP MQTT clients it creates point at it.
func TestEmulate_ServesTheMQTTBroker(t *testing.T) {
	_, env, _ := startEmulate(t)
	broker := strings.TrimPrefix(env["IOTAUTH_MQTT_BROKER"], "tcp://")
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, broker)
	conn, err := net.DialTimeout("tcp", broker, 5*time.Second)
	require.NoError(t, err)
	_ = conn.Close()
	r := cli(t, env, "mqtt", "--platform", "mxchip")
	require.Equal(t, 0, r.code, r.stderr)
	l := parseLogin(t, r.stdout)
	assert.Equal(t, broker, l["host"]+":"+l["port"])
}
