package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redact/redacttest"
	"github.com/iotauth/iotauth/store/redisstore"
)

// TestStorePrintsNoSecret is this package's part of the module's printing
// table (see the root's TestNoExportedTypePrintsASecret): the Redis
// password and the encryption key never print.
func TestStorePrintsNoSecret(t *testing.T) {
	walked, err := redacttest.Walk(".")
	require.NoError(t, err)
	redacttest.Table(t, walked, []redacttest.Row{
		{Type: "redisstore.Store", Extra: true, Value: func(t *testing.T) any {
			rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Password: redacttest.Sentinel})
			t.Cleanup(func() { _ = rdb.Close() })
			return redisstore.New(rdb, redisstore.WithEncryptionKey(iotauth.Secret(redacttest.Sentinel)))
		}},
	})
}
