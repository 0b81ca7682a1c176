// Command resty puts the iotauth Transport inside a resty v2 client calling
// the MXCHIP (FogCloud) open API. MXCHIP reports an expired token in an
// HTTP 200 body (meta.code 10100); the Transport recognizes it, gets a new
// token and resends the request, so resty only ever sees the answer.
//
// Settings (the same variables as the iotauth command):
//
//	IOTAUTH_MXCHIP_BASE_URL       API address (default https://api.fogcloud.io)
//	IOTAUTH_MXCHIP_CLIENT_ID      AccessKey ID
//	IOTAUTH_MXCHIP_CLIENT_SECRET  AccessKey Secret
//
// Without IOTAUTH_MXCHIP_CLIENT_ID it runs against the built-in emulator,
// which also expires the token between the two calls:
//
//	go run ./examples/resty
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/go-resty/resty/v2"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/mxchip"
)

// products is the MXCHIP envelope of GET /v3/open_api/product/ids/.
type products struct {
	Meta struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"meta"`
	Data []struct {
		ID   string `json:"productid"`
		Name string `json:"pname"`
	} `json:"data"`
}

func main() {
	cfg := mxchip.Config{
		BaseURL:      os.Getenv("IOTAUTH_MXCHIP_BASE_URL"),
		ClientID:     os.Getenv("IOTAUTH_MXCHIP_CLIENT_ID"),
		ClientSecret: iotauth.Secret(os.Getenv("IOTAUTH_MXCHIP_CLIENT_SECRET")),
	}
	var emu *iotauthtest.Server
	if cfg.ClientID == "" {
		emu = iotauthtest.NewServer()
		defer emu.Close()
		cfg = mxchip.Config{BaseURL: emu.URL, ClientID: iotauthtest.MXCHIPClientID, ClientSecret: iotauthtest.MXCHIPClientSecret}
		fmt.Println("no IOTAUTH_MXCHIP_CLIENT_ID: using the built-in emulator")
	}
	base := cfg.BaseURL
	if base == "" {
		base = mxchip.DefaultBaseURL
	}

	p, err := mxchip.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	cache := iotauth.NewCache(p)
	client := resty.New().SetBaseURL(base).SetTransport(iotauth.NewTransport(cache, nil))

	for i := range 2 {
		if i == 1 && emu != nil {
			emu.MXCHIP.ExpireTokens() // the platform now answers the cached token with meta.code 10100
			fmt.Println("the platform expired the token")
		}
		var out products
		resp, err := client.R().SetResult(&out).Get("/v3/open_api/product/ids/")
		if err != nil {
			log.Fatal(err)
		}
		if out.Meta.Code != 0 {
			log.Fatalf("MXCHIP answered code %d: %s", out.Meta.Code, out.Meta.Message)
		}
		fmt.Printf("GET /v3/open_api/product/ids/: %s, %d products\n", resp.Status(), len(out.Data))
	}
	fmt.Printf("logins: %d\n", cache.Stats().Logins)
}
