package iotauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/iotauth/iotauth"
)

// A Cache turns any login function into a shared, refreshed credential:
// however many goroutines ask, the login runs once.
func ExampleNewCache() {
	logins := 0
	login := iotauth.TokenSourceFunc(func(ctx context.Context) (*iotauth.Token, error) {
		logins++
		return &iotauth.Token{AccessToken: "abc", TokenType: "Bearer ", Expiry: time.Now().Add(time.Hour)}, nil
	})
	cache := iotauth.NewCache(login, iotauth.WithHitCounting())
	for range 3 {
		tok, err := cache.Token(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(tok.Type(), tok.Valid())
	}
	fmt.Println("logins:", logins, "hits:", cache.Stats().Hits)
	// Output:
	// Bearer true
	// Bearer true
	// Bearer true
	// logins: 1 hits: 2
}

// A Transport attaches the token to every request for the platform and, when
// the platform rejects it, logs in again and resends the request once.
func ExampleNewTransport() {
	current := "tok-1"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+current {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "hello, "+r.Header.Get("Authorization"))
	}))
	defer api.Close()

	n := 0
	login := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		n++
		return &iotauth.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
	})
	client := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(login), nil)}

	get := func() {
		resp, err := client.Get(api.URL)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(b))
	}
	get()
	current = "tok-2" // the platform revokes tok-1 (another login, an expiry)
	get()
	// Output:
	// 200 hello, Bearer tok-1
	// 200 hello, Bearer tok-2
}

// Secrets and tokens print redacted wherever they end up.
func ExampleSecret() {
	type Config struct {
		AppID  string
		Secret iotauth.Secret
	}
	cfg := Config{AppID: "my-app", Secret: "hunter2"}
	fmt.Printf("%v\n%+v\n", cfg, cfg)
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	log.Info("configured", "secret", cfg.Secret)
	// Output:
	// {my-app [REDACTED]}
	// {AppID:my-app Secret:[REDACTED]}
	// level=INFO msg=configured secret=[REDACTED]
}

// Errors carry the platform's code and request id, and say what kind of
// failure they are.
func ExampleError() {
	var err error = &iotauth.Error{Platform: "oceanconnect", Op: "login", HTTPStatus: 401,
		Code: "100208", Message: "AppId or secret is not right.", Kind: iotauth.ErrInvalidCredentials}
	if errors.Is(err, iotauth.ErrInvalidCredentials) {
		fmt.Println("check the app id and secret")
	}
	var e *iotauth.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code)
	}
	fmt.Println(err)
	// Output:
	// check the app id and secret
	// 100208
	// iotauth: oceanconnect login: invalid credentials (HTTP 401) code=100208: AppId or secret is not right.
}
