// Command multiplatform uses the four providers side by side, each behind
// its own iotauth.Cache: one service, four platforms, one way to get a token.
//
// Settings (the same variables as the iotauth command; see its --help):
//
//	IOTAUTH_OCEANCONNECT_BASE_URL, IOTAUTH_OCEANCONNECT_APP_ID, IOTAUTH_OCEANCONNECT_SECRET
//	IOTAUTH_MXCHIP_BASE_URL, IOTAUTH_MXCHIP_CLIENT_ID, IOTAUTH_MXCHIP_CLIENT_SECRET
//	IOTAUTH_CLOUDSTUDIO_BASE_URL, IOTAUTH_CLOUDSTUDIO_EMAIL, IOTAUTH_CLOUDSTUDIO_PASSWORD,
//	  IOTAUTH_CLOUDSTUDIO_CLIENT_ID
//	IOTAUTH_ALIMQTT_BASE_URL, IOTAUTH_ALIMQTT_REGION_ID, IOTAUTH_ALIMQTT_ACCESS_KEY_ID,
//	  IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET, IOTAUTH_ALIMQTT_INSTANCE_ID
//
// Unless IOTAUTH_MULTIPLATFORM_REAL=1, it runs against the built-in emulator
// of all four platforms:
//
//	go run ./examples/multiplatform
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/examples/internal/emulated"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/providers/mxchip"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

func main() {
	env := os.Getenv
	if env("IOTAUTH_MULTIPLATFORM_REAL") != "1" {
		srv := iotauthtest.NewServer()
		defer srv.Close()
		env = emulated.Getenv(srv.URL)
		fmt.Println("IOTAUTH_MULTIPLATFORM_REAL is not 1: using the built-in emulators")
	}

	sources, err := newSources(env)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, src := range sources {
		cache := iotauth.NewCache(src)
		tok, err := cache.Token(ctx)
		if err != nil {
			log.Fatal(err) // an *iotauth.Error: platform, code and request id, never a secret
		}
		fmt.Printf("%-13s %s token, expires in %s\n", cache.Describe().Name+":", tok.Type(), lifetime(tok))
	}
}

// newSources builds the four platforms' token sources from the settings.
func newSources(env func(string) string) ([]iotauth.TokenSource, error) {
	oc, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: env("IOTAUTH_OCEANCONNECT_BASE_URL"),
		AppID:   env("IOTAUTH_OCEANCONNECT_APP_ID"),
		Secret:  iotauth.Secret(env("IOTAUTH_OCEANCONNECT_SECRET")),
	})
	if err != nil {
		return nil, err
	}
	mx, err := mxchip.New(mxchip.Config{
		BaseURL:      env("IOTAUTH_MXCHIP_BASE_URL"),
		ClientID:     env("IOTAUTH_MXCHIP_CLIENT_ID"),
		ClientSecret: iotauth.Secret(env("IOTAUTH_MXCHIP_CLIENT_SECRET")),
	})
	if err != nil {
		return nil, err
	}
	clientID, _ := strconv.Atoi(env("IOTAUTH_CLOUDSTUDIO_CLIENT_ID"))
	cs, err := cloudstudio.New(cloudstudio.Config{
		BaseURL:     env("IOTAUTH_CLOUDSTUDIO_BASE_URL"),
		Email:       env("IOTAUTH_CLOUDSTUDIO_EMAIL"),
		Password:    iotauth.Secret(env("IOTAUTH_CLOUDSTUDIO_PASSWORD")),
		ClientID:    clientID,
		Description: "iotauth multiplatform example",
	})
	if err != nil {
		return nil, err
	}
	ali, err := alimqtt.New(alimqtt.Config{
		Endpoint:        env("IOTAUTH_ALIMQTT_BASE_URL"),
		RegionID:        env("IOTAUTH_ALIMQTT_REGION_ID"),
		AccessKeyID:     env("IOTAUTH_ALIMQTT_ACCESS_KEY_ID"),
		AccessKeySecret: iotauth.Secret(env("IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET")),
		InstanceID:      env("IOTAUTH_ALIMQTT_INSTANCE_ID"),
	})
	if err != nil {
		return nil, err
	}
	aliTokens := ali.TokenSource([]string{"example/#"}, alimqtt.ActionReadWrite, time.Hour)
	return []iotauth.TokenSource{oc, mx, cs, aliTokens}, nil
}

// lifetime is how long tok has left, to the hour for long-lived tokens.
func lifetime(tok *iotauth.Token) string {
	if tok.Expiry.IsZero() {
		return "never"
	}
	left := time.Until(tok.Expiry)
	if left > 48*time.Hour {
		return fmt.Sprintf("%dd", int(left.Hours()/24+0.5))
	}
	return left.Round(time.Minute).String()
}
