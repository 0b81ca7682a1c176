package iotda

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sync"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// The rules of a device login, from IoTDA's API Reference, Device
// Connection Authentication, and its developer guide, Secret
// Authentication: the client id is the device id, the device
// type (0, a device id), the password signature type (1: the platform
// checks the timestamp) and the UTC hour YYYYMMDDHH, joined by "_".
const (
	deviceType    = "0"
	signatureType = "1"
	timestampForm = "2006010215"
	opDeviceLogin = "mqtt login"
)

// deviceIDForm is a device id as IoTDA allocates and accepts them ("Adding
// a Device", device_id: letters, digits, "_" and "-", at most 128
// characters), usually {product_id}_{node_id}. Anything else could change
// the meaning of the client id it is the first field of.
var deviceIDForm = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// DeviceLogin is the MQTT login of a device registered with a secret, at
// the time at: client id {deviceID}_0_1_{YYYYMMDDHH} (at's UTC hour; type 1,
// so the platform checks it against its own time), user name deviceID, and
// password the hex HMAC-SHA256 of secret keyed by that timestamp. Host and
// ports are left empty: they are the instance's device access address (see
// DeviceSource).
//
// A device id outside IoTDA's form (letters, digits, "_" and "-", 1 to 128
// characters), an empty secret or a zero time is an iotauth.ErrBadRequest,
// and no login is built.
func DeviceLogin(deviceID string, secret iotauth.Secret, at time.Time) (iotauth.MQTTLogin, error) {
	if err := checkDevice(deviceID, secret); err != nil {
		return iotauth.MQTTLogin{}, err
	}
	if at.IsZero() {
		return iotauth.MQTTLogin{}, httpc.Refuse(platform, opDeviceLogin, "no time to sign the login at")
	}
	ts := at.UTC().Format(timestampForm)
	mac := hmac.New(sha256.New, []byte(ts))
	mac.Write([]byte(secret))
	return iotauth.MQTTLogin{
		ClientID: deviceID + "_" + deviceType + "_" + signatureType + "_" + ts,
		Username: deviceID,
		Password: iotauth.Secret(hex.EncodeToString(mac.Sum(nil))),
	}, nil
}

// checkDevice refuses a device id outside IoTDA's form and an empty secret.
func checkDevice(deviceID string, secret iotauth.Secret) error {
	switch {
	case !deviceIDForm.MatchString(deviceID):
		return httpc.Refuse(platform, opDeviceLogin, "the device id must be 1 to 128 letters, digits, \"_\" or \"-\", such as {product_id}_{node_id}")
	case secret.IsZero():
		return httpc.Refuse(platform, opDeviceLogin, "no device secret")
	}
	return nil
}

// The device access ports IoTDA documents ("Device Connection
// Authentication": MQTT 1883, MQTTS 8883).
const (
	DefaultMQTTPort    = 1883
	DefaultMQTTTLSPort = 8883
)

// Device is a device registered with a secret, and the device access
// address of its instance.
type Device struct {
	// ID is the device id, such as {product_id}_{node_id}. Required.
	ID string
	// Secret is the device secret. Required.
	Secret iotauth.Secret
	// Host is the instance's device access host, such as
	// {id}.st1.iotda-device.cn-north-4.myhuaweicloud.com. Required.
	Host string
	// Port and TLSPort are the MQTT and MQTTS ports; 1883 and 8883 when
	// both are 0. A login prefers TLSPort.
	Port, TLSPort int
	// Now is the clock logins are signed with; time.Now when nil.
	Now func() time.Time
}

// DeviceSource returns an iotauth.MQTTSource that builds a fresh
// DeviceLogin for every CONNECT, so that a reconnect hours later presents
// the current hour. After the broker refuses a login, the same login
// (same hour) is not offered again: MQTTLogin fails with
// iotauth.ErrInvalidCredentials until the hour changes. A device, secret or
// host outside its form is an iotauth.ErrBadRequest.
func DeviceSource(d Device) (iotauth.MQTTSource, error) {
	if err := checkDevice(d.ID, d.Secret); err != nil {
		return nil, err
	}
	if !hostForm.MatchString(d.Host) {
		return nil, httpc.Refuse(platform, opDeviceLogin, "the device access host must be a host name or IP address")
	}
	if d.Port == 0 && d.TLSPort == 0 {
		d.Port, d.TLSPort = DefaultMQTTPort, DefaultMQTTTLSPort
	}
	if d.Port < 0 || d.Port > 65535 || d.TLSPort < 0 || d.TLSPort > 65535 {
		return nil, httpc.Refuse(platform, opDeviceLogin, "a port is out of range")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &deviceSource{d: d}, nil
}

// hostForm is a host name or an IPv4 or IPv6 address, nothing that could
// carry a port, a path or user info.
var hostForm = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$`)

type deviceSource struct {
	d Device

	mu      sync.Mutex
	refused *iotauth.MQTTLogin // the last login the broker refused
}

func (s *deviceSource) MQTTLogin(ctx context.Context) (iotauth.MQTTLogin, error) {
	if err := ctx.Err(); err != nil {
		return iotauth.MQTTLogin{}, err
	}
	l, err := DeviceLogin(s.d.ID, s.d.Secret, s.d.Now())
	if err != nil {
		return iotauth.MQTTLogin{}, err
	}
	l.Host, l.Port, l.TLSPort = s.d.Host, s.d.Port, s.d.TLSPort
	s.mu.Lock()
	r := s.refused
	s.mu.Unlock()
	if r != nil && r.ClientID == l.ClientID && r.Username == l.Username && r.Password == l.Password {
		return iotauth.MQTTLogin{}, &iotauth.Error{Platform: platform, Op: opDeviceLogin, Kind: iotauth.ErrInvalidCredentials,
			Message: "the broker refused this hour's login; the next is built when the hour changes"}
	}
	return l, nil
}

func (s *deviceSource) Refused(l iotauth.MQTTLogin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = &l
}

// Describe names the platform; a device login is never stored.
func (s *deviceSource) Describe() iotauth.Platform { return iotauth.Platform{Name: platform} }
