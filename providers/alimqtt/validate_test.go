package alimqtt_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

func validConfig() alimqtt.Config {
	return alimqtt.Config{RegionID: "cn-hangzhou", AccessKeyID: "LTAI5tExample", AccessKeySecret: "s3cret-value",
		SecurityToken: "s3cret-sts", InstanceID: "post-cn-0pp12gl0000"}
}

// Region and instance ids become part of host names: anything but their
// documented characters could move the calls, and the signed AccessKey, to
// another host.
func TestNew_IdsOutsideTheirDocumentedCharacters_AreRefused(t *testing.T) {
	for name, c := range map[string]struct {
		field string
		edit  func(*alimqtt.Config)
	}{
		"region with a slash":    {"RegionID", func(c *alimqtt.Config) { c.RegionID = "attacker.example/" }},
		"region with a dot-dot":  {"RegionID", func(c *alimqtt.Config) { c.RegionID = "cn-hangzhou/../x" }},
		"region with a dot":      {"RegionID", func(c *alimqtt.Config) { c.RegionID = "cn-hangzhou.attacker.example" }},
		"region with an at":      {"RegionID", func(c *alimqtt.Config) { c.RegionID = "x@attacker.example" }},
		"upper-case region":      {"RegionID", func(c *alimqtt.Config) { c.RegionID = "CN-HANGZHOU" }},
		"blank region":           {"RegionID", func(c *alimqtt.Config) { c.RegionID = " " }},
		"instance with a dot":    {"InstanceID", func(c *alimqtt.Config) { c.InstanceID = "post-cn-1.attacker.example" }},
		"instance with a slash":  {"InstanceID", func(c *alimqtt.Config) { c.InstanceID = "post-cn-1/x" }},
		"documented placeholder": {"InstanceID", func(c *alimqtt.Config) { c.InstanceID = "post-cn-0pp12gl****" }},
		"key id with a bar":      {"AccessKeyID", func(c *alimqtt.Config) { c.AccessKeyID = "LTAI|x" }},
		"broker host with path":  {"MQTTHost", func(c *alimqtt.Config) { c.MQTTHost = "broker.example/x" }},
		"http endpoint":          {"Endpoint", func(c *alimqtt.Config) { c.Endpoint = "http://onsmqtt.cn-hangzhou.aliyuncs.com" }},
		"endpoint with user":     {"Endpoint", func(c *alimqtt.Config) { c.Endpoint = "https://u:s3cret-value@x.example" }},
		"no secret":              {"AccessKeySecret", func(c *alimqtt.Config) { c.AccessKeySecret = "" }},
	} {
		cfg := validConfig()
		c.edit(&cfg)
		_, err := alimqtt.New(cfg)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, name)
		assert.Contains(t, err.Error(), "Config."+c.field, name)
		assert.NotContains(t, err.Error(), "s3cret", name)
	}
	for _, region := range []string{"cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "us-east-1"} {
		cfg := validConfig()
		cfg.RegionID = region
		c, err := alimqtt.New(cfg)
		require.NoError(t, err, region)
		assert.Contains(t, c.String(), "https://onsmqtt."+region+".aliyuncs.com")
	}
	cfg := validConfig()
	cfg.AccessKeyID, cfg.Endpoint, cfg.AllowInsecureHTTP = "STS.NUgYrLnoC37mZZCNnAbez2xj", "http://emulator:8080", true
	_, err := alimqtt.New(cfg)
	assert.NoError(t, err)
}

// A malformed client id is refused before anything is sent.
func TestCalls_ClientIDOutsideTheDocumentedForm_IsRefusedUnsent(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	ctx := context.Background()
	for _, id := range []string{"", "device-1", "GID_a@@@d", "GID_abc@@@", "@@@d", "GID_a@@@d/../x", "GID_a@@@d:1",
		"GID_a@@@d@@@e", "gid_a@@@d", "GID_a@@@" + strings.Repeat("d", 57), "GID_a@@@d\n"} {
		_, err := c.GetDeviceCredential(ctx, id)
		assert.ErrorIs(t, err, iotauth.ErrBadRequest, id)
		_, err = c.DeviceCredential(ctx, id)
		assert.ErrorIs(t, err, iotauth.ErrBadRequest, id)
		assert.ErrorIs(t, c.UnRegisterDeviceCredential(ctx, id), iotauth.ErrBadRequest, id)
	}
	assert.Zero(t, mt.TotalCalls())
	_, err := c.GetDeviceCredential(ctx, "GID_abc@@@"+strings.Repeat("d", 54)) // 64 characters
	assert.NotErrorIs(t, err, iotauth.ErrBadRequest)
}
