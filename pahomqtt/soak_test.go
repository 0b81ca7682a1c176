package pahomqtt_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
	"github.com/iotauth/iotauth/pahomqtt"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// BenchmarkSoak_1000Sessions_OneRenewal connects 1,000 token mode device
// sessions in one process, each through its own source over one shared
// token Cache, and takes them through one token renewal while each
// publishes QoS 1 messages to itself. It reports CONNECTs per session,
// ApplyToken calls for the renewal, messages lost, sessions renewed, the
// time to connect all sessions, and the time from the first session's token
// upload to the last (the broker's times of acceptance). Run it once:
//
//	cd pahomqtt && go test -run '^$' -bench Soak -benchtime 1x
func BenchmarkSoak_1000Sessions_OneRenewal(b *testing.B) {
	const (
		sessions = 1000
		messages = 8 // per session, spread over the renewal
		gap      = 3 * time.Second
		life     = 30 * time.Second // renewed after about 22 s, once in the run
	)
	for range b.N {
		emu := iotauthtest.NewServer()
		broker, err := mqttbroker.Start(emu, mqttbroker.WithExpireNotice(time.Second), mqttbroker.WithCheckInterval(100*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		ali, err := alimqtt.New(alimqtt.Config{
			Endpoint: emu.URL, RegionID: iotauthtest.EmulatorRegion, AccessKeyID: iotauthtest.AlibabaAccessKeyID,
			AccessKeySecret: iotauthtest.AlibabaAccessKeySecret, InstanceID: iotauthtest.AlibabaInstanceID,
			MQTTHost: broker.Host, MQTTPort: broker.Port, MQTTTLSPort: -1, HTTPClient: noKeepAlive,
		})
		if err != nil {
			b.Fatal(err)
		}
		src := ali.TokenSource([]string{"soak/#"}, alimqtt.ActionReadWrite, time.Hour)
		cache := iotauth.NewCache(iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
			t, err := src.Token(ctx)
			if err != nil {
				return nil, err
			}
			short := *t // the platform issues tokens for an hour; the sessions renew after life
			short.Expiry = time.Now().Add(life)
			return &short, nil
		}))

		var received atomic.Int64
		clients := make([]mqtt.Client, sessions)
		ids := make([]string, sessions)
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := range sessions {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				ids[i] = "GID_soak@@@" + strconv.Itoa(i)
				opts, err := pahomqtt.ClientOptions(context.Background(), ali.TokenMQTTSource(ids[i], cache))
				if err != nil {
					b.Error(err)
					return
				}
				opts.SetCleanSession(false).SetMaxReconnectInterval(time.Second)
				c := mqtt.NewClient(opts)
				if t := c.Connect(); !t.WaitTimeout(30*time.Second) || t.Error() != nil {
					b.Errorf("session %d: connect: %v", i, t.Error())
					return
				}
				if t := c.Subscribe("soak/"+strconv.Itoa(i), 1, func(mqtt.Client, mqtt.Message) { received.Add(1) }); !t.WaitTimeout(30*time.Second) || t.Error() != nil {
					b.Errorf("session %d: subscribe: %v", i, t.Error())
					return
				}
				clients[i] = c
			})
		}
		wg.Wait()
		connected := time.Since(start)
		if b.Failed() {
			b.FailNow()
		}
		appliedBefore := emu.Alibaba.Calls("ApplyToken")
		renewStart := time.Now()

		// Publish while the renewal runs, until every session uploaded once.
		var pubs sync.WaitGroup
		for i, c := range clients {
			pubs.Go(func() {
				for m := range messages {
					c.Publish("soak/"+strconv.Itoa(i), 1, false, strconv.Itoa(m)).WaitTimeout(30 * time.Second)
					time.Sleep(gap)
				}
			})
		}
		uploaded := func() (n int) {
			for _, id := range ids {
				if broker.Counts(id).Uploads > 0 {
					n++
				}
			}
			return n
		}
		deadline := time.Now().Add(life)
		for uploaded() < sessions && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		renewed := time.Since(renewStart)
		// The spread of the uploads, from the broker's own times.
		var firstUpload, lastUpload time.Time
		for _, id := range ids {
			at := broker.Counts(id).LastUpload
			if at.IsZero() {
				continue
			}
			if firstUpload.IsZero() || at.Before(firstUpload) {
				firstUpload = at
			}
			if at.After(lastUpload) {
				lastUpload = at
			}
		}
		spread := lastUpload.Sub(firstUpload)
		applied := emu.Alibaba.Calls("ApplyToken") - appliedBefore
		pubs.Wait()
		for received.Load() < sessions*messages && time.Now().Before(deadline.Add(10*time.Second)) {
			time.Sleep(50 * time.Millisecond)
		}

		connects := 0
		for _, id := range ids {
			connects += broker.Connects(id)
		}
		b.ReportMetric(float64(connects)/sessions, "connects/session")
		b.ReportMetric(float64(applied), "applytoken/renewal")
		b.ReportMetric(float64(uploaded()), "sessions-renewed")
		b.ReportMetric(float64(sessions*messages-received.Load()), "lost")
		b.ReportMetric(connected.Seconds(), "s-to-connect-all")
		b.ReportMetric(spread.Seconds(), "s-first-to-last-upload")
		if testing.Verbose() {
			fmt.Printf("connected %d sessions in %v; all renewed %v later\n", sessions, connected, renewed)
		}

		var closing sync.WaitGroup
		for _, c := range clients {
			closing.Go(func() { c.Disconnect(250) })
		}
		closing.Wait()
		cache.Close()
		_ = broker.Close()
		emu.Close()
	}
}
