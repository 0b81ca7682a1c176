package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redact/redacttest"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
)

// TestStorePrintsNoSecret is this package's part of the module's printing
// table (see the root's TestNoExportedTypePrintsASecret): the Redis
// password and the encryption key never print.
func TestStorePrintsNoSecret(t *testing.T) {
	walked, err := redacttest.Walk(".")
	require.NoError(t, err)
	redacttest.Table(t, walked, []redacttest.Row{
		{Type: "redisstore.Store", Extra: true, Value: func(t *testing.T) any {
			srv := redistest.Start(t)
			admin := client(t, srv.Addr())
			require.NoError(t, admin.ConfigSet(t.Context(), "requirepass", redacttest.Sentinel).Err())
			rdb := client(t, srv.Addr(), func(o *redis.Options) { o.Password = redacttest.Sentinel })
			s, err := redisstore.New(rdb, redisstore.WithEncryptionKey(iotauth.Secret(redacttest.Sentinel)))
			require.NoError(t, err)
			return s
		}},
	})
}
