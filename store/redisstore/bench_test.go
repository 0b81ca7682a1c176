package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redistest"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/storetest"
)

// BenchmarkStore measures a Load and a Save (SET PX and PUBLISH in one round
// trip) against a local redis-server.
func BenchmarkStore(b *testing.B) {
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	for name, opts := range map[string][]redisstore.Option{
		"Clear":     nil,
		"Encrypted": {redisstore.WithEncryptionKey(encKey)},
	} {
		b.Run(name, func(b *testing.B) {
			s := redisstore.New(rdb, opts...)
			key := iotauth.StoreKey("oceanconnect", "https://iot.example.com:8743", "app-1")
			tok := storetest.Token(1, time.Hour)
			if err := s.Save(b.Context(), key, tok); err != nil {
				b.Fatal(err)
			}
			b.Run("Load", func(b *testing.B) {
				for b.Loop() {
					if t, err := s.Load(b.Context(), key); err != nil || t == nil {
						b.Fatal(t, err)
					}
				}
			})
			b.Run("Save", func(b *testing.B) {
				for b.Loop() {
					if err := s.Save(b.Context(), key, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
