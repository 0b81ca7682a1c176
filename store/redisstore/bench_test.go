package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
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
			s := newStore(b, rdb, opts...)
			storetest.BenchLoadSave(b, s)
		})
	}
}
