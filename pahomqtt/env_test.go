package pahomqtt_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/pahomqtt"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/mxchip"
)

// env is the platform emulators and the broker emulator.
type env struct {
	emu    *iotauthtest.Server
	broker *mqttbroker.Broker
}

func newEnv(t *testing.T) *env {
	t.Helper()
	emu := iotauthtest.NewServer()
	b, err := mqttbroker.Start(emu, mqttbroker.WithExpireNotice(700*time.Millisecond), mqttbroker.WithCheckInterval(20*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = b.Close()
		emu.Close()
	})
	return &env{emu: emu, broker: b}
}

// noKeepAlive makes platform calls without idle connections, so that no
// goroutine outlives a test.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func (e *env) alibaba(t *testing.T, secret string) *alimqtt.Provider {
	t.Helper()
	c, err := alimqtt.New(alimqtt.Config{
		Endpoint: e.emu.URL, RegionID: iotauthtest.EmulatorRegion, AccessKeyID: iotauthtest.AlibabaAccessKeyID,
		AccessKeySecret: iotauth.Secret(secret), InstanceID: iotauthtest.AlibabaInstanceID,
		MQTTHost: e.broker.Host, MQTTPort: e.broker.Port, MQTTTLSPort: -1, HTTPClient: noKeepAlive,
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() }) // ends the sweeper of the device credentials it keeps
	return c
}

// providerKeeps is what an alimqtt Provider may leave running while it
// keeps device credentials: the sweeper of idle ones, which its Close ends.
// It is the Provider's, not the connection's.
var providerKeeps = goleak.IgnoreAnyFunction("github.com/iotauth/iotauth.(*Pool).sweeper")

func (e *env) mxchip(t *testing.T) *mxchip.Client {
	t.Helper()
	p, err := mxchip.New(mxchip.Config{BaseURL: e.emu.URL, ClientID: iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret, HTTPClient: noKeepAlive})
	require.NoError(t, err)
	return p.NewClient(iotauth.NewCache(p))
}

// shortTokens applies for tokens valid an hour on the platform, which the
// client believes valid for life: the renewal runs every life, and a token
// the broker is told to expire has been replaced already.
func shortTokens(c *alimqtt.Provider, actions string, life time.Duration, resources ...string) iotauth.TokenSource {
	src := c.TokenSource(resources, actions, time.Hour)
	return iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
		t, err := src.Token(ctx)
		if err != nil {
			return nil, err
		}
		short := *t
		short.IssuedAt, short.Expiry = time.Now(), time.Now().Add(life)
		return &short, nil
	})
}

// source is a named way to log in.
type source struct {
	name string
	make func(t *testing.T, e *env, clientID string) iotauth.MQTTSource
}

const topic = "parent/devices"

// sources are the four logins, each through its own source.
var sources = []source{
	{name: "signature", make: func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		return e.alibaba(t, iotauthtest.AlibabaAccessKeySecret).SignatureSource(id)
	}},
	{name: "device-credential", make: func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		return e.alibaba(t, iotauthtest.AlibabaAccessKeySecret).DeviceCredentialSource(id)
	}},
	{name: "token", make: func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		c := e.alibaba(t, iotauthtest.AlibabaAccessKeySecret)
		return c.TokenMQTTSource(id, iotauth.NewCache(shortTokens(c, "R,W", 2*time.Second, "parent/#")))
	}},
	{name: "mxchip", make: func(t *testing.T, e *env, _ string) iotauth.MQTTSource {
		return e.mxchip(t).MQTTSource(iotauthtest.MXCHIPAppID)
	}},
}

// counting counts the logins a source serves, and keeps its renewal.
type counting struct {
	iotauth.MQTTSource
	logins atomic.Int64
}

func (c *counting) MQTTLogin(ctx context.Context) (iotauth.MQTTLogin, error) {
	c.logins.Add(1)
	return c.MQTTSource.MQTTLogin(ctx)
}

type countingRenewer struct {
	*counting
	r iotauth.MQTTRenewer
}

func (c countingRenewer) MQTTRenewal() iotauth.MQTTRenewal { return c.r.MQTTRenewal() }

func count(src iotauth.MQTTSource) (iotauth.MQTTSource, *counting) {
	c := &counting{MQTTSource: src}
	if r, ok := src.(iotauth.MQTTRenewer); ok {
		return countingRenewer{c, r}, c
	}
	return c, c
}

// received collects the payloads of messages, once each.
type received struct {
	mu  sync.Mutex
	got map[string]bool
}

func (r *received) handler(_ mqtt.Client, m mqtt.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]bool{}
	}
	r.got[string(m.Payload())] = true
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// connect connects a client with logins from src, subscribed to topic at
// QoS 1 on every connect, with a persistent session.
func connect(t *testing.T, e *env, src iotauth.MQTTSource, r *received) (mqtt.Client, string) {
	t.Helper()
	opts, err := pahomqtt.ClientOptions(context.Background(), src)
	require.NoError(t, err)
	opts.SetTLSConfig(e.broker.ClientTLS()).SetCleanSession(false).SetMaxReconnectInterval(time.Second)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "connect timed out")
	require.NoError(t, tok.Error())
	if r != nil {
		st := c.Subscribe(topic, 1, r.handler)
		require.True(t, st.WaitTimeout(5*time.Second))
		require.NoError(t, st.Error())
	}
	return c, opts.ClientID
}
