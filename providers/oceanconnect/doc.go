// Package oceanconnect authenticates applications against Huawei
// OceanConnect (the IoT platform's northbound API, https://host:8743).
//
// A Provider logs in with an application's appId and secret
// (POST /iocm/app/sec/v1.1.0/login), renews the token with its refresh token
// (POST /iocm/app/sec/v1.1.0/refreshToken) and logs out on Close. Every other
// call to the platform carries "app_key: <appId>" and
// "Authorization: Bearer <accessToken>", which Authorize sets; wrapped in an
// iotauth.Cache and an iotauth.Transport, a Provider does this for every
// request of an http.Client.
//
// The platform keeps only the last token it issued valid: a login or a
// refresh anywhere invalidates the token before it. Share one Provider,
// through one iotauth.Cache, per application, and use an iotauth.Store when
// several processes use the same application.
//
// The platform usually runs its own certificate authority and often wants
// two-way TLS: Config takes a CA bundle and a client certificate, as a PEM
// pair or a PKCS#12 file.
package oceanconnect
