package cloudstudio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/cloudstudio"
)

// An http.Client whose requests to Cloud Studio carry a persistent access
// token, created once and reused, rotated before it expires.
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
	cache := iotauth.NewCache(p)
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	res, err := client.Post(srv.URL+"/services/gear/DashboardService.svc/GetDashboards", "application/json", nil)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.Status, string(body))
	// Output: 200 OK {"GetDashboardsResult":[]}
}

// Services whose request is a JSON object take the token in that object:
// put Token's AccessToken in your own request body.
func Example_jsonBody() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := emulated(srv, iotauthtest.CloudStudioPassword)

	tok, err := p.Token(context.Background())
	if err != nil {
		panic(err)
	}
	body, _ := json.Marshal(map[string]string{"accessToken": tok.AccessToken})
	res, err := http.Post(srv.URL+"/services/gear/DashboardService.svc/GetDashboards", "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	fmt.Println(res.Status, string(out))
	fmt.Println("expires:", tok.Expiry.Format("2006-01-02"))
	// Output:
	// 200 OK {"GetDashboardsResult":[]}
	// expires: 2099-01-01
}

// A wrong password is refused once and then latched: the platform is not
// asked again during the hold-off, so the account is never locked behind a
// captcha by retries.
func Example_wrongPassword() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := emulated(srv, "not-the-password")
	var err error
	for range 3 {
		_, err = p.Token(context.Background())
	}
	fmt.Println(errors.Is(err, iotauth.ErrInvalidCredentials), srv.CloudStudio.CreateCalls())
	// Output: true 1
}

// Revoke deletes the current token when it is no longer needed.
func ExampleProvider_Revoke() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := emulated(srv, iotauthtest.CloudStudioPassword)
	if _, err := p.Token(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("tokens:", srv.CloudStudio.ActiveTokens())
	if err := p.Revoke(context.Background()); err != nil {
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
