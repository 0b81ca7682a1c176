package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// Two caches (as two processes of one host would) share a File store: the
// second one adopts the token the first one logged in for.
func ExampleNewFile() {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	base, _ := os.MkdirTemp("", "iotauth-example")
	defer os.RemoveAll(base)

	newCache := func() *iotauth.Cache {
		s, err := store.NewFile(filepath.Join(base, "tokens"), store.WithFileEncryptionKey("a key of at least 16 bytes"))
		if err != nil {
			panic(err)
		}
		p, err := oceanconnect.New(oceanconnect.Config{
			BaseURL: srv.URL,
			AppID:   iotauthtest.OceanConnectAppID,
			Secret:  iotauthtest.OceanConnectSecret,
		})
		if err != nil {
			panic(err)
		}
		return iotauth.NewCache(p, iotauth.WithStore(s))
	}
	first, second := newCache(), newCache()
	a, err := first.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := second.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same token:", a.AccessToken == b.AccessToken)
	fmt.Println("logins:", srv.OceanConnect.Logins())
	// Output:
	// same token: true
	// logins: 1
}

// A Memory store shares one token between the caches of one process, and
// tells watchers when a new one is saved.
func ExampleNewMemory() {
	m := store.NewMemory()
	ctx := context.Background()
	key := iotauth.StoreKey("oceanconnect", "https://iot.example.com:8743", "app-1")

	adopted := make(chan *iotauth.Token, 1)
	stop, _ := m.Watch(ctx, key, func(t *iotauth.Token) { adopted <- t })
	defer stop()

	_ = m.Save(ctx, key, &iotauth.Token{AccessToken: "t-1", Expiry: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	t := <-adopted
	fmt.Println(t.Valid(), t.AccessToken)

	loaded, _ := m.Load(ctx, key)
	fmt.Println(loaded) // a token prints without its secrets
	_ = m.Delete(ctx, key)
	loaded, _ = m.Load(ctx, key)
	fmt.Println(loaded)
	// Output:
	// true t-1
	// Token{Type: Bearer, AccessToken: [REDACTED], RefreshToken: "", Expiry: 2100-01-01T00:00:00Z}
	// <nil>
}
