package iotauth_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/redact/redacttest"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/providers/iotda"
	"github.com/iotauth/iotauth/providers/mxchip"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// secret is the sentinel put wherever a value holds a secret.
const secret = iotauth.Secret(redacttest.Sentinel)

// sentinelToken is a token whose access and refresh tokens are the sentinel.
func sentinelToken() *iotauth.Token {
	return &iotauth.Token{AccessToken: redacttest.Sentinel, RefreshToken: redacttest.Sentinel,
		Expiry: time.Now().Add(time.Hour), IssuedAt: time.Now()}
}

// valueSource is a user's TokenSource held by value, with a secret field.
type valueSource struct{ password string }

func (s valueSource) Token(context.Context) (*iotauth.Token, error) { return sentinelToken(), nil }

// filledCache returns a Cache over src that holds the sentinel token.
func filledCache(t *testing.T, src iotauth.TokenSource) *iotauth.Cache {
	c := iotauth.NewCache(src)
	t.Cleanup(func() { _ = c.Close() })
	_, err := c.Token(context.Background())
	require.NoError(t, err)
	return c
}

// filledPool returns a Pool whose one key's Cache holds the sentinel token.
func filledPool(t *testing.T) *iotauth.Pool {
	p := iotauth.NewPool(func(context.Context, string) (iotauth.TokenSource, error) {
		return valueSource{redacttest.Sentinel}, nil
	})
	t.Cleanup(p.Close)
	_, err := p.Token(context.Background(), "tenant")
	require.NoError(t, err)
	return p
}

// secretURL is a base URL with the sentinel as the password of its user
// info, which New refuses but a Config may hold and print before.
const secretURL = "https://user:" + redacttest.Sentinel + "@iot.example/?token=" + redacttest.Sentinel

func ocConfig() oceanconnect.Config {
	return oceanconnect.Config{BaseURL: secretURL, AppID: "app", Secret: secret,
		ClientKeyPEM: []byte(redacttest.Sentinel), ClientPKCS12: []byte(redacttest.Sentinel), PKCS12Password: secret}
}

func csConfig() cloudstudio.Config {
	return cloudstudio.Config{BaseURL: secretURL, Email: "a@b.example", Password: secret, ClientID: 1, Description: "d"}
}

func mxConfig() mxchip.Config {
	return mxchip.Config{BaseURL: secretURL, ClientID: "id", ClientSecret: secret}
}

func aliConfig() alimqtt.Config {
	return alimqtt.Config{RegionID: "cn-hangzhou", Endpoint: secretURL, AccessKeyID: "LTAI", AccessKeySecret: secret,
		SecurityToken: secret, InstanceID: "post-cn-0pp12gl0000"}
}

// valid returns cfg with a base URL New accepts.
func valid[C cloudstudio.Config | mxchip.Config | alimqtt.Config](cfg C) C {
	switch c := any(&cfg).(type) {
	case *cloudstudio.Config:
		c.BaseURL = ""
	case *mxchip.Config:
		c.BaseURL = ""
	case *alimqtt.Config:
		c.Endpoint = ""
	}
	return cfg
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestNoExportedTypePrintsASecret prints every exported type that holds a
// secret, found by walking the module's source, every way a program may.
// A new such type without a row fails it, and so does a removed row.
func TestNoExportedTypePrintsASecret(t *testing.T) {
	walked, err := redacttest.Walk(".",
		"internal",        // not importable by users; their values are covered through the types holding them
		"iotauthtest",     // emulators: their credentials are published test fixtures
		"cmd", "examples", // programs, not API
		"benchmarks",
		"store/redisstore", // covered by its own test (TestStorePrintsNoSecret)
	)
	require.NoError(t, err)

	redacttest.Table(t, walked, []redacttest.Row{
		{Type: "iotauth.Secret", Value: func(*testing.T) any { return secret }},
		{Type: "iotauth.Token", Value: func(*testing.T) any { return sentinelToken() }},
		{Type: "iotauth.Token value", Extra: true, Value: func(*testing.T) any { return *sentinelToken() }},
		{Type: "iotauth.MQTTLogin", Value: func(*testing.T) any {
			return iotauth.MQTTLogin{Host: "h", Port: 1883, ClientID: "c", Username: "u", Password: secret}
		}},
		{Type: "iotauth.MQTTMessage", Value: func(*testing.T) any {
			return iotauth.MQTTMessage{Topic: "$SYS/uploadToken", Payload: secret}
		}},
		{Type: "iotauth.Event", Value: func(*testing.T) any {
			return iotauth.Event{Platform: "p", Op: "login", Token: sentinelToken()}
		}},
		{Type: "iotauth.Cache", Value: func(t *testing.T) any { return filledCache(t, valueSource{redacttest.Sentinel}) }},
		{Type: "iotauth.Transport", Value: func(t *testing.T) any {
			return iotauth.NewTransport(filledCache(t, valueSource{redacttest.Sentinel}), nil)
		}},
		// A Pool's Caches sit behind atomic pointers, which the sentinel
		// search does not follow: Derived, but printed every way all the same.
		{Type: "iotauth.Pool", Derived: true, Value: func(t *testing.T) any { return filledPool(t) }},
		{Type: "iotauth.PoolTransport", Derived: true, Value: func(t *testing.T) any { return iotauth.NewPoolTransport(filledPool(t), nil) }},
		{Type: "iotauth.PoolEviction", Value: func(t *testing.T) any {
			return iotauth.PoolEviction{Key: "tenant", Cache: filledCache(t, valueSource{redacttest.Sentinel}), Reason: "idle"}
		}},
		{Type: "iotauth.PoolEvent", Value: func(t *testing.T) any {
			return iotauth.PoolEvent{Op: "evict", Key: "tenant", Platform: "p", Cache: filledCache(t, valueSource{redacttest.Sentinel}), Reason: "idle"}
		}},
		{Type: "iotauth.Error", Extra: true, Derived: true, Value: func(t *testing.T) any {
			srv := iotauthtest.NewServer()
			t.Cleanup(srv.Close)
			p := must(oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID, Secret: secret}))
			_, err := p.Token(context.Background())
			require.Error(t, err)
			return err
		}},

		{Type: "providers/oceanconnect.Config", Value: func(*testing.T) any { return ocConfig() }},
		{Type: "providers/oceanconnect.Provider", Value: func(*testing.T) any {
			c := ocConfig()
			c.BaseURL, c.ClientKeyPEM, c.ClientPKCS12 = "https://iot.example:8743", nil, nil
			return must(oceanconnect.New(c))
		}},
		{Type: "providers/cloudstudio.Config", Value: func(*testing.T) any { return csConfig() }},
		{Type: "providers/cloudstudio.Provider", Value: func(*testing.T) any { return must(cloudstudio.New(valid(csConfig()))) }},
		{Type: "providers/mxchip.Config", Value: func(*testing.T) any { return mxConfig() }},
		{Type: "providers/mxchip.Provider", Value: func(*testing.T) any { return must(mxchip.New(valid(mxConfig()))) }},
		{Type: "providers/mxchip.Client", Extra: true, Value: func(t *testing.T) any {
			return must(mxchip.New(valid(mxConfig()))).NewClient(filledCache(t, valueSource{redacttest.Sentinel}))
		}},
		{Type: "providers/mxchip.MQTTClient", Value: func(*testing.T) any {
			return &mxchip.MQTTClient{LoginName: "u", Password: secret, ClientID: "c", Host: "h", Port: 1883}
		}},
		{Type: "providers/alimqtt.Config", Value: func(*testing.T) any { return aliConfig() }},
		{Type: "providers/alimqtt.Provider", Value: func(*testing.T) any { return must(alimqtt.New(valid(aliConfig()))) }},
		{Type: "providers/alimqtt.tokenSource", Extra: true, Value: func(*testing.T) any {
			return must(alimqtt.New(valid(aliConfig()))).TokenSource([]string{"t/#"}, alimqtt.ActionRead, time.Hour)
		}},
		{Type: "providers/alimqtt.DeviceCredential", Value: func(*testing.T) any {
			return &alimqtt.DeviceCredential{ClientID: "GID_a@@@d", InstanceID: "i", DeviceAccessKeyID: "k",
				DeviceAccessKeySecret: secret}
		}},
		{Type: "providers/iotda.Config", Value: func(*testing.T) any {
			return iotda.Config{Endpoint: secretURL, IAMEndpoint: secretURL, DomainName: "d", UserName: "u", Password: secret,
				ProjectName: "p", AccessKey: "AK", SecretKey: secret}
		}},
		{Type: "providers/iotda.Provider", Value: func(*testing.T) any {
			return must(iotda.New(iotda.Config{Endpoint: "https://iotda.example", DomainName: "d", UserName: "u",
				Password: secret, ProjectName: "p"}))
		}},
		{Type: "providers/iotda.Provider value", Extra: true, Value: func(*testing.T) any {
			return *must(iotda.New(iotda.Config{Endpoint: "https://iotda.example", AccessKey: "AK", SecretKey: secret}))
		}},
		{Type: "providers/iotda.Device", Value: func(*testing.T) any {
			return iotda.Device{ID: "d", Secret: secret, Host: "h"}
		}},
		{Type: "store.Memory", Value: func(t *testing.T) any {
			m := store.NewMemory()
			require.NoError(t, m.Save(context.Background(), "k", sentinelToken()))
			return m
		}},
		{Type: "store.File", Extra: true, Derived: true, Value: func(t *testing.T) any {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o700))
			return must(store.NewFile(dir, store.WithFileEncryptionKey(secret)))
		}},
	})
}
