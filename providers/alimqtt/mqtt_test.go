package alimqtt_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/store"
)

// The token source draws the current tokens, builds the password by type,
// and after a refusal invalidates them so that the next login has new ones.
func TestTokenMQTTSource_PasswordByType_RefusalReplacesTheTokens(t *testing.T) {
	c, srv := emulated(t)
	r := iotauth.NewCache(c.TokenSource([]string{"parent/a"}, "R", time.Hour))
	w := iotauth.NewCache(c.TokenSource([]string{"parent/a"}, "W", 30*time.Minute))
	src := c.TokenMQTTSource("GID_test@@@1", w, r)
	ctx := context.Background()
	l, err := src.MQTTLogin(ctx)
	require.NoError(t, err)
	rt, _ := r.Token(ctx)
	wt, _ := w.Token(ctx)
	assert.Equal(t, "R|"+rt.AccessToken+"|W|"+wt.AccessToken, string(l.Password))
	assert.Equal(t, wt.Expiry, l.Expiry, "the earliest expiry")
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
	assert.Equal(t, int64(2), srv.Alibaba.Calls("ApplyToken"))

	again, err := src.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.Equal(t, l, again, "tokens come from the Caches")

	src.Refused(l)
	next, err := src.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, l.Password, next.Password)
	assert.Equal(t, int64(4), srv.Alibaba.Calls("ApplyToken"))
	src.Refused(l) // an older login: nothing to invalidate
	_, err = src.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(4), srv.Alibaba.Calls("ApplyToken"))
}

// Two tokens of one type, or none, are refused before any CONNECT.
func TestTokenMQTTSource_BadTokens(t *testing.T) {
	c, _ := emulated(t)
	ctx := context.Background()
	r := iotauth.NewCache(c.TokenSource([]string{"parent/a"}, "R", time.Hour))
	for _, src := range []iotauth.MQTTSource{c.TokenMQTTSource("GID_test@@@1"), c.TokenMQTTSource("GID_test@@@1", r, r),
		c.TokenMQTTSource("GID_test@@@1", nil)} {
		_, err := src.MQTTLogin(ctx)
		require.ErrorIs(t, err, iotauth.ErrBadRequest)
	}
}

// The renewal uploads each token of a login as the documents say.
func TestTokenUploads_OnePerToken(t *testing.T) {
	msgs := alimqtt.TokenUploads(iotauth.MQTTLogin{Password: "R|t1|W|t2"})
	require.Len(t, msgs, 2)
	var up map[string]string
	require.NoError(t, json.Unmarshal([]byte(msgs[1].Payload), &up))
	assert.Equal(t, map[string]string{"token": "t2", "type": "W"}, up)
	assert.Equal(t, "$SYS/uploadToken", msgs[0].Topic)
	c, _ := emulated(t)
	rn := c.TokenMQTTSource("GID_test@@@1").(iotauth.MQTTRenewer).MQTTRenewal()
	assert.Equal(t, "$SYS/tokenExpireNotice", rn.ExpiringTopic)
	assert.Equal(t, "$SYS/tokenInvalidNotice", rn.InvalidTopic)
}

// The device-credential source registers once; after a refusal it reads
// the credential again and offers the platform's current secret.
func TestDeviceCredentialSource_RefusalReadsTheCredentialAgain(t *testing.T) {
	c, srv := emulated(t)
	ctx := context.Background()
	src := c.DeviceCredentialSource("GID_test@@@1")
	l, err := src.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
	other := emulatedWith(t, srv, func(*alimqtt.Config) {})
	_, err = other.RefreshDeviceCredential(ctx, "GID_test@@@1") // another process rotates the secret
	require.NoError(t, err)
	src.Refused(l)
	next, err := src.MQTTLogin(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, l.Password, next.Password)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(next.ClientID, next.Username, string(next.Password)))
	assert.Equal(t, int64(1), srv.Alibaba.Registers())
}

// Config ports reach every login; -1 leaves a port out.
func TestConfig_MQTTPorts(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	c := emulatedWith(t, srv, func(cfg *alimqtt.Config) {
		cfg.MQTTHost, cfg.MQTTPort, cfg.MQTTTLSPort = "127.0.0.1", 1999, -1
	})
	l, err := c.SignatureLogin("GID_test@@@1")
	require.NoError(t, err)
	assert.Equal(t, "tcp://127.0.0.1:1999", l.BrokerURL())
	assert.Zero(t, l.TLSPort)
	_, err = alimqtt.New(alimqtt.Config{RegionID: "r", AccessKeyID: "a", AccessKeySecret: "s", InstanceID: "i", MQTTPort: 70000})
	require.Error(t, err)
	_, err = alimqtt.New(alimqtt.Config{RegionID: "r", AccessKeyID: "a", AccessKeySecret: "s", InstanceID: "i", MQTTPort: -1, MQTTTLSPort: -1})
	require.Error(t, err)
}

// Each device's login has its own key in a shared Store: a fleet never
// serves one device's credential to another.
func TestSources_WithStore_KeyedByClientID(t *testing.T) {
	c, srv := emulated(t)
	st := store.NewMemory()
	ctx := context.Background()
	for _, mk := range []func(string) iotauth.MQTTSource{
		func(id string) iotauth.MQTTSource { return c.SignatureSource(id, iotauth.WithStore(st)) },
		func(id string) iotauth.MQTTSource { return c.DeviceCredentialSource(id, iotauth.WithStore(st)) },
	} {
		for _, id := range []string{"GID_test@@@1", "GID_test@@@2"} {
			l, err := mk(id).MQTTLogin(ctx)
			require.NoError(t, err)
			assert.Equal(t, id, l.ClientID)
			assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)), id)
		}
	}
	assert.Equal(t, int64(2), srv.Alibaba.Registers())
}
