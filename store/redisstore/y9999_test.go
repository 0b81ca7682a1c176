package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store/redisstore"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
)

func TestCache_Year9999Expiry_IsStoredWithoutATTLAndAdoptedByAnotherProcess(t *testing.T) {
	rs := redistest.Start(t)
	var logins atomic.Int64
	src := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		logins.Add(1)
		return &iotauth.Token{AccessToken: "far", Expiry: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, nil
	})
	for range 2 { // two processes, one after the other
		s, err := redisstore.New(client(t, rs.Addr()), redisstore.WithEncryptionKey(encKey))
		require.NoError(t, err)
		c := iotauth.NewCache(src, iotauth.WithStore(s), iotauth.WithStoreKey("iotauth:v1:test:far"))
		tok, err := c.Token(ctxFor(t, 5*time.Second))
		require.NoError(t, err)
		assert.Equal(t, 9999, tok.Expiry.Year())
		require.NoError(t, c.Close())
	}
	assert.Equal(t, int64(1), logins.Load(), "the second process did not adopt the year-9999 token")
}
