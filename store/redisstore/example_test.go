package redisstore_test

import (
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store/redisstore"
)

// Every replica of a service runs this: they share one OceanConnect token
// through Redis, one replica logs in at a time, and a token one of them
// obtains is adopted by all the others at once. (Not run: it needs a Redis
// and the platform.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "redis.internal:6379",
		ContextTimeoutEnabled: true, // let the cache's short store timeouts cut commands
	})
	defer rdb.Close()
	// New checks the key and PINGs Redis (within 2 s by default): a
	// misconfigured store fails here, not later in every process's log.
	s, err := redisstore.New(rdb,
		redisstore.WithPrefix("billing:"),
		redisstore.WithEncryptionKey(iotauth.Secret(os.Getenv("TOKEN_STORE_KEY"))),
	)
	if err != nil {
		log.Fatal(err)
	}

	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: "https://iot.example.com:8743",
		AppID:   os.Getenv("OC_APP_ID"),
		Secret:  iotauth.Secret(os.Getenv("OC_SECRET")),
	})
	if err != nil {
		log.Fatal(err)
	}
	cache := iotauth.NewCache(p, iotauth.WithStore(s))
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	_ = client // use it for every platform call
}
