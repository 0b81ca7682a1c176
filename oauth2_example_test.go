package iotauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/oauth2"

	"github.com/iotauth/iotauth"
)

// OAuth2 hands a Cache to code that takes an oauth2.TokenSource: here
// oauth2.NewClient; gRPC's oauth.TokenSource and Google's clients alike.
func ExampleOAuth2() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()

	login := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		return &iotauth.Token{AccessToken: "tok-1", TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}, nil
	})
	cache := iotauth.NewCache(login)
	client := oauth2.NewClient(context.Background(), iotauth.OAuth2(cache))

	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: Bearer tok-1
}

// FromOAuth2 puts an OAuth2 credential behind a Cache: one token request
// however many callers, refreshed ahead of its expiry.
func ExampleFromOAuth2() {
	requests := 0
	var ts oauth2.TokenSource = tokenSourceFunc(func() (*oauth2.Token, error) {
		requests++
		return &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil
	})
	cache := iotauth.NewCache(iotauth.FromOAuth2(ts))
	for range 3 {
		if _, err := cache.Token(context.Background()); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("token requests:", requests, "platform:", cache.Describe().Name)
	// Output: token requests: 1 platform: oauth2
}
