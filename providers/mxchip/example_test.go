package mxchip_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/mxchip"
)

// A Provider wrapped in an iotauth.Cache feeds a Client, whose calls get a
// token (one login for all of them), send it, and are resent with a fresh
// token when the platform answers that it expired.
func Example() {
	srv := iotauthtest.NewServer() // stands in for https://api.fogcloud.io
	defer srv.Close()

	p, err := mxchip.New(mxchip.Config{
		BaseURL:      srv.URL,
		ClientID:     iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret,
	})
	if err != nil {
		log.Fatal(err)
	}
	c := p.NewClient(iotauth.NewCache(p))
	ctx := context.Background()

	// An MQTT client for an application, allowed to reach one device.
	mqtt, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.GrantPermission(ctx, mqtt.ClientID, "device-1"); err != nil {
		log.Fatal(err)
	}
	login := mqtt.MQTTLogin() // for an MQTT library
	fmt.Println(login.Port, login.TLSPort, login.Password)

	products, err := c.ProductIDs(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, pr := range products {
		fmt.Println(pr.Name)
	}

	// Business errors arrive with HTTP 200; meta.code gives their kind.
	_, err = c.CreateMQTTClient(ctx, "no-such-app")
	var ie *iotauth.Error
	if errors.Is(err, iotauth.ErrBadRequest) && errors.As(err, &ie) {
		fmt.Println(ie.Code, ie.Message)
	}
	fmt.Println("logins:", srv.MXCHIP.Logins())
	// Output:
	// 1883 1884 [REDACTED]
	// test101702
	// test101701
	// 10000 app_id not found
	// logins: 1
}

// New names the field a Config lacks.
func ExampleNew() {
	_, err := mxchip.New(mxchip.Config{ClientID: "my-access-key-id"})
	fmt.Println(err)
	// Output: iotauth: mxchip New: bad request: Config.ClientSecret is required
}
