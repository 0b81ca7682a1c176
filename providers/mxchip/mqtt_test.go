package mxchip

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/store"
)

// The MQTT client is created once and reused by every login; through a
// Store, another process (or a restart) reuses it too. After a refusal a
// new client is created.
func TestMQTTSource_CreatesOnce_SharedThroughTheStore_NewAfterRefusal(t *testing.T) {
	srv, p := emulator(t)
	st := store.NewMemory()
	ctx := context.Background()
	a := p.NewClient(iotauth.NewCache(p, iotauth.WithStore(st))).MQTTSource(iotauthtest.MXCHIPAppID)
	l, err := a.MQTTLogin(ctx)
	require.NoError(t, err)
	for range 3 {
		again, err := a.MQTTLogin(ctx)
		require.NoError(t, err)
		assert.Equal(t, l, again)
	}
	b := p.NewClient(iotauth.NewCache(p, iotauth.WithStore(st))).MQTTSource(iotauthtest.MXCHIPAppID)
	lb, err := b.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.Equal(t, l, lb, "the second process adopts the stored client")
	require.Len(t, srv.MXCHIP.Clients(), 1)
	assert.True(t, srv.MXCHIP.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))

	a.Refused(l)
	next, err := a.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, l.Password, next.Password)
	assert.Len(t, srv.MXCHIP.Clients(), 2)
}

// Without a Store each Client's source creates its own MQTT client.
func TestMQTTSource_WithoutStore_OnePerSource(t *testing.T) {
	srv, p := emulator(t)
	for range 2 {
		_, err := p.NewClient(iotauth.NewCache(p)).MQTTSource(iotauthtest.MXCHIPAppID).MQTTLogin(context.Background())
		require.NoError(t, err)
	}
	assert.Len(t, srv.MXCHIP.Clients(), 2)
}
