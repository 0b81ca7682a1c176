// Package mxchip authenticates against the MXCHIP (FogCloud) v3 open API
// and calls its MQTT endpoints.
//
// A Provider turns an account's AccessKey ID and Secret into bearer tokens
// with the client-credentials grant (POST /v3/open_api/token/, one week of
// lifetime). Several tokens may be valid at once. The platform answers
// every call, errors included, with the envelope
//
//	{"meta":{"message":"...","code":0},"data":...}
//
// and reports business errors with HTTP 200: meta.code decides, whatever
// the HTTP status. 10100 (token expired) and 10101 (token error) are
// iotauth.ErrTokenRejected, 10000 (bad parameters) iotauth.ErrBadRequest,
// 10050 (internal error) iotauth.ErrServer. Provider.TokenRejected
// recognises the first two in a response body, so an iotauth.Transport
// refreshes the token and resends the call.
//
// A Client, from Provider.NewClient, makes the typed MQTT calls (create an
// MQTT client, grant and revoke a device permission, list product ids)
// through an iotauth.Transport:
//
//	p, err := mxchip.New(mxchip.Config{ClientID: id, ClientSecret: secret})
//	c := p.NewClient(iotauth.NewCache(p))
//	mqtt, err := c.CreateMQTTClient(ctx, appID)
//	login := mqtt.MQTTLogin() // feed to an MQTT client
package mxchip
