package mxchip

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

func TestNew_MissingField_ErrorNamesIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no client id", Config{ClientSecret: "s"}, "ClientID"},
		{"no client secret", Config{ClientID: "id"}, "ClientSecret"},
		{"ftp base URL", Config{ClientID: "id", ClientSecret: "s", BaseURL: "ftp://x"}, "BaseURL"},
		{"base URL without host", Config{ClientID: "id", ClientSecret: "s", BaseURL: "https://"}, "BaseURL"},
		{"base URL with query", Config{ClientID: "id", ClientSecret: "s", BaseURL: "https://h/?a=b"}, "BaseURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestNew_EmptyBaseURL_UsesFogCloud(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s"})
	require.NoError(t, err)
	assert.Equal(t, "https://api.fogcloud.io", p.base)
	assert.Equal(t, []string{"https://api.fogcloud.io:443"}, p.Describe().Origins)
	assert.Equal(t, "mxchip", p.Describe().Name)
}

func TestNew_BaseURLTrailingSlash_IsTrimmed(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s", BaseURL: "http://127.0.0.1:8080/"})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", p.base)
	assert.Equal(t, []string{"http://127.0.0.1:8080"}, p.Describe().Origins)
}

func TestStoreKey_SameAccount_SameKeyWithoutClientIDInClear(t *testing.T) {
	a, err := New(Config{ClientID: "my-access-key-id", ClientSecret: "s1"})
	require.NoError(t, err)
	b, err := New(Config{ClientID: "my-access-key-id", ClientSecret: "s2"})
	require.NoError(t, err)
	other, err := New(Config{ClientID: "another-key-id", ClientSecret: "s1"})
	require.NoError(t, err)
	elsewhere, err := New(Config{ClientID: "my-access-key-id", ClientSecret: "s1", BaseURL: "https://api.example.com"})
	require.NoError(t, err)

	key := func(p *Provider) string { return p.Describe().StoreKey }
	assert.Equal(t, key(a), key(b))
	assert.Equal(t, iotauth.StoreKey("mxchip", "https://api.fogcloud.io", "my-access-key-id"), key(a))
	assert.NotEqual(t, key(a), key(other))
	assert.NotEqual(t, key(a), key(elsewhere))
	assert.NotContains(t, key(a), "my-access-key-id")
	assert.NotContains(t, key(a), "s1")
}

func TestConfig_Printed_HidesClientSecret(t *testing.T) {
	cfg := Config{ClientID: "id", ClientSecret: "top-secret-value"}
	for _, f := range []string{"%v", "%+v", "%#v"} {
		assert.NotContains(t, fmt.Sprintf(f, cfg), "top-secret-value", f)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(f, p), "top-secret-value", f)
	}
}
