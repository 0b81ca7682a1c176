// Command mqtt turns an Alibaba Cloud MQTT device credential and an MXCHIP
// MQTT client into paho.mqtt.golang ClientOptions. It prints the options
// (the password redacted) instead of connecting: pass them to
// mqtt.NewClient(opts).Connect() in a real service.
//
// Settings (the same variables as the iotauth command):
//
//	IOTAUTH_ALIMQTT_BASE_URL, IOTAUTH_ALIMQTT_REGION_ID, IOTAUTH_ALIMQTT_ACCESS_KEY_ID,
//	  IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET, IOTAUTH_ALIMQTT_INSTANCE_ID
//	IOTAUTH_ALIMQTT_DEVICE         device client id, GroupID@@@DeviceID
//	IOTAUTH_MXCHIP_BASE_URL, IOTAUTH_MXCHIP_CLIENT_ID, IOTAUTH_MXCHIP_CLIENT_SECRET
//	IOTAUTH_MXCHIP_APP_ID          application to create the MQTT client for
//
// Without IOTAUTH_ALIMQTT_ACCESS_KEY_ID it runs against the built-in
// emulators:
//
//	go run ./examples/mqtt
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/examples/internal/emulated"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/mxchip"
)

func main() {
	get := os.Getenv
	if get("IOTAUTH_ALIMQTT_ACCESS_KEY_ID") == "" {
		srv := iotauthtest.NewServer()
		defer srv.Close()
		get = emulated.Getenv(srv.URL)
		fmt.Println("no IOTAUTH_ALIMQTT_ACCESS_KEY_ID: using the built-in emulators")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Alibaba Cloud MQTT: one device, one secret. DeviceCredential registers
	// it only if the device has none, and never replaces one in use.
	ali, err := alimqtt.New(alimqtt.Config{
		Endpoint:        get("IOTAUTH_ALIMQTT_BASE_URL"),
		RegionID:        get("IOTAUTH_ALIMQTT_REGION_ID"),
		AccessKeyID:     get("IOTAUTH_ALIMQTT_ACCESS_KEY_ID"),
		AccessKeySecret: iotauth.Secret(get("IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET")),
		InstanceID:      get("IOTAUTH_ALIMQTT_INSTANCE_ID"),
	})
	if err != nil {
		log.Fatal(err)
	}
	cred, err := ali.DeviceCredential(ctx, get("IOTAUTH_ALIMQTT_DEVICE"))
	if err != nil {
		log.Fatal(err)
	}
	printOptions("alimqtt", clientOptions(cred.MQTTLogin()))

	// MXCHIP: an MQTT client created for an application.
	mx, err := mxchip.New(mxchip.Config{
		BaseURL:      get("IOTAUTH_MXCHIP_BASE_URL"),
		ClientID:     get("IOTAUTH_MXCHIP_CLIENT_ID"),
		ClientSecret: iotauth.Secret(get("IOTAUTH_MXCHIP_CLIENT_SECRET")),
	})
	if err != nil {
		log.Fatal(err)
	}
	mc, err := mx.NewClient(iotauth.NewCache(mx)).CreateMQTTClient(ctx, get("IOTAUTH_MXCHIP_APP_ID"))
	if err != nil {
		log.Fatal(err)
	}
	printOptions("mxchip", clientOptions(mc.MQTTLogin()))
}

// clientOptions feeds an MQTT login into paho's options.
func clientOptions(l iotauth.MQTTLogin) *paho.ClientOptions {
	return paho.NewClientOptions().
		AddBroker(l.BrokerURL()).
		SetClientID(l.ClientID).
		SetUsername(l.Username).
		SetPassword(string(l.Password)).
		SetCleanSession(true).
		SetConnectTimeout(10 * time.Second)
}

// printOptions prints what the options connect with; the password goes
// through iotauth.Secret, which prints [REDACTED].
func printOptions(platform string, o *paho.ClientOptions) {
	for _, s := range o.Servers {
		fmt.Printf("%s broker:   %s\n", platform, s)
	}
	fmt.Printf("%s client:   %s\n", platform, o.ClientID)
	fmt.Printf("%s username: %s\n", platform, o.Username)
	fmt.Printf("%s password: %v\n", platform, iotauth.Secret(o.Password))
}
