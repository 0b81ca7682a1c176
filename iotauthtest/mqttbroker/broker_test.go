package mqttbroker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	emu *iotauthtest.Server
	b   *mqttbroker.Broker
	ali *alimqtt.Provider
}

func start(t *testing.T) *env {
	t.Helper()
	emu := iotauthtest.NewServer()
	b, err := mqttbroker.Start(emu, mqttbroker.WithCheckInterval(10*time.Millisecond), mqttbroker.WithExpireNotice(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = b.Close()
		emu.Close()
	})
	ali, err := alimqtt.New(alimqtt.Config{Endpoint: emu.URL, RegionID: iotauthtest.EmulatorRegion,
		AccessKeyID: iotauthtest.AlibabaAccessKeyID, AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID: iotauthtest.AlibabaInstanceID, MQTTHost: b.Host, MQTTPort: b.Port, MQTTTLSPort: -1})
	require.NoError(t, err)
	t.Cleanup(func() { ali.Close() }) // ends the sweeper of the device credentials it keeps
	return &env{emu, b, ali}
}

// client connects a raw paho client (no iotauth adapter) with l, routing
// the $SYS notices to notices.
func client(t *testing.T, l iotauth.MQTTLogin, notices chan<- string) (mqtt.Client, error) {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(l.BrokerURL()).SetClientID(l.ClientID).
		SetUsername(l.Username).SetPassword(string(l.Password)).SetProtocolVersion(4).SetAutoReconnect(false).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
			if notices != nil {
				notices <- m.Topic() + " " + string(m.Payload())
			}
		})
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	if tok.Error() == nil {
		t.Cleanup(func() { c.Disconnect(0) })
	}
	return c, tok.Error()
}

// mustLogin returns the login a builder returned, failing t on its error.
func mustLogin(t *testing.T) func(iotauth.MQTTLogin, error) iotauth.MQTTLogin {
	return func(l iotauth.MQTTLogin, err error) iotauth.MQTTLogin {
		t.Helper()
		require.NoError(t, err)
		return l
	}
}

func applyRW(t *testing.T, e *env) *iotauth.Token {
	t.Helper()
	tok, err := e.ali.ApplyToken(context.Background(), []string{"parent/#"}, "R,W", time.Now().Add(time.Hour))
	require.NoError(t, err)
	return tok
}

// The broker takes an R,W token as RW|tok only, and counts every CONNECT.
func TestBroker_TokenLogin_RWForm(t *testing.T) {
	e := start(t)
	tok := applyRW(t, e)
	l := mustLogin(t)(e.ali.TokenLogin("GID_broker@@@1", tok))
	wrong := l
	wrong.Password = iotauth.Secret("R|" + tok.AccessToken + "|W|" + tok.AccessToken)
	_, err := client(t, wrong, nil)
	require.Error(t, err)
	_, err = client(t, l, nil)
	require.NoError(t, err)
	assert.Equal(t, mqttbroker.Counts{Connects: 2, Refused: 1}, e.b.Counts("GID_broker@@@1"))
	assert.Equal(t, map[string]string{"RW": tok.AccessToken}, e.b.Tokens("GID_broker@@@1"))
}

// Signature and device-credential logins are checked against the account
// and the registered credentials.
func TestBroker_SignatureAndDeviceCredential(t *testing.T) {
	e := start(t)
	_, err := client(t, mustLogin(t)(e.ali.SignatureLogin("GID_broker@@@sig")), nil)
	require.NoError(t, err)
	bad := mustLogin(t)(e.ali.SignatureLogin("GID_broker@@@sig"))
	bad.ClientID = "GID_broker@@@other"
	_, err = client(t, bad, nil)
	require.Error(t, err, "the signature binds the client id")
	cred, err := e.ali.DeviceCredential(context.Background(), "GID_broker@@@dc")
	require.NoError(t, err)
	_, err = client(t, cred.MQTTLogin(), nil)
	require.NoError(t, err)
}

// An upload under the wrong type gets an invalid-token notice (code 5) and
// the connection is dropped; a good one replaces the token and is
// acknowledged.
func TestBroker_Upload(t *testing.T) {
	e := start(t)
	tok := applyRW(t, e)
	notices := make(chan string, 4)
	c, err := client(t, mustLogin(t)(e.ali.TokenLogin("GID_broker@@@up", tok)), notices)
	require.NoError(t, err)
	next := applyRW(t, e)
	payload, _ := json.Marshal(map[string]string{"token": next.AccessToken, "type": "RW"})
	pub := c.Publish(alimqtt.TopicUploadToken, 1, false, payload)
	require.True(t, pub.WaitTimeout(5*time.Second), "PUBACK")
	require.NoError(t, pub.Error())
	assert.Equal(t, next.AccessToken, e.b.Tokens("GID_broker@@@up")["RW"])
	assert.Equal(t, 1, e.b.Counts("GID_broker@@@up").Uploads)

	payload, _ = json.Marshal(map[string]string{"token": next.AccessToken, "type": "R"})
	c.Publish(alimqtt.TopicUploadToken, 1, false, payload)
	select {
	case n := <-notices:
		assert.JSONEq(t, `{"code":5,"type":"R"}`, n[len(alimqtt.TopicInvalidNotice)+1:])
	case <-time.After(5 * time.Second):
		t.Fatal("no invalid-token notice")
	}
	require.Eventually(t, func() bool { return !e.b.Connected("GID_broker@@@up") }, 5*time.Second, 10*time.Millisecond)
}

// A token about to expire gets one expiry notice; a revoked one an invalid
// notice (code 3) and the connection is dropped.
func TestBroker_ExpiryNotice_AndRevocation(t *testing.T) {
	e := start(t)
	tok, err := e.ali.ApplyToken(context.Background(), []string{"parent/#"}, "R", time.Now().Add(61*time.Second))
	require.NoError(t, err)
	notices := make(chan string, 4)
	_, err = client(t, mustLogin(t)(e.ali.TokenLogin("GID_broker@@@exp", tok)), notices)
	require.NoError(t, err)
	select {
	case n := <-notices:
		assert.Contains(t, n, alimqtt.TopicExpireNotice+` {"expireTime":`)
	case <-time.After(5 * time.Second):
		t.Fatal("no expiry notice")
	}
	require.True(t, e.b.RevokeToken(tok.AccessToken))
	select {
	case n := <-notices:
		assert.Equal(t, alimqtt.TopicInvalidNotice+` {"code":3,"type":"R"}`, n)
	case <-time.After(5 * time.Second):
		t.Fatal("no invalid-token notice")
	}
	require.Eventually(t, func() bool { return !e.b.Connected("GID_broker@@@exp") }, 5*time.Second, 10*time.Millisecond)
}

// Token mode clients may publish and subscribe only within their tokens'
// resources and types.
func TestBroker_TokenACL(t *testing.T) {
	e := start(t)
	r, err := e.ali.ApplyToken(context.Background(), []string{"parent/#"}, "R", time.Now().Add(time.Hour))
	require.NoError(t, err)
	c, err := client(t, mustLogin(t)(e.ali.TokenLogin("GID_broker@@@acl", r)), nil)
	require.NoError(t, err)
	sub := c.Subscribe("parent/a", 1, nil)
	require.True(t, sub.WaitTimeout(5*time.Second))
	assert.Equal(t, byte(1), sub.(*mqtt.SubscribeToken).Result()["parent/a"])
	sub = c.Subscribe("other/a", 1, nil)
	require.True(t, sub.WaitTimeout(5*time.Second))
	assert.GreaterOrEqual(t, sub.(*mqtt.SubscribeToken).Result()["other/a"], byte(0x80), "outside the resources")
	c.Publish("parent/a", 1, false, "x") // a read token may not publish: dropped
	require.Eventually(t, func() bool { return !e.b.Connected("GID_broker@@@acl") }, 5*time.Second, 10*time.Millisecond)
}

// Kick drops a connected client.
func TestBroker_Kick(t *testing.T) {
	e := start(t)
	c, err := client(t, mustLogin(t)(e.ali.SignatureLogin("GID_broker@@@kick")), nil)
	require.NoError(t, err)
	require.True(t, e.b.Kick("GID_broker@@@kick"))
	require.Eventually(t, func() bool { return !c.IsConnectionOpen() && !e.b.Connected("GID_broker@@@kick") },
		5*time.Second, 10*time.Millisecond)
	assert.False(t, e.b.Kick("GID_broker@@@kick"), "nobody left to kick")
}
