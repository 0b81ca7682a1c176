// Package cloudstudio is the iotauth provider for Cloud Studio
// (gear.cloud.studio) persistent access tokens.
//
// Cloud Studio issues long-lived tokens (until 2099-01-01 unless an
// expiration is asked for) through CreateClientAccessTokenAllIntegrations,
// which takes the account's e-mail and password, and deletes them through
// DeleteClientAccessToken. The Provider reuses a stored token instead of
// creating one per process start, rotates a token that is about to expire
// as create-new, store, delete-old (so there is always a valid one), makes
// every description unique (the platform refuses two consecutive creations
// with the same one), and latches a refused login: three consecutive bad
// logins lock the account behind a captcha, so it never makes the second.
//
// Services take the token in the "Authorization: Bearer" header (the
// default), in the accessToken query parameter (Config.QueryToken), or, for
// the services whose request is a JSON object, in the caller's own body
// from Token's AccessToken. A rejected token is answered with HTTP 500 and
// FaultCode 8001, which TokenRejected recognizes.
package cloudstudio
