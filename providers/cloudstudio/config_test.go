package cloudstudio

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

func TestNew_InvalidConfig_NamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no email", func(c *Config) { c.Email = "" }, "Email"},
		{"no password", func(c *Config) { c.Password = "" }, "Password"},
		{"no client id", func(c *Config) { c.ClientID = 0 }, "ClientID"},
		{"negative client id", func(c *Config) { c.ClientID = -4 }, "ClientID"},
		{"no description", func(c *Config) { c.Description = "" }, "Description"},
		{"256-character description", func(c *Config) { c.Description = strings.Repeat("ü", 256) }, "Description"},
		{"negative expiration", func(c *Config) { c.Expiration = -time.Minute }, "Expiration"},
		{"expiration not in whole minutes", func(c *Config) { c.Expiration = 90 * time.Second }, "Expiration"},
		{"ftp base URL", func(c *Config) { c.BaseURL = "ftp://gear.cloud.studio" }, "BaseURL"},
		{"base URL with a query", func(c *Config) { c.BaseURL = "https://gear.cloud.studio/?x=1" }, "BaseURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("https://gear.cloud.studio")
			cfg.Password = "s3cret-password"
			tc.edit(&cfg)
			p, err := New(cfg)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), "Config."+tc.field)
			assert.NotContains(t, err.Error(), "s3cret-password")
		})
	}
}

func TestNew_ValidEdgeValues_AreAccepted(t *testing.T) {
	cfg := testConfig("")
	cfg.Description = strings.Repeat("ü", 255)
	cfg.Expiration = 24 * time.Hour
	p, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, p.base, "an empty BaseURL is the public platform")
}

func TestDescribe_NamesPlatformOriginAndKey(t *testing.T) {
	p, err := New(testConfig("https://gear.cloud.studio/"))
	require.NoError(t, err)
	d := p.Describe()
	assert.Equal(t, "cloudstudio", d.Name)
	assert.Equal(t, []string{"https://gear.cloud.studio:443"}, d.Origins)
	want := iotauth.StoreKey("cloudstudio", "https://gear.cloud.studio", fmt.Sprintf("%s|%d", p.email, p.clientID))
	assert.Equal(t, want, d.StoreKey)
	assert.NotContains(t, d.StoreKey, p.email, "the key holds no account data in clear")

	other, err := New(Config{Email: p.email, Password: "x", ClientID: 80, Description: "d"})
	require.NoError(t, err)
	assert.NotEqual(t, d.StoreKey, other.Describe().StoreKey, "another client id is another credential")
}

func TestUniqueDescription_IsUniqueAndAtMost255Characters(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	a := uniqueDescription("billing export", now)
	b := uniqueDescription("billing export", now)
	assert.NotEqual(t, a, b, "the random suffix separates creations in the same second")
	assert.True(t, strings.HasPrefix(a, "billing export 20240506T070809Z-"), a)

	long := uniqueDescription(strings.Repeat("漢", 255), now)
	assert.Equal(t, 255, len([]rune(long)))
	assert.True(t, strings.HasPrefix(long, strings.Repeat("漢", 200)))
	assert.Contains(t, long, " 20240506T070809Z-")
}
