// Package alimqtt authenticates against Alibaba Cloud MQTT (ApsaraMQ for
// MQTT, "onsmqtt"): it signs the platform's OpenAPI calls with an AccessKey,
// manages one-device-one-secret device credentials, applies for tokens, and
// derives the MQTT login (username and password) of each authentication
// mode.
//
// Three modes give an MQTT client its login:
//
//   - device credential: each device has its own DeviceAccessKeyId and
//     secret, registered once with RegisterDeviceCredential;
//     (*Provider).DeviceCredential registers it if absent, and
//     (*DeviceCredential).MQTTLogin derives the login;
//   - signature: the account's AccessKey signs the client id,
//     (*Provider).SignatureLogin;
//   - token: the server applies for a token limited to some topics and
//     actions and hands it to the device, (*Provider).TokenSource and
//     (*Provider).TokenLogin; wrap the source in iotauth.NewCache to renew the
//     token ahead of its ExpireTime.
//
// For MQTT clients that reconnect and must renew tokens on a live
// connection, SignatureSource, DeviceCredentialSource and TokenMQTTSource
// give an iotauth.MQTTSource for the pahomqtt and autopahomqtt adapters.
//
// Inputs the platform refuses are refused before the call, with the
// platform's rule in the error: a ClientId that is not GroupID@@@DeviceID
// of at most 64 characters with a Group ID starting GID_ or GID-, a token
// for less than 60 seconds or more than 100 resources. ApplyToken sends
// its resources sorted, as the platform wants, and asks for at most 30
// days, which is what the platform grants whatever it is asked for.
//
// OpenAPI calls are signed with Alibaba Cloud's RPC signature 1.0
// (HMAC-SHA1) with a fresh nonce and timestamp each, and failures are
// *iotauth.Error values that keep the platform's code and RequestId.
package alimqtt
