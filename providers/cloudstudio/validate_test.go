package cloudstudio_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/cloudstudio"
)

func TestNew_BaseURLAndFields_AreBadRequestsNamingTheField(t *testing.T) {
	valid := cloudstudio.Config{Email: "a@b.example", Password: "s3cret-value", ClientID: 1, Description: "d"}
	for name, c := range map[string]struct {
		field string
		edit  func(*cloudstudio.Config)
	}{
		"http to a remote host": {"BaseURL", func(c *cloudstudio.Config) { c.BaseURL = "http://gear.cloud.studio" }},
		"user info":             {"BaseURL", func(c *cloudstudio.Config) { c.BaseURL = "https://a:s3cret-value@gear.cloud.studio" }},
		"fragment":              {"BaseURL", func(c *cloudstudio.Config) { c.BaseURL = "https://gear.cloud.studio#s3cret-value" }},
		"no password":           {"Password", func(c *cloudstudio.Config) { c.Password = "" }},
		"client id":             {"ClientID", func(c *cloudstudio.Config) { c.ClientID = -1 }},
	} {
		cfg := valid
		c.edit(&cfg)
		_, err := cloudstudio.New(cfg)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, name)
		assert.Contains(t, err.Error(), "Config."+c.field, name)
		assert.NotContains(t, err.Error(), "s3cret-value", name)
	}
	cfg := valid
	cfg.BaseURL, cfg.AllowInsecureHTTP = "http://emulator:8080", true
	_, err := cloudstudio.New(cfg)
	assert.NoError(t, err)
	_, err = cloudstudio.New(valid)
	assert.NoError(t, err, "the default base URL is https")
}
