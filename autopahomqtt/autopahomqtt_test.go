package autopahomqtt_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/autopahomqtt"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/mxchip"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const topic = "parent/devices"

type env struct {
	emu    *iotauthtest.Server
	broker *mqttbroker.Broker
}

func newEnv(t *testing.T) *env {
	t.Helper()
	emu := iotauthtest.NewServer()
	opts := []mqttbroker.Option{mqttbroker.WithExpireNotice(700 * time.Millisecond), mqttbroker.WithCheckInterval(20 * time.Millisecond)}
	if os.Getenv("BROKER_DEBUG") != "" {
		opts = append(opts, mqttbroker.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	b, err := mqttbroker.Start(emu, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = b.Close()
		emu.Close()
	})
	return &env{emu: emu, broker: b}
}

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

// shortTokens applies for tokens valid an hour on the platform, which the
// client believes valid for life, so that the renewal runs every life.
func shortTokens(c *alimqtt.Provider, life time.Duration) iotauth.TokenSource {
	src := c.TokenSource([]string{"parent/#"}, alimqtt.ActionReadWrite, time.Hour)
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

var sources = []struct {
	name string
	make func(t *testing.T, e *env, clientID string) iotauth.MQTTSource
}{
	{"signature", func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		return e.alibaba(t, iotauthtest.AlibabaAccessKeySecret).SignatureSource(id)
	}},
	{"device-credential", func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		return e.alibaba(t, iotauthtest.AlibabaAccessKeySecret).DeviceCredentialSource(id)
	}},
	{"token", func(t *testing.T, e *env, id string) iotauth.MQTTSource {
		c := e.alibaba(t, iotauthtest.AlibabaAccessKeySecret)
		return c.TokenMQTTSource(id, iotauth.NewCache(shortTokens(c, 2*time.Second)))
	}},
	{"mxchip", func(t *testing.T, e *env, _ string) iotauth.MQTTSource {
		p, err := mxchip.New(mxchip.Config{BaseURL: e.emu.URL, ClientID: iotauthtest.MXCHIPClientID,
			ClientSecret: iotauthtest.MXCHIPClientSecret, HTTPClient: noKeepAlive})
		require.NoError(t, err)
		return p.NewClient(iotauth.NewCache(p)).MQTTSource(iotauthtest.MXCHIPAppID)
	}},
}

// device is a connection manager subscribed to topic, counting what arrives.
type device struct {
	cm       *autopaho.ConnectionManager
	id       string
	ups      atomic.Int64
	mu       sync.Mutex
	received map[string]bool
}

func (d *device) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.received)
}

func connect(t *testing.T, e *env, src iotauth.MQTTSource) *device {
	t.Helper()
	d := &device{received: map[string]bool{}}
	cfg := autopaho.ClientConfig{
		TlsCfg:                        e.broker.ClientTLS(),
		KeepAlive:                     30,
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         60,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			d.ups.Add(1)
			go func() { // OnConnectionUp must not block
				_, _ = cm.Subscribe(context.Background(), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
			}()
		},
		ClientConfig: paho.ClientConfig{OnPublishReceived: []func(paho.PublishReceived) (bool, error){
			func(p paho.PublishReceived) (bool, error) {
				d.mu.Lock()
				d.received[string(p.Packet.Payload)] = true
				d.mu.Unlock()
				return true, nil
			},
		}},
	}
	l, err := src.MQTTLogin(context.Background())
	require.NoError(t, err)
	d.id = l.ClientID
	cm, err := autopahomqtt.NewConnection(context.Background(), src, cfg)
	require.NoError(t, err)
	d.cm = cm
	return d
}

// publish queues n QoS 1 messages: autopaho delivers them across reconnects.
func (d *device) publish(t *testing.T, prefix string, n int, gap time.Duration) {
	t.Helper()
	for i := range n {
		err := d.cm.PublishViaQueue(context.Background(), &autopaho.QueuePublish{Publish: &paho.Publish{
			QoS: 1, Topic: topic, Payload: []byte(prefix + "-" + strconv.Itoa(i))}})
		require.NoError(t, err)
		time.Sleep(gap) // pacing only: the messages span renewals and reconnects
	}
}

func (d *device) close(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.cm.Disconnect(ctx)
	<-d.cm.Done()
}

// Every source connects, receives what it publishes, and leaves nothing
// running after Disconnect.
func TestNewConnection_EachSource_Connects_AndLeavesNothingAfterDisconnect(t *testing.T) {
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			e := newEnv(t)
			before := goleak.IgnoreCurrent()
			d := connect(t, e, s.make(t, e, "GID_test@@@"+s.name))
			require.Eventually(t, func() bool { return e.broker.Connected(d.id) }, 5*time.Second, 10*time.Millisecond)
			time.Sleep(50 * time.Millisecond) // let the SUBSCRIBE from OnConnectionUp reach the broker
			d.publish(t, s.name, 5, 0)
			require.Eventually(t, func() bool { return d.count() == 5 }, 5*time.Second, 10*time.Millisecond)
			assert.Equal(t, 1, e.broker.Connects(d.id))
			d.close(t)
			goleak.VerifyNone(t, before, providerKeeps)
		})
	}
}

// A kicked client reconnects within 5 s with a fresh login, and no QoS 1
// message is lost.
func TestNewConnection_Kicked_ReconnectsWithin5s_NoMessageLost(t *testing.T) {
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			e := newEnv(t)
			d := connect(t, e, s.make(t, e, "GID_test@@@"+s.name))
			defer d.close(t)
			require.Eventually(t, func() bool { return e.broker.Connected(d.id) }, 5*time.Second, 10*time.Millisecond)
			time.Sleep(50 * time.Millisecond) // the subscription
			done := make(chan struct{})
			go func() {
				defer close(done)
				d.publish(t, "kick", 40, 10*time.Millisecond)
			}()
			require.True(t, e.broker.Kick(d.id))
			require.Eventually(t, func() bool { return e.broker.Connects(d.id) >= 2 && d.ups.Load() >= 2 && e.broker.Connected(d.id) },
				5*time.Second, 10*time.Millisecond)
			<-done
			require.Eventually(t, func() bool { return d.count() == 40 }, 5*time.Second, 10*time.Millisecond)
		})
	}
}

// A token expiring during the session is renewed on the live connection.
func TestNewConnection_TokenMode_RenewedWithoutDisconnect(t *testing.T) {
	e := newEnv(t)
	ali := e.alibaba(t, iotauthtest.AlibabaAccessKeySecret)
	cache := iotauth.NewCache(shortTokens(ali, 1500*time.Millisecond))
	defer cache.Close()
	d := connect(t, e, ali.TokenMQTTSource("GID_test@@@renew", cache))
	defer d.close(t)
	require.Eventually(t, func() bool { return e.broker.Connected(d.id) }, 5*time.Second, 10*time.Millisecond)
	first := e.broker.Tokens(d.id)["RW"]
	time.Sleep(50 * time.Millisecond)
	d.publish(t, "renew", 80, 40*time.Millisecond)
	require.Eventually(t, func() bool { return e.broker.Counts(d.id).Uploads >= 2 }, 10*time.Second, 10*time.Millisecond)
	require.True(t, e.broker.ExpireToken(first))
	require.Eventually(t, func() bool { return d.count() == 80 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, e.broker.Connects(d.id), "never reconnected")
}

// A wrong secret fails NewConnection within seconds, after one CONNECT,
// and the signature source is held off afterwards.
func TestNewConnection_WrongSecret_FailsAtOnce_NoStorm(t *testing.T) {
	e := newEnv(t)
	id := "GID_test@@@wrong"
	before := goleak.IgnoreCurrent()
	src := e.alibaba(t, "not-the-secret").SignatureSource(id)
	start := time.Now()
	_, err := autopahomqtt.NewConnection(context.Background(), src, autopaho.ClientConfig{})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	_, err = src.MQTTLogin(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	_, err = autopahomqtt.NewConnection(context.Background(), src, autopaho.ClientConfig{})
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials, "held off: no CONNECT")
	goleak.VerifyNone(t, before) // nothing left running that could retry
	assert.Equal(t, 1, e.broker.Connects(id))
}
