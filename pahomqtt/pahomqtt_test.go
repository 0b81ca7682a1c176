package pahomqtt_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/pahomqtt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// publish sends n QoS 1 messages named prefix-i, pausing gap between them.
// A message being written when the connection drops has its token failed,
// but paho keeps it in its store and sends it again after the reconnect:
// the receivers check that every message arrives.
func publish(t *testing.T, c mqtt.Client, prefix string, n int, gap time.Duration) {
	t.Helper()
	toks := make([]mqtt.Token, n)
	for i := range n {
		toks[i] = c.Publish(topic, 1, false, prefix+"-"+strconv.Itoa(i))
		time.Sleep(gap) // pacing only: the messages span renewals and reconnects
	}
	for i, tok := range toks {
		assert.True(t, tok.WaitTimeout(10*time.Second), "message %d: no answer", i)
	}
}

// Every source connects, receives what it publishes at QoS 1, and leaves no
// goroutine behind after Disconnect, its ctx never cancelled.
func TestClientOptions_EachSource_Connects_AndLeavesNothingAfterDisconnect(t *testing.T) {
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			e := newEnv(t)
			before := goleak.IgnoreCurrent()
			var r received
			c, id := connect(t, e, s.make(t, e, "GID_test@@@"+s.name), &r)
			publish(t, c, s.name, 5, 0)
			require.Eventually(t, func() bool { return r.count() == 5 }, 5*time.Second, 10*time.Millisecond)
			assert.Equal(t, 1, e.broker.Connects(id))
			c.Disconnect(250)
			goleak.VerifyNone(t, before, providerKeeps)
		})
	}
}

// A kicked client reconnects within 5 s with a fresh login, and the QoS 1
// messages published across the drop all arrive.
func TestClientOptions_KickedClient_ReconnectsWithAFreshLogin_NoMessageLost(t *testing.T) {
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			e := newEnv(t)
			src, n := count(s.make(t, e, "GID_test@@@"+s.name))
			var r received
			c, id := connect(t, e, src, &r)
			defer c.Disconnect(250)
			logins := n.logins.Load()
			done := make(chan struct{})
			go func() {
				defer close(done)
				publish(t, c, "kick", 40, 10*time.Millisecond)
			}()
			require.True(t, e.broker.Kick(id))
			require.Eventually(t, func() bool { return e.broker.Connects(id) >= 2 && c.IsConnectionOpen() && e.broker.Connected(id) },
				5*time.Second, 10*time.Millisecond, "reconnected within 5 s")
			assert.Greater(t, n.logins.Load(), logins, "a fresh login for the reconnect")
			<-done
			require.Eventually(t, func() bool { return r.count() == 40 }, 5*time.Second, 10*time.Millisecond,
				"every QoS 1 message arrives")
		})
	}
}

// A token that expires during the session is renewed on the live
// connection: the broker gets the new token, the old one may expire, and the
// client never reconnects; messages flow throughout.
func TestClientOptions_TokenMode_RenewedWithoutDisconnect(t *testing.T) {
	e := newEnv(t)
	ali := e.alibaba(t, iotauthtest.AlibabaAccessKeySecret)
	cache := iotauth.NewCache(shortTokens(ali, "R,W", 1500*time.Millisecond, "parent/#"))
	defer cache.Close()
	var r received
	c, id := connect(t, e, ali.TokenMQTTSource("GID_test@@@renew", cache), &r)
	defer c.Disconnect(250)
	first := e.broker.Tokens(id)["RW"]
	require.NotEmpty(t, first)

	done := make(chan struct{})
	go func() {
		defer close(done)
		publish(t, c, "renew", 100, 40*time.Millisecond) // about 4 s: two renewals or more
	}()
	require.Eventually(t, func() bool { return e.broker.Counts(id).Uploads >= 2 }, 10*time.Second, 10*time.Millisecond)
	assert.NotEqual(t, first, e.broker.Tokens(id)["RW"], "the broker holds the renewed token")
	require.True(t, e.broker.ExpireToken(first))
	<-done
	require.Eventually(t, func() bool { return r.count() == 100 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, e.broker.Connects(id), "never reconnected")
	assert.True(t, c.IsConnectionOpen())
}

// When the broker finds the connection's token expired or revoked, it sends
// an invalid-token notice and drops the connection: the client reconnects
// with a new token.
func TestClientOptions_TokenMode_RevokedToken_ReconnectsWithANewOne(t *testing.T) {
	e := newEnv(t)
	ali := e.alibaba(t, iotauthtest.AlibabaAccessKeySecret)
	cache := iotauth.NewCache(ali.TokenSource([]string{"parent/#"}, "R,W", time.Hour))
	defer cache.Close()
	c, id := connect(t, e, ali.TokenMQTTSource("GID_test@@@revoke", cache), nil)
	defer c.Disconnect(250)
	first := e.broker.Tokens(id)["RW"]
	require.True(t, e.broker.RevokeToken(first))
	require.Eventually(t, func() bool {
		tok := e.broker.Tokens(id)["RW"]
		return e.broker.Connects(id) == 2 && tok != "" && tok != first
	}, 5*time.Second, 10*time.Millisecond, "%+v", e.broker.Counts(id))
	assert.Equal(t, 0, e.broker.Counts(id).Refused, "the revoked token was not offered again")
}

// A wrong secret fails Connect within seconds, with no reconnect storm;
// afterwards the signature source is held off with ErrInvalidCredentials,
// and Connect makes no CONNECT at all.
func TestClientOptions_WrongSecret_ConnectFails_NoStorm_HeldOff(t *testing.T) {
	e := newEnv(t)
	id := "GID_test@@@wrong"
	before := goleak.IgnoreCurrent()
	src := e.alibaba(t, "not-the-secret").SignatureSource(id)
	opts, err := pahomqtt.ClientOptions(context.Background(), src)
	require.NoError(t, err)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "Connect answers within seconds")
	require.Error(t, tok.Error())

	_, err = src.MQTTLogin(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	var ie *iotauth.Error
	require.True(t, errors.As(err, &ie))
	assert.NotContains(t, err.Error(), "not-the-secret")

	tok = c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.Error(t, tok.Error(), "held off: no login to connect with")
	_, err = src.MQTTLogin(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials, "still held off")
	assert.Equal(t, 1, e.broker.Connects(id), "one CONNECT, no storm")
	assert.Equal(t, 1, e.broker.Counts(id).Refused)
	assert.False(t, c.IsConnectionOpen())
	goleak.VerifyNone(t, before) // nothing left running that could retry
	assert.Equal(t, 1, e.broker.Connects(id))
}

// A wrong AccessKey secret in token or device-credential mode fails at the
// platform, before any CONNECT.
func TestClientOptions_WrongSecret_TokenAndDeviceCredential_FailBeforeConnect(t *testing.T) {
	e := newEnv(t)
	ali := e.alibaba(t, "not-the-secret")
	for _, src := range []iotauth.MQTTSource{
		ali.DeviceCredentialSource("GID_test@@@dc"),
		ali.TokenMQTTSource("GID_test@@@tok", iotauth.NewCache(ali.TokenSource([]string{"parent/#"}, "R", time.Hour))),
	} {
		_, err := pahomqtt.ClientOptions(context.Background(), src)
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	}
	assert.Zero(t, e.broker.Connects("GID_test@@@dc")+e.broker.Connects("GID_test@@@tok"))
}

func TestClientOptions_NilSource(t *testing.T) {
	_, err := pahomqtt.ClientOptions(context.Background(), nil)
	require.Error(t, err)
}
