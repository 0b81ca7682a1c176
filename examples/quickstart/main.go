// Command quickstart calls Huawei OceanConnect through a plain net/http
// client whose Transport logs in, caches the token and attaches the
// "app_key" and "Authorization" headers to every request.
//
// Settings (the same variables as the iotauth command):
//
//	IOTAUTH_OCEANCONNECT_BASE_URL  platform address, such as https://host:8743
//	IOTAUTH_OCEANCONNECT_APP_ID    application id
//	IOTAUTH_OCEANCONNECT_SECRET    application secret
//
// Without IOTAUTH_OCEANCONNECT_BASE_URL it runs against the built-in
// emulator, so it needs no account:
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

func main() {
	base := os.Getenv("IOTAUTH_OCEANCONNECT_BASE_URL")
	appID := os.Getenv("IOTAUTH_OCEANCONNECT_APP_ID")
	secret := iotauth.Secret(os.Getenv("IOTAUTH_OCEANCONNECT_SECRET"))
	if base == "" {
		srv := iotauthtest.NewServer()
		defer srv.Close()
		base, appID, secret = srv.URL, iotauthtest.OceanConnectAppID, iotauthtest.OceanConnectSecret
		fmt.Println("no IOTAUTH_OCEANCONNECT_BASE_URL: using the built-in emulator")
	}

	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: base, AppID: appID, Secret: secret})
	if err != nil {
		log.Fatal(err)
	}
	cache := iotauth.NewCache(p) // one login for all callers, refreshed ahead of expiry
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	for range 3 {
		resp, err := client.Get(base + "/iocm/app/dm/v1.4.0/devices")
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("GET /iocm/app/dm/v1.4.0/devices: %s %s\n", resp.Status, body)
	}
	st := cache.Stats()
	fmt.Printf("3 requests, %d login\n", st.Logins)
}
