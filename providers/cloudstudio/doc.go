// Package cloudstudio is the iotauth provider for Cloud Studio
// (gear.cloud.studio) persistent access tokens.
//
// Cloud Studio issues long-lived tokens (until 2099-01-01 unless an
// expiration is asked for) through CreateClientAccessTokenAllIntegrations,
// which takes the account's e-mail and password, and deletes them through
// DeleteClientAccessToken. The Provider is protocol only: Token creates a
// token (with a description of its own, since the platform refuses two
// consecutive creations with the same one), Refresh rotates one (create the
// new, then delete the old) and Revoke deletes one. When to do which is the
// Cache's job:
//
//	p, _ := cloudstudio.New(cloudstudio.Config{Email: e, Password: pw, ClientID: 79, Description: "billing"})
//	cache := iotauth.NewCache(p, iotauth.WithStore(store)) // reuse the token across restarts
//	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
//
// Three consecutive bad logins lock the account behind a captcha; the Cache
// latches a refused login (iotauth.WithHoldOff), so it never makes the
// second. Only the documented refusals are latched; an answer the
// provider's error table does not know is transient.
//
// Service calls (/services/…/*.svc/…, such as
// DeviceIntegrationService.svc/UpdateDeviceGeolocation) take the token in
// their JSON body as "accessToken": Authorize writes it there. The HTTP API
// (/api/v2/…) takes it in the "Authorization: Bearer" header, or the
// accessToken query parameter (Config.QueryToken). A rejected token is
// answered with HTTP 500 and FaultCode 8001, which TokenRejected
// recognizes.
package cloudstudio
