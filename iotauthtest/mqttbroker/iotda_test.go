package mqttbroker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// A device connects with the login of its DeviceSource, on the plain and
// the TLS port; a wrong secret, a stale type 1 timestamp or a user name
// that is not the device id is refused.
func TestIoTDA_DeviceLogins(t *testing.T) {
	e := start(t)
	src, err := iotda.DeviceSource(iotda.Device{ID: iotauthtest.IoTDADeviceID, Secret: iotauthtest.IoTDADeviceSecret,
		Host: e.b.Host, Port: e.b.Port, Now: e.emu.IoTDA.Now})
	require.NoError(t, err)
	l, err := src.MQTTLogin(t.Context())
	require.NoError(t, err)
	l.TLSPort = 0
	_, err = client(t, l, nil)
	require.NoError(t, err)
	assert.True(t, e.b.Connected(l.ClientID))

	now := e.emu.IoTDA.Now()
	wrong := mustLogin(t)(iotda.DeviceLogin(iotauthtest.IoTDADeviceID, "not-the-secret", now))
	stale := mustLogin(t)(iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, now.Add(-2*time.Hour)))
	other := mustLogin(t)(iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, now))
	other.Username = "someone-else"
	for name, bad := range map[string]iotauth.MQTTLogin{"wrong secret": wrong, "stale timestamp": stale, "other user": other} {
		bad.Host, bad.Port = e.b.Host, e.b.Port
		_, err := client(t, bad, nil)
		assert.Error(t, err, name)
	}
	assert.Equal(t, 3, e.b.Counts(wrong.ClientID).Refused+e.b.Counts(stale.ClientID).Refused)
}

// Signature type 0 is not checked against the platform time: a login of
// any hour connects, as long as its password matches its timestamp.
func TestIoTDA_SignatureType0_TimestampNotChecked(t *testing.T) {
	e := start(t)
	old := mustLogin(t)(iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, time.Date(2018, 7, 24, 17, 0, 0, 0, time.UTC)))
	require.Equal(t, iotauthtest.IoTDADeviceID+"_0_1_2018072417", old.ClientID)
	old.ClientID = iotauthtest.IoTDADeviceID + "_0_0_2018072417"
	old.Host, old.Port = e.b.Host, e.b.Port
	_, err := client(t, old, nil)
	require.NoError(t, err)
	old.ClientID = iotauthtest.IoTDADeviceID + "_0_1_2018072417"
	_, err = client(t, old, nil)
	assert.Error(t, err, "type 1 checks the timestamp")
}
