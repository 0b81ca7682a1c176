package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
)

// The IAM token the command prints is one IoTDA accepts, and 'header'
// prints it as X-Auth-Token.
func TestIoTDA_TokenAndHeader(t *testing.T) {
	srv, env := emulator(t)
	r := cli(t, env, "token", "--platform", "iotda", "--no-store")
	require.Equal(t, 0, r.code, r.stderr)
	tok := strings.TrimSpace(r.stdout)
	assert.True(t, srv.IAM.ValidToken(tok))

	r = cli(t, env, "header", "--platform", "iotda", "--no-store")
	require.Equal(t, 0, r.code, r.stderr)
	line := strings.TrimSpace(r.stdout)
	require.True(t, strings.HasPrefix(line, "X-Auth-Token: "), line)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v5/iot/"+iotauthtest.IoTDAProjectID+"/devices", nil)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", strings.TrimPrefix(line, "X-Auth-Token: "))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

// An access key cannot make a token or a header: a signature belongs to one
// request.
func TestIoTDA_AccessKey_TokenIsBadUsage(t *testing.T) {
	_, env := emulator(t)
	env = with(env, "IOTAUTH_IOTDA_ACCESS_KEY", iotauthtest.IoTDAAccessKey, "IOTAUTH_IOTDA_SECRET_KEY", iotauthtest.IoTDASecretKey)
	r := cli(t, env, "header", "--platform", "iotda", "--no-store")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, requireOneLine(t, r), "signs each request")
	assert.NotContains(t, r.stdout+r.stderr, iotauthtest.IoTDASecretKey)
}

// mosquitto_pub, a client iotauth did not write, connects to the broker
// emulator with the device login 'iotauth mqtt --platform iotda' prints; a
// wrong device secret gives a login the broker refuses.
func TestIoTDA_MQTT_MosquittoPubConnectsWithTheLogin(t *testing.T) {
	srv, env := emulator(t)
	broker, err := mqttbroker.Start(srv)
	require.NoError(t, err)
	t.Cleanup(func() { broker.Close() })
	env = with(env, "IOTAUTH_IOTDA_MQTT_HOST", broker.Host, "IOTAUTH_IOTDA_MQTT_PORT", strconv.Itoa(broker.Port))

	pub := func(l map[string]string) ([]byte, error) {
		return exec.Command("mosquitto_pub", "-h", l["host"], "-p", l["port"], "-i", l["client id"], "-u", l["username"],
			"-P", l["password"], "-t", "$oc/devices/"+l["username"]+"/sys/properties/report", "-m", `{"services":[]}`, "-q", "1").CombinedOutput()
	}
	r := cli(t, env, "mqtt", "--platform", "iotda")
	require.Equal(t, 0, r.code, r.stderr)
	l := parseLogin(t, r.stdout)
	assert.Equal(t, iotauthtest.IoTDADeviceID, l["username"])
	assert.True(t, strings.HasPrefix(l["client id"], iotauthtest.IoTDADeviceID+"_0_1_"), l["client id"])
	assert.Equal(t, "tcp://"+broker.Addr(), l["broker"])
	out, err := pub(l)
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 1, broker.Connects(l["client id"]))
	assert.Zero(t, broker.Counts(l["client id"]).Refused)

	r = cli(t, with(env, "IOTAUTH_IOTDA_DEVICE_SECRET", "not-the-secret"), "mqtt", "--platform", "iotda")
	require.Equal(t, 0, r.code, r.stderr)
	out, err = pub(parseLogin(t, r.stdout))
	assert.Error(t, err, "%s", out)
	assert.Equal(t, 1, broker.Counts(l["client id"]).Refused)
}

// A device id outside IoTDA's form is refused before any login is built.
func TestIoTDA_MQTT_BadDeviceID_IsBadUsage(t *testing.T) {
	_, env := emulator(t)
	r := cli(t, with(env, "IOTAUTH_IOTDA_MQTT_HOST", "127.0.0.1"), "mqtt", "--platform", "iotda", "--device", "a/b")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, requireOneLine(t, r), "device id")
}

// 'iotauth serve' proxies to IoTDA with an IAM user's token and, with an
// access key, signs each proxied request; curl is the client.
func TestIoTDA_Serve_ProxiesWithATokenAndSigns(t *testing.T) {
	e := newServeEnv(t)
	u := e.emu.URL
	body := fmt.Sprintf(`credentials:
  hw:
    platform: iotda
    base_url: %s
    iam_endpoint: %s
    domain_name: %s
    user_name: %s
    password: %s
    project_name: %s
  hwak:
    platform: iotda
    base_url: %s
    access_key: %s
    secret_key: %s
`, u, u, iotauthtest.IoTDADomainName, iotauthtest.IoTDAUserName, iotauthtest.IoTDAPassword, iotauthtest.IoTDAProjectName,
		u, iotauthtest.IoTDAAccessKey, iotauthtest.IoTDASecretKey)
	a := startAgent(t, e.config("serve.yaml", body))
	path := "/v5/iot/" + iotauthtest.IoTDAProjectID + "/devices"
	for _, cred := range []string{"hw", "hwak"} {
		b, code := curl(t, a.url("/"+cred+path+"?limit=5"))
		assert.Equal(t, http.StatusOK, code, "%s: %s", cred, b)
		assert.Contains(t, b, iotauthtest.IoTDADeviceID)
	}
	b, code := curl(t, "-H", "Content-Type: application/json", "-d", `{"product_id":"p","node_id":"curl","auth_info":{"secret":"s-1"}}`,
		a.url("/hwak"+path))
	assert.Equal(t, http.StatusCreated, code, b)
	assert.EqualValues(t, 1, e.emu.IAM.Logins(), "the access key needs no token")
	assert.Zero(t, e.emu.IoTDA.Rejected())
}
