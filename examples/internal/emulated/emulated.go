// Package emulated gives the examples the settings of the built-in platform
// emulators, in the form of the IOTAUTH_* variables the iotauth command and
// the examples read, for when no real settings are given.
package emulated

import (
	"strconv"

	"github.com/iotauth/iotauth/iotauthtest"
)

// Getenv returns a lookup of the IOTAUTH_* settings of the emulators served
// at url: their base URLs and the test credentials they accept.
func Getenv(url string) func(string) string {
	m := map[string]string{
		"IOTAUTH_OCEANCONNECT_BASE_URL":     url,
		"IOTAUTH_OCEANCONNECT_APP_ID":       iotauthtest.OceanConnectAppID,
		"IOTAUTH_OCEANCONNECT_SECRET":       iotauthtest.OceanConnectSecret,
		"IOTAUTH_MXCHIP_BASE_URL":           url,
		"IOTAUTH_MXCHIP_CLIENT_ID":          iotauthtest.MXCHIPClientID,
		"IOTAUTH_MXCHIP_CLIENT_SECRET":      iotauthtest.MXCHIPClientSecret,
		"IOTAUTH_MXCHIP_APP_ID":             iotauthtest.MXCHIPAppID,
		"IOTAUTH_CLOUDSTUDIO_BASE_URL":      url,
		"IOTAUTH_CLOUDSTUDIO_EMAIL":         iotauthtest.CloudStudioEmail,
		"IOTAUTH_CLOUDSTUDIO_PASSWORD":      iotauthtest.CloudStudioPassword,
		"IOTAUTH_CLOUDSTUDIO_CLIENT_ID":     strconv.Itoa(iotauthtest.CloudStudioClientID),
		"IOTAUTH_ALIMQTT_BASE_URL":          url,
		"IOTAUTH_ALIMQTT_REGION_ID":         "cn-hangzhou",
		"IOTAUTH_ALIMQTT_ACCESS_KEY_ID":     iotauthtest.AlibabaAccessKeyID,
		"IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET": iotauthtest.AlibabaAccessKeySecret,
		"IOTAUTH_ALIMQTT_INSTANCE_ID":       iotauthtest.AlibabaInstanceID,
		"IOTAUTH_ALIMQTT_DEVICE":            "GID_example@@@device-001",
	}
	return func(k string) string { return m[k] }
}
