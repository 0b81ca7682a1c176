package alimqtt_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// Concurrent first lookups of one device, slowed down by the platform so
// that they all meet, make one Get and one Register; the others' devices
// are looked up once each.
func TestDeviceCredential_ConcurrentFirstCalls_OneLookupPerDevice(t *testing.T) {
	c, srv := emulated(t)
	srv.Alibaba.SetLatency(50 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			_, err := c.DeviceCredential(context.Background(), fmt.Sprintf("GID_test@@@dev%d", i%3))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(3), srv.Alibaba.Calls("GetDeviceCredential"))
	assert.Equal(t, int64(3), srv.Alibaba.Calls("RegisterDeviceCredential"))
	assert.Equal(t, 3, alimqtt.HeldDeviceCredentials(c))
}

// A credential deleted on the platform (by another process) is served from
// the Provider until it has been idle for DeviceCredentialIdleTimeout; its
// next use then registers the device again, with a credential the broker
// accepts.
func TestDeviceCredential_DeletedOnThePlatform_LookedUpAgainOnceIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, client := bubbleServer(t)
		c := emulatedWith(t, srv, func(cfg *alimqtt.Config) {
			cfg.HTTPClient, cfg.DeviceCredentialIdleTimeout = client, 10*time.Minute
		})
		t.Cleanup(func() { _ = c.Close() })
		other := emulatedWith(t, srv, func(cfg *alimqtt.Config) { cfg.HTTPClient = client })
		ctx := context.Background()
		const id = "GID_test@@@dev1"
		first, err := c.DeviceCredential(ctx, id)
		require.NoError(t, err)
		require.NoError(t, other.UnRegisterDeviceCredential(ctx, id))

		time.Sleep(5 * time.Minute)
		kept, err := c.DeviceCredential(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, first, kept, "in use: kept")
		assert.Equal(t, int64(1), srv.Alibaba.Calls("GetDeviceCredential"))

		time.Sleep(10*time.Minute + 10*time.Minute/4 + time.Second) // idle, and the sweep after
		assert.Zero(t, alimqtt.HeldDeviceCredentials(c), "dropped once idle")
		fresh, err := c.DeviceCredential(ctx, id)
		require.NoError(t, err)
		assert.NotEqual(t, first.DeviceAccessKeyID, fresh.DeviceAccessKeyID)
		l := fresh.MQTTLogin()
		assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
		assert.Equal(t, int64(2), srv.Alibaba.Calls("GetDeviceCredential"))
		assert.Equal(t, int64(2), srv.Alibaba.Registers())
	})
}

// Without an idle timeout, a credential this Provider deletes or refreshes
// is looked up again at its next use.
func TestDeviceCredential_UnRegisterAndRefresh_DropTheKeptCredential(t *testing.T) {
	c, srv := emulated(t)
	ctx := context.Background()
	const id = "GID_test@@@dev1"
	first, err := c.DeviceCredential(ctx, id)
	require.NoError(t, err)
	require.NoError(t, c.UnRegisterDeviceCredential(ctx, id))
	second, err := c.DeviceCredential(ctx, id)
	require.NoError(t, err)
	assert.NotEqual(t, first.DeviceAccessKeyID, second.DeviceAccessKeyID)
	assert.Equal(t, int64(2), srv.Alibaba.Registers())

	refreshed, err := c.RefreshDeviceCredential(ctx, id)
	require.NoError(t, err)
	third, err := c.DeviceCredential(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, string(refreshed.DeviceAccessKeySecret), string(third.DeviceAccessKeySecret))
	assert.Equal(t, refreshed.UpdateTime, third.UpdateTime)
}

// Looking up more devices than MaxDeviceCredentials keeps that many at
// most; a device pushed out is read from the platform again.
func TestDeviceCredential_MoreDevicesThanTheBound_CountStaysBounded(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	c := emulatedWith(t, srv, func(cfg *alimqtt.Config) { cfg.MaxDeviceCredentials = 5 })
	ctx := context.Background()
	for i := range 40 {
		_, err := c.DeviceCredential(ctx, fmt.Sprintf("GID_test@@@dev%d", i))
		require.NoError(t, err)
		assert.LessOrEqual(t, alimqtt.HeldDeviceCredentials(c), 5)
	}
	assert.Equal(t, 5, alimqtt.HeldDeviceCredentials(c))
	assert.Equal(t, int64(40), srv.Alibaba.Calls("GetDeviceCredential"))
	_, err := c.DeviceCredential(ctx, "GID_test@@@dev0")
	require.NoError(t, err)
	assert.Equal(t, int64(41), srv.Alibaba.Calls("GetDeviceCredential"), "dropped, so read again")
	assert.Equal(t, int64(40), srv.Alibaba.Registers(), "and found, not registered again")

	def := emulatedWith(t, srv, func(*alimqtt.Config) {})
	for i := range 40 {
		_, err := def.DeviceCredential(ctx, fmt.Sprintf("GID_test@@@dev%d", i))
		require.NoError(t, err)
	}
	assert.Equal(t, 40, alimqtt.HeldDeviceCredentials(def), "the default bound is far above")
}

// An AccessKey the platform refuses is latched per device for the Cache's
// hold-off: many callers, then more, make one call, and the next one comes
// after the hold-off.
func TestDeviceCredential_BadAccessKey_LatchedForTheHoldOff_NoStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, srv := bubbled(t, func(cfg *alimqtt.Config) { cfg.AccessKeySecret = "not-the-secret" })
		ctx := context.Background()
		const id = "GID_test@@@dev1"
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, err := c.DeviceCredential(ctx, id)
				assert.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
			})
		}
		wg.Wait()
		for range 10 {
			time.Sleep(20 * time.Second)
			_, err := c.DeviceCredential(ctx, id)
			require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
			assertNoSecrets(t, err, "not-the-secret")
		}
		assert.Equal(t, int64(1), srv.Alibaba.Requests(), "one call in 200 s")
		time.Sleep(5 * time.Minute)
		_, err := c.DeviceCredential(ctx, id)
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		assert.Equal(t, int64(2), srv.Alibaba.Requests(), "again after the hold-off")
	})
}

// Bad bounds are refused by New; a closed Provider looks nothing up, and
// its other calls still work.
func TestDeviceCredential_Config_Close(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	for _, edit := range []func(*alimqtt.Config){
		func(cfg *alimqtt.Config) { cfg.MaxDeviceCredentials = -1 },
	} {
		cfg := alimqtt.Config{RegionID: testRegion, Endpoint: srv.URL, AccessKeyID: iotauthtest.AlibabaAccessKeyID,
			AccessKeySecret: iotauthtest.AlibabaAccessKeySecret, InstanceID: iotauthtest.AlibabaInstanceID}
		edit(&cfg)
		_, err := alimqtt.New(cfg)
		require.ErrorIs(t, err, iotauth.ErrBadRequest)
	}
	c := emulatedWith(t, srv, func(cfg *alimqtt.Config) { cfg.DeviceCredentialIdleTimeout = time.Minute })
	ctx := context.Background()
	_, err := c.DeviceCredential(ctx, "GID_test@@@dev1")
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.DeviceCredential(ctx, "GID_test@@@dev1")
	require.ErrorIs(t, err, iotauth.ErrClosed)
	_, err = c.DeviceCredentialSource("GID_test@@@dev1").MQTTLogin(ctx)
	require.ErrorIs(t, err, iotauth.ErrClosed)
	_, err = c.GetDeviceCredential(ctx, "GID_test@@@dev1")
	require.NoError(t, err)
	_, err = c.DeviceCredential(ctx, "no-at-signs")
	require.ErrorIs(t, err, iotauth.ErrBadRequest, "refused before anything is kept")
}
