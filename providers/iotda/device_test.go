package iotda_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// The login of the documents' example timestamp, with the password computed
// by python3's hmac (hmac.new(b"2018072417", b"12345678", sha256)).
func TestDeviceLogin_KnownVector(t *testing.T) {
	at := time.Date(2018, 7, 24, 17, 56, 20, 0, time.UTC)
	l, err := iotda.DeviceLogin("D39564861q3gDa", "12345678", at)
	require.NoError(t, err)
	assert.Equal(t, "D39564861q3gDa_0_1_2018072417", l.ClientID)
	assert.Equal(t, "D39564861q3gDa", l.Username)
	assert.Equal(t, iotauth.Secret("cda20ea47ca2e8f01d9dd8aa9eb7e7937562f5be6982ea82d46c582c4a476b3f"), l.Password)
	assert.True(t, l.Expiry.IsZero(), "the platform does not drop the connection when the hour changes")
}

// The timestamp is the UTC hour whatever at's zone.
func TestDeviceLogin_TimestampIsTheUTCHour(t *testing.T) {
	at := time.Date(2026, 12, 3, 16, 30, 0, 0, time.FixedZone("UTC+8", 8*3600))
	l, err := iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, at)
	require.NoError(t, err)
	assert.Equal(t, iotauthtest.IoTDADeviceID+"_0_1_2026120308", l.ClientID)
	assert.Equal(t, iotauth.Secret("229e56c7a7b957316df54d742194ee229294d3930838e4df9046c31776ac56cc"), l.Password)
}

// A device id outside IoTDA's form, an empty secret or a zero time is
// refused before anything is built.
func TestDeviceLogin_BadArguments_AreBadRequests(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name, id string
		secret   iotauth.Secret
		at       time.Time
	}{
		{"empty id", "", "dev-secret-1", now},
		{"id with a space", "a b", "dev-secret-1", now},
		{"id with a slash", "prod/dev", "dev-secret-1", now},
		{"id with a newline", "dev\n", "dev-secret-1", now},
		{"id of 129 characters", strings.Repeat("a", 129), "dev-secret-1", now},
		{"empty secret", "dev-1", "", now},
		{"zero time", "dev-1", "dev-secret-1", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := iotda.DeviceLogin(tc.id, tc.secret, tc.at)
			requireKind(t, err, iotauth.ErrBadRequest, string(tc.secret))
			assert.Equal(t, iotauth.MQTTLogin{}, l)
		})
	}
	_, err := iotda.DeviceLogin(strings.Repeat("a", 128), "s", now)
	assert.NoError(t, err, "128 characters are allowed")
}

// clock is a settable clock for DeviceSource.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Every CONNECT gets a login of the current hour, which the emulated broker
// rules accept; an hour later the login has moved on.
func TestDeviceSource_FreshLoginEachConnect_TheEmulatorAccepts(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	clk := &clock{t: srv.IoTDA.Now()}
	src, err := iotda.DeviceSource(iotda.Device{ID: iotauthtest.IoTDADeviceID, Secret: iotauthtest.IoTDADeviceSecret,
		Host: "127.0.0.1", Port: 1883, Now: clk.now})
	require.NoError(t, err)
	l, err := src.MQTTLogin(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", l.Host)
	assert.Equal(t, 1883, l.Port)
	assert.Zero(t, l.TLSPort)
	assert.True(t, srv.IoTDA.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)), srv.IoTDA.MQTTRefusal(l.ClientID, l.Username, string(l.Password)))

	clk.add(time.Hour)
	next, err := src.MQTTLogin(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, l.ClientID, next.ClientID)
	assert.NotEqual(t, l.Password, next.Password)

	clk.add(2 * time.Hour)
	stale, err := iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, srv.IoTDA.Now().Add(-2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "the timestamp is not consistent with the platform time",
		srv.IoTDA.MQTTRefusal(stale.ClientID, stale.Username, string(stale.Password)))
}

// After a refusal the same hour's login is not offered again; the next
// hour's is.
func TestDeviceSource_Refused_NotOfferedAgainThisHour(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 3, 8, 10, 0, 0, time.UTC)}
	src, err := iotda.DeviceSource(iotda.Device{ID: "dev-1", Secret: "wrong", Host: "iotda.example.com", Now: clk.now})
	require.NoError(t, err)
	l, err := src.MQTTLogin(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1883, l.Port)
	assert.Equal(t, 8883, l.TLSPort, "the documented ports when none is given")
	assert.Equal(t, "ssl://iotda.example.com:8883", l.BrokerURL())
	src.Refused(l)
	_, err = src.MQTTLogin(t.Context())
	requireKind(t, err, iotauth.ErrInvalidCredentials, "wrong")
	clk.add(time.Hour)
	_, err = src.MQTTLogin(t.Context())
	assert.NoError(t, err)
}

func TestDeviceSource_BadDevice_IsBadRequest(t *testing.T) {
	for _, d := range []iotda.Device{
		{ID: "a b", Secret: "s", Host: "h"},
		{ID: "d", Host: "h"},
		{ID: "d", Secret: "s", Host: "h:1883"},
		{ID: "d", Secret: "s", Host: ""},
		{ID: "d", Secret: "s", Host: "h", Port: 70000},
	} {
		_, err := iotda.DeviceSource(d)
		requireKind(t, err, iotauth.ErrBadRequest)
	}
}

// No exported type prints a secret, however formatted.
func TestPrinting_NoSecret(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	cfg := iotda.Config{Endpoint: srv.URL, IAMEndpoint: srv.URL, DomainName: "d", UserName: "u",
		Password: iotauthtest.IoTDAPassword, ProjectName: "p"}
	p, err := iotda.New(cfg)
	require.NoError(t, err)
	keyCfg := iotda.Config{Endpoint: srv.URL, AccessKey: iotauthtest.IoTDAAccessKey, SecretKey: iotauthtest.IoTDASecretKey}
	k, err := iotda.New(keyCfg)
	require.NoError(t, err)
	dev := iotda.Device{ID: "d", Secret: iotauthtest.IoTDADeviceSecret, Host: "h"}
	src, err := iotda.DeviceSource(dev)
	require.NoError(t, err)
	for _, v := range []any{cfg, &cfg, p, *p, keyCfg, k, dev, &dev, src} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(f, v)
			for _, s := range []string{iotauthtest.IoTDAPassword, iotauthtest.IoTDASecretKey, iotauthtest.IoTDADeviceSecret} {
				assert.NotContains(t, out, s, "%T printed with %s", v, f)
			}
		}
	}
}
