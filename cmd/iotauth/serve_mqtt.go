package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/iotauth/iotauth"
)

// mqttLogins makes a credential's MQTT logins, by the query of a request to
// /v1/credentials/<name>/mqtt.
type mqttLogins func(ctx context.Context, q url.Values) (iotauth.MQTTLogin, error)

// serveMQTTLogins builds, for each platform with MQTT logins, the logins of
// a credential from its settings, and what closes what they keep (nil:
// nothing), for when the credential is retired. cache is the credential's
// Cache (nil when it has no token source: alimqtt without resources), so
// that logins that need a token share the credential's one login. A
// platform missing here has no /mqtt route.
var serveMQTTLogins = map[string]func(s *settings, cache *iotauth.Cache, opts []iotauth.CacheOption) (mqttLogins, func(), error){
	"mxchip":  mxchipLogins,
	"alimqtt": aliMQTTLogins,
}

// maxMQTTSources bounds the MQTT sources a credential keeps (one per mode
// and client id asked for); past it they are dropped and made anew.
const maxMQTTSources = 256

// mqttSources keeps the MQTT sources of one credential, so that a login a
// source keeps (a registered device credential) is reused.
type mqttSources struct {
	mu   sync.Mutex
	srcs map[string]iotauth.MQTTSource
}

func (m *mqttSources) get(key string, build func() (iotauth.MQTTSource, error)) (iotauth.MQTTSource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if src, ok := m.srcs[key]; ok {
		return src, nil
	}
	src, err := build()
	if err != nil {
		return nil, err
	}
	if m.srcs == nil || len(m.srcs) >= maxMQTTSources {
		m.srcs = map[string]iotauth.MQTTSource{}
	}
	m.srcs[key] = src
	return src, nil
}

// mxchipLogins makes the MQTT client logins of an MXCHIP application
// (app_id in the query, else the configured one) with the credential's token.
func mxchipLogins(s *settings, cache *iotauth.Cache, opts []iotauth.CacheOption) (mqttLogins, func(), error) {
	p, err := s.mxchip()
	if err != nil {
		return nil, nil, err
	}
	defaultApp := s.get("app_id")
	var m mqttSources
	return func(ctx context.Context, q url.Values) (iotauth.MQTTLogin, error) {
		app := q.Get("app_id")
		if app == "" {
			app = defaultApp
		}
		if app == "" {
			return iotauth.MQTTLogin{}, &apiError{http.StatusBadRequest, "bad_request", "app_id: missing (in the query, or app_id in the credential's config)"}
		}
		src, _ := m.get(app, func() (iotauth.MQTTSource, error) {
			return p.NewClient(cache).MQTTSource(app, opts...), nil
		})
		return src.MQTTLogin(ctx)
	}, nil, nil
}

// aliMQTTLogins makes Alibaba Cloud MQTT logins of a device (client_id in
// the query, else the configured device) in a mode (mode in the query:
// device-credential by default, signature, or token). Closing drops the
// device credentials the Provider keeps.
func aliMQTTLogins(s *settings, cache *iotauth.Cache, opts []iotauth.CacheOption) (mqttLogins, func(), error) {
	c, err := s.aliMQTT()
	if err != nil {
		return nil, nil, err
	}
	defaultDevice := s.get("device")
	var m mqttSources
	return func(ctx context.Context, q url.Values) (iotauth.MQTTLogin, error) {
		device := q.Get("client_id")
		if device == "" {
			device = defaultDevice
		}
		if device == "" {
			return iotauth.MQTTLogin{}, &apiError{http.StatusBadRequest, "bad_request", "client_id: missing (in the query, or device in the credential's config)"}
		}
		mode := q.Get("mode")
		if mode == "" {
			mode = modeDeviceCredential
		}
		src, err := m.get(mode+"\x00"+device, func() (iotauth.MQTTSource, error) {
			switch mode {
			case modeDeviceCredential:
				return c.DeviceCredentialSource(device, opts...), nil
			case modeSignature:
				return c.SignatureSource(device, opts...), nil
			case modeToken:
				if cache == nil {
					return nil, &apiError{http.StatusNotFound, "no_tokens", "mode=token: this alimqtt credential has tokens only when resources is configured"}
				}
				return c.TokenMQTTSource(device, cache), nil
			}
			return nil, &apiError{http.StatusBadRequest, "bad_request", fmt.Sprintf("mode: %q is not device-credential, signature or token", mode)}
		})
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		return src.MQTTLogin(ctx)
	}, func() { _ = c.Close() }, nil
}
