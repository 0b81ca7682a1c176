package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// farToken issues one token that expires in year 9999, counting the logins.
type farToken struct{ logins *atomic.Int64 }

func (f farToken) Token(context.Context) (*iotauth.Token, error) {
	f.logins.Add(1)
	return &iotauth.Token{AccessToken: "far", Expiry: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, nil
}

func TestFile_Year9999Expiry_IsStoredAndAdoptedByAnotherProcess(t *testing.T) {
	dir := tokenDir(t)
	var logins atomic.Int64
	for range 2 { // two processes, one after the other
		c := iotauth.NewCache(farToken{&logins}, iotauth.WithStore(newFile(t, dir)), iotauth.WithStoreKey("iotauth:v1:test:far"))
		tok, err := c.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 9999, tok.Expiry.Year())
		require.NoError(t, c.Close())
	}
	assert.Equal(t, int64(1), logins.Load(), "the second process did not adopt the year-9999 token")
}
