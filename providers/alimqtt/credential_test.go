package alimqtt_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

func TestDeviceCredential_Calls_RegisterGetRefreshUnregister(t *testing.T) {
	c, srv := emulated(t)
	ctx := context.Background()
	const id = "GID_test@@@dev1"

	reg, err := c.RegisterDeviceCredential(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, id, reg.ClientID)
	assert.Equal(t, iotauthtest.AlibabaInstanceID, reg.InstanceID)
	assert.NotEmpty(t, reg.DeviceAccessKeyID)
	assert.False(t, reg.DeviceAccessKeySecret.IsZero())
	assert.False(t, reg.CreateTime.IsZero())

	got, err := c.GetDeviceCredential(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, reg, got)

	ref, err := c.RefreshDeviceCredential(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, reg.DeviceAccessKeyID, ref.DeviceAccessKeyID)
	assert.NotEqual(t, string(reg.DeviceAccessKeySecret), string(ref.DeviceAccessKeySecret))

	require.NoError(t, c.UnRegisterDeviceCredential(ctx, id))
	_, err = c.GetDeviceCredential(ctx, id)
	assert.Equal(t, alimqtt.CodeDeviceCredentialNotFound, platformError(t, err).Code)
	assert.Equal(t, int64(1), srv.Alibaba.Registers())
}

func TestRegisterDeviceCredential_Twice_IsDeviceCredentialExsit(t *testing.T) {
	c, _ := emulated(t)
	_, err := c.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
	require.NoError(t, err)
	_, err = c.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
	e := platformError(t, err)
	assert.Equal(t, alimqtt.CodeDeviceCredentialExsit, e.Code)
	assert.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.NotEmpty(t, e.RequestID)
}

func TestDeviceCredential_100ConcurrentCallers_OneGetOneRegister(t *testing.T) {
	c, srv := emulated(t)
	const id = "GID_test@@@dev1"
	var wg sync.WaitGroup
	creds := make([]*alimqtt.DeviceCredential, 100)
	errs := make([]error, 100)
	for i := range 100 {
		wg.Go(func() { creds[i], errs[i] = c.DeviceCredential(context.Background(), id) })
	}
	wg.Wait()
	for i := range 100 {
		require.NoError(t, errs[i])
		assert.Equal(t, creds[0], creds[i])
	}
	assert.Equal(t, int64(1), srv.Alibaba.Calls("GetDeviceCredential"))
	assert.Equal(t, int64(1), srv.Alibaba.Calls("RegisterDeviceCredential"))
	assert.Equal(t, int64(1), srv.Alibaba.Registers())

	again, err := c.DeviceCredential(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, creds[0], again, "cached")
	assert.Equal(t, int64(2), srv.Alibaba.Requests(), "no call for a cached credential")
}

func TestDeviceCredential_Existing_IsReturnedWithoutRegistering(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	other := emulatedWith(t, srv, func(*alimqtt.Config) {})
	first, err := other.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
	require.NoError(t, err)

	c := emulatedWith(t, srv, func(*alimqtt.Config) {})
	got, err := c.DeviceCredential(context.Background(), "GID_test@@@dev1")
	require.NoError(t, err)
	assert.Equal(t, string(first.DeviceAccessKeySecret), string(got.DeviceAccessKeySecret))
	assert.Equal(t, int64(1), srv.Alibaba.Registers())
}

func TestDeviceCredential_RegisterRace_GetsAgainInsteadOfReRegistering(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	var actions []string
	gets := 0
	mt.Register(http.MethodPost, defaultEndpoint, func(r *http.Request) (*http.Response, error) {
		require.NoError(t, r.ParseForm())
		action := r.PostForm.Get("Action")
		actions = append(actions, action)
		switch {
		case action == "GetDeviceCredential" && gets == 0:
			gets++
			return stubhttp.StringResponse(400, `{"RequestId":"r1","Code":"DeviceCredentialNotFound","Message":"Device Credential Not Found"}`), nil
		case action == "RegisterDeviceCredential":
			return stubhttp.StringResponse(400, `{"RequestId":"r2","Code":"DeviceCredentialExsit","Message":"Device Credential Exsit"}`), nil
		}
		return stubhttp.StringResponse(200, `{"RequestId":"r3","DeviceCredential":{"UpdateTime":1605541382000,`+
			`"DeviceAccessKeyId":"DC.Z5fXh9sRRVufyLi6wo0000","CreateTime":1605541382000,"InstanceId":"post-cn-0pp12gl0000",`+
			`"DeviceAccessKeySecret":"DC.BJMkn4eMQJK2vaApTS0000","ClientId":"GID_test@@@test"}}`), nil
	})
	cred, err := c.DeviceCredential(context.Background(), "GID_test@@@test")
	require.NoError(t, err)
	assert.Equal(t, []string{"GetDeviceCredential", "RegisterDeviceCredential", "GetDeviceCredential"}, actions)
	assert.Equal(t, "DC.Z5fXh9sRRVufyLi6wo0000", cred.DeviceAccessKeyID)
	assert.Equal(t, int64(1605541382000), cred.CreateTime.UnixMilli())
}

// A failed lookup is not kept: it is answered for the Cache's backoff (one
// second at first) without a call, then tried again.
func TestDeviceCredential_Failure_RetriedAfterTheBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, srv := bubbled(t, func(*alimqtt.Config) {})
		srv.Alibaba.FailNext(1, http.StatusInternalServerError)
		_, err := c.DeviceCredential(context.Background(), "GID_test@@@dev1")
		require.ErrorIs(t, err, iotauth.ErrServer)
		_, err = c.DeviceCredential(context.Background(), "GID_test@@@dev1")
		require.ErrorIs(t, err, iotauth.ErrServer, "backed off")
		assert.Equal(t, int64(1), srv.Alibaba.Requests())
		time.Sleep(1200 * time.Millisecond)
		cred, err := c.DeviceCredential(context.Background(), "GID_test@@@dev1")
		require.NoError(t, err)
		assert.Equal(t, "GID_test@@@dev1", cred.ClientID)
	})
}

func TestDeviceCredential_CallerCancel_ReturnsContextError(t *testing.T) {
	c, _ := emulated(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.DeviceCredential(ctx, "GID_test@@@dev1")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDeviceCredential_MQTTLogin_IsAcceptedByTheBroker_AndFollowsARefresh(t *testing.T) {
	c, srv := emulated(t)
	ctx := context.Background()
	cred, err := c.DeviceCredential(ctx, "GID_test@@@dev1")
	require.NoError(t, err)
	l := cred.MQTTLogin()
	assert.Equal(t, "DeviceCredential|"+cred.DeviceAccessKeyID+"|"+iotauthtest.AlibabaInstanceID, l.Username)
	assert.Equal(t, iotauthtest.AlibabaInstanceID+".mqtt.aliyuncs.com", l.Host)
	assert.Equal(t, 1883, l.Port)
	assert.Equal(t, 8883, l.TLSPort)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))

	_, err = c.RefreshDeviceCredential(ctx, "GID_test@@@dev1")
	require.NoError(t, err)
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)), "old secret refused")
	fresh, err := c.DeviceCredential(ctx, "GID_test@@@dev1")
	require.NoError(t, err)
	nl := fresh.MQTTLogin()
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(nl.ClientID, nl.Username, string(nl.Password)), "cache holds the new secret")
}

func TestDeviceCredential_MQTTLogin_DocumentedDerivation(t *testing.T) {
	// Base64(HMAC-SHA1(key="secret", data="GID_test@@@test")), computed independently.
	c, mt := mocked(t, func(cfg *alimqtt.Config) { cfg.MQTTHost = "broker.example" })
	mt.Register(http.MethodPost, defaultEndpoint, stubhttp.StringResponder(200,
		`{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@test","InstanceId":"post-cn-0pp12gl0000","DeviceAccessKeyId":"DC.key","DeviceAccessKeySecret":"secret"}}`))
	cred, err := c.GetDeviceCredential(context.Background(), "GID_test@@@test")
	require.NoError(t, err)
	l := cred.MQTTLogin()
	assert.Equal(t, "DeviceCredential|DC.key|post-cn-0pp12gl0000", l.Username)
	assert.Equal(t, "GID_test@@@test", l.ClientID)
	assert.Equal(t, "broker.example", l.Host)
	assert.Equal(t, "lBqL8SoPcUXWigZhgCGr5SmMNXw=", string(l.Password))
	assert.Equal(t, "ssl://broker.example:8883", l.BrokerURL())
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", cred, cred, l), fmt.Sprint(l)} {
		assert.NotContains(t, s, "secret")
		assert.NotContains(t, s, "lBqL8So")
	}
}

func TestDeviceCredentialNumExceed_IsQuotaExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, srv := bubbled(t, func(*alimqtt.Config) {})
		srv.Alibaba.SetCredentialQuota(1)
		_, err := c.DeviceCredential(context.Background(), "GID_test@@@dev1")
		require.NoError(t, err)
		_, err = c.DeviceCredential(context.Background(), "GID_test@@@dev2")
		require.ErrorIs(t, err, iotauth.ErrQuotaExceeded)
		assert.Equal(t, alimqtt.CodeDeviceCredentialNumExceed, platformError(t, err).Code)
		require.NoError(t, c.UnRegisterDeviceCredential(context.Background(), "GID_test@@@dev1"))
		time.Sleep(1200 * time.Millisecond) // the Cache's first backoff
		_, err = c.DeviceCredential(context.Background(), "GID_test@@@dev2")
		assert.NoError(t, err, "quota released by UnRegister")
	})
}
