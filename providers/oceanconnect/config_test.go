package oceanconnect_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

func validConfig() oceanconnect.Config {
	return oceanconnect.Config{BaseURL: "https://iot.example.com:8743", AppID: "app", Secret: "s3cret-value"}
}

func TestNew_MissingField_NamesIt(t *testing.T) {
	for field, mutate := range map[string]func(*oceanconnect.Config){
		"BaseURL": func(c *oceanconnect.Config) { c.BaseURL = "" },
		"AppID":   func(c *oceanconnect.Config) { c.AppID = "" },
		"Secret":  func(c *oceanconnect.Config) { c.Secret = "" },
	} {
		t.Run(field, func(t *testing.T) {
			cfg := validConfig()
			mutate(&cfg)
			_, err := oceanconnect.New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Config."+field)
		})
	}
}

func TestNew_BadBaseURL_IsRefused(t *testing.T) {
	for _, raw := range []string{"ftp://host:8743", "https://", "https://host:8743/?x=1", "://bad"} {
		cfg := validConfig()
		cfg.BaseURL = raw
		_, err := oceanconnect.New(cfg)
		assert.ErrorContains(t, err, "Config.BaseURL", raw)
	}
}

func TestDescribe_NamesPlatformOriginAndKey(t *testing.T) {
	p, err := oceanconnect.New(validConfig())
	require.NoError(t, err)
	d := p.Describe()
	assert.Equal(t, "oceanconnect", d.Name)
	assert.Equal(t, []string{"https://iot.example.com:8743"}, d.Origins)
	assert.Equal(t, iotauth.StoreKey("oceanconnect", "https://iot.example.com:8743", "app"), d.StoreKey)
	assert.NotContains(t, d.StoreKey, "s3cret")

	cfg := validConfig()
	cfg.BaseURL = "https://iot.example.com:8743/"
	p2, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	assert.Equal(t, d.StoreKey, p2.Describe().StoreKey, "a trailing slash names the same application")
	cfg.AppID = "other"
	p3, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	assert.NotEqual(t, d.StoreKey, p3.Describe().StoreKey)
}

func TestConfig_PrintsNoSecretOrKeyMaterial(t *testing.T) {
	cfg := validConfig()
	cfg.ClientKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nKEYMATERIAL\n-----END PRIVATE KEY-----\n")
	cfg.ClientPKCS12 = []byte("P12MATERIAL")
	cfg.PKCS12Password = "p12-password"
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	outs := []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		fmt.Sprint(&cfg), logged.String()}
	for _, out := range outs {
		assert.Contains(t, out, "app")
		for _, secret := range []string{"s3cret-value", "KEYMATERIAL", "P12MATERIAL", "p12-password"} {
			assert.NotContains(t, out, secret)
		}
	}
	for _, secret := range []string{"s3cret-value", "p12-password", "S0VZTUFURVJJQU", "UDEyTUFURVJJQU"} {
		assert.NotContains(t, string(js), secret, "JSON holds a secret or base64 key material")
	}
	assert.Contains(t, string(js), `"AppID":"app"`)
}

func TestNew_HTTPClientWithoutTLSFields_IsUsedAsIs(t *testing.T) {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("offline")
	})
	cfg := validConfig()
	cfg.HTTPClient = &http.Client{Transport: rt}
	p, err := oceanconnect.New(cfg)
	require.NoError(t, err)
	_, err = p.Token(t.Context())
	requireKind(t, err, iotauth.ErrServer)
	assert.ErrorContains(t, err, "offline", "the call went through the given transport")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
