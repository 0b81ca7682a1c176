package iotauthtest

import "strconv"

// EmulatorRegion is the Alibaba region the emulator's settings name; the
// emulator accepts any.
const EmulatorRegion = "cn-hangzhou"

// Env returns the IOTAUTH_* settings, in a stable order, that point the
// iotauth command and the examples at the platforms served on url: their base
// URLs and the test credentials they accept.
func Env(url string) [][2]string {
	return [][2]string{
		{"IOTAUTH_OCEANCONNECT_BASE_URL", url},
		{"IOTAUTH_OCEANCONNECT_APP_ID", OceanConnectAppID},
		{"IOTAUTH_OCEANCONNECT_SECRET", OceanConnectSecret},
		{"IOTAUTH_MXCHIP_BASE_URL", url},
		{"IOTAUTH_MXCHIP_CLIENT_ID", MXCHIPClientID},
		{"IOTAUTH_MXCHIP_CLIENT_SECRET", MXCHIPClientSecret},
		{"IOTAUTH_MXCHIP_APP_ID", MXCHIPAppID},
		{"IOTAUTH_CLOUDSTUDIO_BASE_URL", url},
		{"IOTAUTH_CLOUDSTUDIO_EMAIL", CloudStudioEmail},
		{"IOTAUTH_CLOUDSTUDIO_PASSWORD", CloudStudioPassword},
		{"IOTAUTH_CLOUDSTUDIO_CLIENT_ID", strconv.Itoa(CloudStudioClientID)},
		{"IOTAUTH_ALIMQTT_BASE_URL", url},
		{"IOTAUTH_ALIMQTT_REGION_ID", EmulatorRegion},
		{"IOTAUTH_ALIMQTT_ACCESS_KEY_ID", AlibabaAccessKeyID},
		{"IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET", AlibabaAccessKeySecret},
		{"IOTAUTH_ALIMQTT_INSTANCE_ID", AlibabaInstanceID},
		{"IOTAUTH_IOTDA_BASE_URL", url},
		{"IOTAUTH_IOTDA_IAM_ENDPOINT", url},
		{"IOTAUTH_IOTDA_DOMAIN_NAME", IoTDADomainName},
		{"IOTAUTH_IOTDA_USER_NAME", IoTDAUserName},
		{"IOTAUTH_IOTDA_PASSWORD", IoTDAPassword},
		{"IOTAUTH_IOTDA_PROJECT_NAME", IoTDAProjectName},
		{"IOTAUTH_IOTDA_DEVICE", IoTDADeviceID},
		{"IOTAUTH_IOTDA_DEVICE_SECRET", IoTDADeviceSecret},
	}
}
