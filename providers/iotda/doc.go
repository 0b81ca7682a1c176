// Package iotda authenticates against Huawei Cloud IoT Device Access
// (IoTDA), OceanConnect's successor on Huawei Cloud: applications with an
// IAM user token or with AK/SK request signing, devices with the MQTT
// secret login.
//
// Applications, IAM token (Config's DomainName, UserName, Password and
// ProjectName): a Provider obtains a token with POST {IAMEndpoint}/v3/auth/tokens,
// a password identity and a project scope. IAM answers the token in the
// X-Subject-Token header and its expiry in token.expires_at; it is valid 24
// hours, and a new token does not invalidate the earlier ones (unlike
// OceanConnect's, which is why no LastTokenOnly is declared). Every IoTDA
// call carries it as X-Auth-Token; wrapped in an iotauth.Cache and an
// iotauth.Transport, a Provider does this for every request of an
// http.Client and only towards Endpoint.
//
// Applications, AK/SK (Config's AccessKey and SecretKey): no token at all;
// the Transport signs each request (SDK-HMAC-SHA256: the X-Sdk-Date header
// and an Authorization header naming the signed headers), the way Huawei's
// API gateway checks and huaweicloud-sdk-go-v3 signs. Huawei recommends it
// over tokens, "to prevent API calling failures caused by invalid cached
// tokens". Sign signs one request for callers that send requests
// themselves.
//
// Devices (secret authentication): DeviceLogin builds the MQTT CONNECT of a
// device registered with a secret: client id {device_id}_0_1_{YYYYMMDDHH}
// (device type 0, signature type 1: the platform checks the timestamp, the
// UTC hour), user name the device id, password the hex HMAC-SHA256 of the
// secret keyed by that timestamp. The login changes every hour, so
// DeviceSource builds a fresh one for every CONNECT.
package iotda
