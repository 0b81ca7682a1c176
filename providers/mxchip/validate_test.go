package mxchip_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/mxchip"
)

func TestNew_BaseURLAndFields_AreBadRequestsNamingTheField(t *testing.T) {
	valid := mxchip.Config{ClientID: "id", ClientSecret: "s3cret-value"}
	for name, c := range map[string]struct {
		field string
		edit  func(*mxchip.Config)
	}{
		"http to a remote host": {"BaseURL", func(c *mxchip.Config) { c.BaseURL = "http://api.fogcloud.io" }},
		"user info":             {"BaseURL", func(c *mxchip.Config) { c.BaseURL = "https://id:s3cret-value@api.fogcloud.io" }},
		"query":                 {"BaseURL", func(c *mxchip.Config) { c.BaseURL = "https://api.fogcloud.io?k=s3cret-value" }},
		"relative":              {"BaseURL", func(c *mxchip.Config) { c.BaseURL = "/v3" }},
		"no client id":          {"ClientID", func(c *mxchip.Config) { c.ClientID = "" }},
		"no secret":             {"ClientSecret", func(c *mxchip.Config) { c.ClientSecret = "" }},
	} {
		cfg := valid
		c.edit(&cfg)
		_, err := mxchip.New(cfg)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, name)
		assert.Contains(t, err.Error(), "Config."+c.field, name)
		assert.NotContains(t, err.Error(), "s3cret-value", name)
	}
	cfg := valid
	cfg.BaseURL, cfg.AllowInsecureHTTP = "http://emulator:8080", true
	_, err := mxchip.New(cfg)
	assert.NoError(t, err)
}
