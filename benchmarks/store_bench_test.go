package benchmarks

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/redisstore"
)

// The cost of a token read through each store. A cache hit never touches
// the store, so with a Redis store configured it costs what an in-memory
// hit costs; a direct Load is what a cache pays on a miss or a refresh.

const storeBenchKey = "iotauth:v1:bench:store"

func storeBenchToken() *iotauth.Token {
	now := time.Now()
	return &iotauth.Token{AccessToken: "tok", RefreshToken: "ref", TokenType: "Bearer",
		IssuedAt: now, Expiry: now.Add(time.Hour)}
}

// redisClient connects to the redis-server at addr, skipping the benchmark
// when there is none.
func redisClient(b *testing.B, addr string) *redis.Client {
	b.Helper()
	if addr == "" {
		b.Skip("redis-server is not installed")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	b.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// redisStore is a Store on the redis-server at addr, skipping the benchmark
// when there is none.
func redisStore(b *testing.B, addr string) *redisstore.Store {
	b.Helper()
	s, err := redisstore.New(redisClient(b, addr))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkStoreRead(b *testing.B) {
	ctx := context.Background()
	// One redis-server for the sub-benchmarks that need it, when installed.
	addr := startRedis(b)

	hit := func(b *testing.B, opts ...iotauth.CacheOption) {
		c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
			return storeBenchToken(), nil
		}), append(opts, iotauth.WithStoreKey(storeBenchKey))...)
		b.Cleanup(func() { _ = c.Close() })
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	load := func(b *testing.B, s iotauth.Store) {
		if err := s.Save(ctx, storeBenchKey, storeBenchToken()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			t, err := s.Load(ctx, storeBenchKey)
			if err != nil || t == nil {
				b.Fatal(t, err)
			}
		}
	}

	b.Run("path=cache-hit/store=none", func(b *testing.B) { hit(b) })
	b.Run("path=cache-hit/store=redis", func(b *testing.B) {
		hit(b, iotauth.WithStore(redisStore(b, addr)))
	})
	b.Run("path=load/store=memory", func(b *testing.B) { load(b, store.NewMemory()) })
	b.Run("path=load/store=file", func(b *testing.B) {
		s, err := store.NewFile(filepath.Join(b.TempDir(), "tokens")) // created 0700
		if err != nil {
			b.Fatal(err)
		}
		load(b, s)
	})
	b.Run("path=load/store=redis", func(b *testing.B) { load(b, redisStore(b, addr)) })
}
