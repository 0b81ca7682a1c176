// Package interop runs clients that iotauth did not write against the
// iotauthtest emulators, so that the emulators stay as strict as the
// platforms and no stricter: what an independent client sends, an emulator
// must accept, and what it refuses, the emulator must refuse the way the
// platform documents.
//
// It is a module of its own, so that the clients it runs (Alibaba Cloud's
// and Huawei Cloud's official Go SDKs) are never dependencies of iotauth
// itself.
//
//   - Alibaba Cloud MQTT: github.com/aliyun/alibaba-cloud-sdk-go/services/onsmqtt
//     makes the seven calls iotauth's alimqtt provider makes
//     (Register/Get/Refresh/UnRegisterDeviceCredential, Apply/Query/RevokeToken)
//     and one with a wrong secret.
//   - Huawei OceanConnect: the community client
//     github.com/dualinventive/go-oceanconnect does not resolve from the Go
//     module proxy (403, "not available"), so the documents' own example
//     requests are replayed byte for byte instead.
//   - Cloud Studio: the documents' example service call
//     (UpdateDeviceGeolocation, token in the JSON body) is replayed as
//     written.
//   - Huawei IAM and IoTDA: github.com/huaweicloud/huaweicloud-sdk-go-v3
//     obtains a token from the IAM emulator (iam/v3) and signs requests the
//     IoTDA emulator checks (core/auth/signer); iotda.Sign's Authorization
//     equals the SDK signer's on the same requests and date.
package interop
