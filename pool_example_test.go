package iotauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/iotauth/iotauth"
)

// exampleTenant is one tenant's credential on a platform at origin.
type exampleTenant struct{ tenant, origin string }

func (s exampleTenant) Token(context.Context) (*iotauth.Token, error) {
	return &iotauth.Token{AccessToken: "token-of-" + s.tenant, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

func (s exampleTenant) Describe() iotauth.Platform {
	return iotauth.Platform{Name: "example", Origins: []string{s.origin}}
}

// One http.Client for every tenant: the Pool builds each tenant's Cache on
// first use (one load, one login however many requests arrive at once), drops
// it after an hour without use, and the PoolTransport authorizes each request
// with the tenant its context names.
func ExampleNewPool() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()

	pool := iotauth.NewPool(func(ctx context.Context, tenant string) (iotauth.TokenSource, error) {
		// Look the tenant's credential up in your configuration or database.
		return exampleTenant{tenant: tenant, origin: api.URL}, nil
	}, iotauth.WithIdleTimeout(time.Hour))
	defer pool.Close()
	client := &http.Client{Transport: iotauth.NewPoolTransport(pool, nil)}

	for _, tenant := range []string{"acme", "globex"} {
		ctx := iotauth.WithPoolKey(context.Background(), tenant)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/devices", nil)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		var body [64]byte
		n, _ := resp.Body.Read(body[:])
		resp.Body.Close()
		fmt.Printf("%s: %s\n", tenant, body[:n])
	}
	fmt.Println("tenants cached:", pool.Len())
	// Output:
	// acme: Bearer token-of-acme
	// globex: Bearer token-of-globex
	// tenants cached: 2
}
