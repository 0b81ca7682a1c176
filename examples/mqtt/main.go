// Command mqtt connects MQTT devices for real, one per login: Alibaba Cloud
// MQTT's signature, device-credential and token modes, and an MXCHIP MQTT
// client. Each device subscribes to its topic and publishes QoS 1 messages
// to it while the token device's token is renewed three times on its live
// connection and the token device is disconnected once by force. It prints
// one summary line (messages sent and received, reconnects, the logins the
// devices' sources served for connects and renewals, token renewals) and
// exits 0 when every message arrived.
//
// Settings (the same variables as the iotauth command):
//
//	IOTAUTH_ALIMQTT_BASE_URL, IOTAUTH_ALIMQTT_REGION_ID, IOTAUTH_ALIMQTT_ACCESS_KEY_ID,
//	  IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET, IOTAUTH_ALIMQTT_INSTANCE_ID
//	IOTAUTH_ALIMQTT_MQTT_HOST     broker host, default {instance}.mqtt.aliyuncs.com
//	IOTAUTH_ALIMQTT_GROUP_ID      group of the devices' client ids, default GID_iotauth
//	IOTAUTH_ALIMQTT_TOPIC         parent topic the token is applied for, default iotauth
//	IOTAUTH_MXCHIP_BASE_URL, IOTAUTH_MXCHIP_CLIENT_ID, IOTAUTH_MXCHIP_CLIENT_SECRET
//	IOTAUTH_MXCHIP_APP_ID         application to create the MQTT client for
//
// Without IOTAUTH_ALIMQTT_ACCESS_KEY_ID it starts the built-in emulators
// (the platforms and an MQTT broker) and runs against them:
//
//	go run ./examples/mqtt
//
// The demo keeps each token for 2 s, so that three renewals happen within
// seconds; the platform issues them for an hour.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/examples/internal/emulated"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/pahomqtt"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/mxchip"
)

const (
	renewals    = 3               // token renewals to go through
	demoLife    = 2 * time.Second // how long the demo keeps a token
	publishGap  = 100 * time.Millisecond
	runDeadline = time.Minute
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), runDeadline)
	defer cancel()
	get := os.Getenv
	var (
		broker *mqttbroker.Broker
		tlsCfg *tls.Config
	)
	if get("IOTAUTH_ALIMQTT_ACCESS_KEY_ID") == "" {
		emu := iotauthtest.NewServer()
		defer emu.Close()
		b, err := mqttbroker.Start(emu, mqttbroker.WithExpireNotice(time.Second))
		if err != nil {
			return err
		}
		defer b.Close()
		broker, tlsCfg = b, b.ClientTLS()
		get = emulated.Getenv(emu.URL)
		fmt.Println("no IOTAUTH_ALIMQTT_ACCESS_KEY_ID: using the built-in emulators and MQTT broker at " + b.Addr())
	}

	cfg := alimqtt.Config{
		Endpoint:        get("IOTAUTH_ALIMQTT_BASE_URL"),
		RegionID:        get("IOTAUTH_ALIMQTT_REGION_ID"),
		AccessKeyID:     get("IOTAUTH_ALIMQTT_ACCESS_KEY_ID"),
		AccessKeySecret: iotauth.Secret(get("IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET")),
		InstanceID:      get("IOTAUTH_ALIMQTT_INSTANCE_ID"),
		MQTTHost:        get("IOTAUTH_ALIMQTT_MQTT_HOST"),
	}
	if broker != nil {
		cfg.MQTTHost, cfg.MQTTPort, cfg.MQTTTLSPort = broker.Host, broker.Port, broker.TLSPort
	}
	ali, err := alimqtt.New(cfg)
	if err != nil {
		return err
	}
	mx, err := mxchip.New(mxchip.Config{
		BaseURL:      get("IOTAUTH_MXCHIP_BASE_URL"),
		ClientID:     get("IOTAUTH_MXCHIP_CLIENT_ID"),
		ClientSecret: iotauth.Secret(get("IOTAUTH_MXCHIP_CLIENT_SECRET")),
	})
	if err != nil {
		return err
	}
	group := or(get("IOTAUTH_ALIMQTT_GROUP_ID"), "GID_iotauth")
	parent := or(get("IOTAUTH_ALIMQTT_TOPIC"), "iotauth")

	// The token device's token, shared through a Cache; every application
	// for a token is counted.
	var applied atomic.Int64
	tokens := iotauth.NewCache(keepFor(ali.TokenSource([]string{parent + "/#"}, alimqtt.ActionReadWrite, time.Hour), demoLife),
		iotauth.WithHook(func(e iotauth.Event) {
			if e.Err == nil && (e.Op == "login" || e.Op == "refresh") {
				applied.Add(1)
			}
		}))
	defer tokens.Close()

	devices := []*device{
		{name: "signature", src: ali.SignatureSource(group + "@@@signature")},
		{name: "device-credential", src: ali.DeviceCredentialSource(group + "@@@device-credential")},
		{name: "token", src: ali.TokenMQTTSource(group+"@@@token", tokens)},
		{name: "mxchip", src: mx.NewClient(iotauth.NewCache(mx)).MQTTSource(get("IOTAUTH_MXCHIP_APP_ID"))},
	}
	for _, d := range devices {
		d.topic = parent + "/" + d.name
		if err := d.connect(ctx, tlsCfg); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		defer d.client.Disconnect(250)
	}

	// Publish until the token has been renewed three times, forcing the
	// token device off once after the first renewal.
	tok := devices[2]
	forced := false
	for applied.Load() < renewals+1 {
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d token renewals before the deadline", applied.Load()-1, renewals)
		}
		for _, d := range devices {
			d.publish()
		}
		if !forced && applied.Load() >= 2 {
			if err := forceOff(ctx, tok, tlsCfg); err != nil {
				return err
			}
			forced = true
		}
		time.Sleep(publishGap)
	}

	// Wait for every message.
	for _, d := range devices {
		if err := d.await(ctx); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	var sent, got, reconnects, logins int64
	for _, d := range devices {
		sent += d.sent
		got += int64(d.received())
		reconnects += d.connects.Load() - 1
		logins += d.logins.Load()
	}
	fmt.Printf("mqtt: %d devices, sent %d, received %d, reconnects %d, logins %d, token renewals %d\n",
		len(devices), sent, got, reconnects, logins, applied.Load()-1)
	return nil
}

// device is one MQTT client and what it sent and received.
type device struct {
	name   string
	src    iotauth.MQTTSource
	topic  string
	client mqtt.Client

	sent     int64
	connects atomic.Int64
	logins   atomic.Int64
	mu       sync.Mutex
	got      map[string]bool
}

// connect connects the device with a persistent session (no message loss
// across reconnects) and subscribes to its topic at QoS 1.
func (d *device) connect(ctx context.Context, tlsCfg *tls.Config) error {
	opts, err := pahomqtt.ClientOptions(ctx, counted{d.src, d})
	if err != nil {
		return err
	}
	opts.SetCleanSession(false).SetMaxReconnectInterval(time.Second)
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	onConnect := opts.OnConnect
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		onConnect(c)
		d.connects.Add(1)
	})
	d.got = map[string]bool{}
	d.client = mqtt.NewClient(opts)
	if err := wait(ctx, d.client.Connect()); err != nil {
		return err
	}
	return wait(ctx, d.client.Subscribe(d.topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		d.mu.Lock()
		d.got[string(m.Payload())] = true
		d.mu.Unlock()
	}))
}

// publish sends the next message; paho keeps it across a reconnect.
func (d *device) publish() {
	d.client.Publish(d.topic, 1, false, d.name+"-"+strconv.FormatInt(d.sent, 10))
	d.sent++
}

func (d *device) received() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.got)
}

// await waits until every message sent has arrived.
func (d *device) await(ctx context.Context) error {
	for int64(d.received()) < d.sent {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d messages arrived", d.received(), d.sent)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// forceOff disconnects d by force: another connection with the same client
// id takes its session over, as a second instance of a device would; d
// reconnects with a fresh login and takes it back.
func forceOff(ctx context.Context, d *device, tlsCfg *tls.Config) error {
	before := d.connects.Load()
	opts, err := pahomqtt.ClientOptions(ctx, d.src)
	if err != nil {
		return err
	}
	opts.SetCleanSession(false).SetAutoReconnect(false)
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	other := mqtt.NewClient(opts)
	if err := wait(ctx, other.Connect()); err != nil {
		return err
	}
	other.Disconnect(0)
	for d.connects.Load() == before {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not reconnect", d.name)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// counted counts a device's logins, keeping its source's renewal.
type counted struct {
	iotauth.MQTTSource
	d *device
}

func (c counted) MQTTLogin(ctx context.Context) (iotauth.MQTTLogin, error) {
	c.d.logins.Add(1)
	return c.MQTTSource.MQTTLogin(ctx)
}

func (c counted) MQTTRenewal() iotauth.MQTTRenewal {
	if r, ok := c.MQTTSource.(iotauth.MQTTRenewer); ok {
		return r.MQTTRenewal()
	}
	return iotauth.MQTTRenewal{}
}

// keepFor makes each token of src count as expiring d after it was issued
// (or at its own expiry, if sooner): the demo renews tokens every d.
func keepFor(src iotauth.TokenSource, d time.Duration) iotauth.TokenSource {
	return iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
		t, err := src.Token(ctx)
		if err != nil {
			return nil, err
		}
		short := *t
		if limit := time.Now().Add(d); short.Expiry.IsZero() || limit.Before(short.Expiry) {
			short.Expiry = limit
		}
		return &short, nil
	})
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
