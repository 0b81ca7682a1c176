package iotda

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// user is a valid IAM user configuration.
func user() Config {
	return Config{Endpoint: "https://iotda.example.com", DomainName: "dom", UserName: "usr",
		Password: "pw-secret-value", ProjectName: "cn-north-4"}
}

func TestNew_MissingOrBadField_ErrorNamesIt(t *testing.T) {
	with := func(f func(*Config)) Config { c := user(); f(&c); return c }
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no endpoint", with(func(c *Config) { c.Endpoint = "" }), "Endpoint"},
		{"ftp endpoint", with(func(c *Config) { c.Endpoint = "ftp://x" }), "Endpoint"},
		{"endpoint with query", with(func(c *Config) { c.Endpoint = "https://h/?a=b" }), "Endpoint"},
		{"plain http endpoint", with(func(c *Config) { c.Endpoint = "http://iotda.example.com" }), "Endpoint"},
		{"bad IAM endpoint", with(func(c *Config) { c.IAMEndpoint = "https://" }), "IAMEndpoint"},
		{"no domain", with(func(c *Config) { c.DomainName = "" }), "DomainName"},
		{"no user", with(func(c *Config) { c.UserName = "" }), "UserName"},
		{"no password", with(func(c *Config) { c.Password = "" }), "Password"},
		{"no project", with(func(c *Config) { c.ProjectName = "" }), "ProjectName"},
		{"user and access key", with(func(c *Config) { c.AccessKey = "AK" }), "AccessKey"},
		{"access key without secret key", Config{Endpoint: "https://h", AccessKey: "AK"}, "SecretKey"},
		{"secret key without access key", Config{Endpoint: "https://h", SecretKey: "sk"}, "AccessKey"},
		{"access key with a comma", Config{Endpoint: "https://h", AccessKey: "AK,Signature=x", SecretKey: "sk"}, "AccessKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, iotauth.ErrBadRequest)
			var e *iotauth.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "iotda", e.Platform)
			assert.Contains(t, err.Error(), tc.field)
			assert.NotContains(t, err.Error(), "pw-secret-value")
		})
	}
}

func TestNew_EmptyIAMEndpoint_IsTheGlobalOne_AndOnlyEndpointGetsCredentials(t *testing.T) {
	p, err := New(user())
	require.NoError(t, err)
	assert.Equal(t, DefaultIAMEndpoint, p.iam)
	d := p.Describe()
	assert.Equal(t, "iotda", d.Name)
	assert.Equal(t, []string{"https://iotda.example.com:443"}, d.Origins, "not IAM's origin")
	assert.Nil(t, d.Authorize, "an IAM token is a header")
	assert.False(t, d.LastTokenOnly)

	k, err := New(Config{Endpoint: "https://iotda.example.com/", AccessKey: "AK", SecretKey: "sk"})
	require.NoError(t, err)
	assert.Equal(t, "https://iotda.example.com", k.base, "the trailing slash is trimmed")
	assert.Empty(t, k.iam, "no IAM with an access key")
	assert.NotNil(t, k.Describe().Authorize, "a signature depends on the request")
}

func TestStoreKey_SameUserOrKey_SameKey_WithoutSecrets(t *testing.T) {
	key := func(cfg Config) string {
		t.Helper()
		p, err := New(cfg)
		require.NoError(t, err)
		return p.Describe().StoreKey
	}
	with := func(f func(*Config)) Config { c := user(); f(&c); return c }
	a := key(user())
	assert.Equal(t, a, key(with(func(c *Config) { c.Password = "another password" })), "the password is not part of the key")
	assert.Equal(t, iotauth.StoreKey("iotda", DefaultIAMEndpoint, "dom|usr|cn-north-4"), a)
	for name, other := range map[string]Config{
		"domain":  with(func(c *Config) { c.DomainName = "dom2" }),
		"user":    with(func(c *Config) { c.UserName = "usr2" }),
		"project": with(func(c *Config) { c.ProjectName = "cn-east-3" }),
		"IAM":     with(func(c *Config) { c.IAMEndpoint = "https://iam.cn-north-4.myhuaweicloud.com" }),
	} {
		assert.NotEqual(t, a, key(other), name)
	}
	assert.NotContains(t, a, "pw-secret-value")
	assert.NotContains(t, a, "usr")

	ak := key(Config{Endpoint: "https://iotda.example.com", AccessKey: "AKEXAMPLE", SecretKey: "sk-secret-value"})
	assert.NotEqual(t, a, ak)
	assert.Equal(t, ak, key(Config{Endpoint: "https://iotda.example.com", AccessKey: "AKEXAMPLE", SecretKey: "another"}))
	assert.NotContains(t, ak, "AKEXAMPLE")
	assert.NotContains(t, ak, "sk-secret-value")
}

func TestConfig_Printed_HidesSecrets(t *testing.T) {
	for _, cfg := range []Config{user(), {Endpoint: "https://h", AccessKey: "AK", SecretKey: "sk-secret-value"}} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(f, cfg)
			assert.NotContains(t, out, "pw-secret-value", f)
			assert.NotContains(t, out, "sk-secret-value", f)
		}
		p, err := New(cfg)
		require.NoError(t, err)
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			for _, v := range []any{p, *p} {
				out := fmt.Sprintf(f, v)
				assert.NotContains(t, out, "pw-secret-value", f)
				assert.NotContains(t, out, "sk-secret-value", f)
			}
		}
	}
}
