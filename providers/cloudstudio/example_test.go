package cloudstudio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/store"
)

// An http.Client whose service calls to Cloud Studio carry a persistent
// access token in their JSON body, created once, shared through a Store so
// that a restart reuses it, and rotated before it expires.
func Example() {
	srv := iotauthtest.NewServer() // stands in for https://gear.cloud.studio
	defer srv.Close()

	p, err := cloudstudio.New(cloudstudio.Config{
		BaseURL:     srv.URL,
		Email:       iotauthtest.CloudStudioEmail,
		Password:    iotauthtest.CloudStudioPassword,
		ClientID:    iotauthtest.CloudStudioClientID,
		Description: "billing export",
	})
	if err != nil {
		panic(err)
	}
	cache := iotauth.NewCache(p, iotauth.WithStore(store.NewMemory()))
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	// The Transport writes "accessToken" into the body.
	body := `{"deviceID":23712,"latitude":40.4052,"longitude":-3.87699}`
	res, err := client.Post(srv.URL+"/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation",
		"application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	fmt.Println(res.Status)
	// Output: 200 OK
}

// A wrong password is refused once and then latched by the Cache: the
// platform is not asked again during the hold-off, so the account is never
// locked behind a captcha by retries.
func Example_wrongPassword() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	cache := iotauth.NewCache(emulated(srv, "not-the-password"))
	defer cache.Close()
	var err error
	for range 3 {
		_, err = cache.Token(context.Background())
	}
	fmt.Println(errors.Is(err, iotauth.ErrInvalidCredentials), srv.CloudStudio.CreateCalls())
	// Output: true 1
}

// Revoke deletes a token when it is no longer needed.
func ExampleProvider_Revoke() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := emulated(srv, iotauthtest.CloudStudioPassword)
	tok, err := p.Token(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("tokens:", srv.CloudStudio.ActiveTokens())
	if err := p.Revoke(context.Background(), tok); err != nil {
		panic(err)
	}
	fmt.Println("tokens:", srv.CloudStudio.ActiveTokens())
	// Output:
	// tokens: 1
	// tokens: 0
}

// emulated returns a provider for the emulator's account, logging in with
// password.
func emulated(srv *iotauthtest.Server, password iotauth.Secret) *cloudstudio.Provider {
	p, err := cloudstudio.New(cloudstudio.Config{
		BaseURL:     srv.URL,
		Email:       iotauthtest.CloudStudioEmail,
		Password:    password,
		ClientID:    iotauthtest.CloudStudioClientID,
		Description: "iotauth example",
	})
	if err != nil {
		panic(err)
	}
	return p
}
