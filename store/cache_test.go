package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// ocCache is a cache of an OceanConnect provider for srv, sharing s.
func ocCache(t *testing.T, srv *iotauthtest.Server, s iotauth.Store) *iotauth.Cache {
	t.Helper()
	p, err := oceanconnect.New(oceanconnect.Config{
		BaseURL: srv.URL,
		AppID:   iotauthtest.OceanConnectAppID,
		Secret:  iotauthtest.OceanConnectSecret,
	})
	require.NoError(t, err)
	return iotauth.NewCache(p, iotauth.WithStore(s))
}

func TestFile_ProcessRestart_CacheReusesTheStoredToken(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	dir := tokenDir(t)
	openStore := func() *store.File { return newFile(t, dir, store.WithFileEncryptionKey(fileKey)) }

	before, err := ocCache(t, srv, openStore()).Token(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, srv.OceanConnect.Logins())

	// A new cache on a new File store over the same directory, as after a
	// restart of the process.
	after, err := ocCache(t, srv, openStore()).Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, before.AccessToken, after.AccessToken)
	require.EqualValues(t, 1, srv.OceanConnect.Logins(), "the restarted process logged in again")
}

func TestMemory_CachesSharingIt_LogInOnce(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	m := store.NewMemory()
	var tokens []string
	for range 3 {
		tok, err := ocCache(t, srv, m).Token(context.Background())
		require.NoError(t, err)
		tokens = append(tokens, tok.AccessToken)
	}
	require.Equal(t, tokens[0], tokens[1])
	require.Equal(t, tokens[0], tokens[2])
	require.EqualValues(t, 1, srv.OceanConnect.Logins())
}
