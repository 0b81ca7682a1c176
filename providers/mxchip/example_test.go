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

// A Provider obtains one-week bearer tokens with the account's AccessKey.
func ExampleProvider_Token() {
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
	tok, err := p.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type(), tok.Expiry.Sub(tok.IssuedAt))
	fmt.Println(tok.Valid())
	// Output:
	// Bearer 168h0m0s
	// true
}

// A Client creates an MQTT client for an application and lets it reach a
// device; its login feeds an MQTT library.
func ExampleClient_CreateMQTTClient() {
	srv := iotauthtest.NewServer()
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

	mqtt, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.GrantPermission(ctx, mqtt.ClientID, "device-1"); err != nil {
		log.Fatal(err)
	}
	login := mqtt.MQTTLogin()
	fmt.Println(login.Port, login.TLSPort, login.Password)
	// Output: 1883 1884 [REDACTED]
}

// ProductIDs lists the account's products. An unknown application is a
// bad request the platform reports with code 10000.
func ExampleClient_ProductIDs() {
	srv := iotauthtest.NewServer()
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

	products, err := c.ProductIDs(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, pr := range products {
		fmt.Println(pr.Name)
	}

	_, err = c.CreateMQTTClient(context.Background(), "no-such-app")
	var ie *iotauth.Error
	if errors.Is(err, iotauth.ErrBadRequest) && errors.As(err, &ie) {
		fmt.Println(ie.Code, ie.Message)
	}
	// Output:
	// test101702
	// test101701
	// 10000 app_id not found
}
