package oceanconnect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// An http.Client whose every request to the platform carries app_key and a
// fresh bearer token. Here the platform is the emulator; in production
// BaseURL is https://host:8743 and Config usually holds the platform's CA
// and a client certificate.
func Example() {
	srv := iotauthtest.NewServer()
	defer srv.Close()

	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: srv.URL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  iotauthtest.OceanConnectSecret,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cache := iotauth.NewCache(p)
	defer cache.Close() // logs out
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	resp, err := client.Get(srv.URL + "/iocm/app/dm/v1.4.0/devices")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 {"totalCount":0,"devices":[]}
}

// A token straight from the platform: the "Bearer " type and the lifetime
// sent as a string are normalized.
func ExampleProvider_Token() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p, _ := oceanconnect.New(oceanconnect.Config{
		BaseURL: srv.URL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  iotauthtest.OceanConnectSecret,
	})

	tok, err := p.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Type(), tok.Expiry.Sub(tok.IssuedAt), tok.Scope)
	// A token prints redacted, so it can be logged.
	fmt.Println(tok.Valid(), strings.Contains(fmt.Sprint(tok), tok.AccessToken))
	// Output:
	// Bearer 1h0m0s default
	// true false
}

// A refused login is an *iotauth.Error to branch on with errors.Is; it
// carries the platform's code but never the secret.
func ExampleProvider_Token_invalidCredentials() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p, _ := oceanconnect.New(oceanconnect.Config{
		BaseURL: srv.URL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  "not-the-secret",
	})

	_, err := p.Token(context.Background())
	fmt.Println(errors.Is(err, iotauth.ErrInvalidCredentials))
	fmt.Println(err)
	// Output:
	// true
	// iotauth: oceanconnect login: invalid credentials (HTTP 401) code=100208: AppId or secret is not right.
}
