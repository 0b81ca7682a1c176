package oceanconnect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

func TestNew_BaseURL_HTTPSUnlessLoopbackOrAllowed_NoUserInfo(t *testing.T) {
	cfg := oceanconnect.Config{AppID: "app", Secret: "s3cret-value"}
	for raw, ok := range map[string]bool{
		"https://iot.example:8743":             true,
		"http://127.0.0.1:8743":                true,
		"http://iot.example:8743":              false,
		"https://app:s3cret-value@iot.example": false,
		"https://iot.example/?s3cret-value":    false,
		"iot.example:8743":                     false,
	} {
		cfg.BaseURL = raw
		_, err := oceanconnect.New(cfg)
		if ok {
			assert.NoError(t, err, raw)
			continue
		}
		require.ErrorIs(t, err, iotauth.ErrBadRequest, raw)
		assert.Contains(t, err.Error(), "Config.BaseURL", raw)
		assert.NotContains(t, err.Error(), "s3cret-value", raw)
	}
	cfg.BaseURL, cfg.AllowInsecureHTTP = "http://emulator:8743", true
	_, err := oceanconnect.New(cfg)
	assert.NoError(t, err)
}

func TestNew_BadTLSMaterial_IsABadRequestNamingTheField(t *testing.T) {
	_, err := oceanconnect.New(oceanconnect.Config{BaseURL: "https://iot.example", AppID: "a", Secret: "s",
		CACertPEM: []byte("not a certificate")})
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.Contains(t, err.Error(), "Config.CACertPEM")
}
