// Package iotauth authenticates backend services against IoT platforms
// (Huawei OceanConnect, Cloud Studio, Alibaba Cloud MQTT, MXCHIP) and keeps
// their credentials fresh, safe and shared.
//
// A provider under providers/ turns a platform's login API into a
// TokenSource and describes its platform (Describe). NewCache wraps it and
// owns every decision about time: exactly one login in flight per credential,
// refresh ahead of expiry in the background, backoff after failures, a
// hold-off after refused credentials, and tokens shared through a Store (the
// expiry rule is documented at [Skew]). NewTransport wraps an
// http.RoundTripper so that every request to the platform's origin carries
// the right headers, and a request whose token the platform rejects is
// resent once with a fresh token.
//
//	p, _ := oceanconnect.New(oceanconnect.Config{BaseURL: url, AppID: id, Secret: secret})
//	client := &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(p), nil)}
//
// Secrets and tokens print as [REDACTED] everywhere, and errors carry the
// platform's code and request id but never a credential.
package iotauth

import "time"

// Skew is the most a token's life is shortened by, so that it does not expire
// on its way to the platform. It is part of the expiry rule, the one place
// that decides whether a token is fresh, due for refresh or no longer to be
// served; the Cache, store adoption, [Token.Valid], the stores, the command
// line and every provider use it.
//
// A token is judged by the time it has left when it arrives (Expiry less the
// clock now), never by its IssuedAt: a platform's clock may be behind or
// ahead of ours, and a platform may re-serve a token issued long ago.
//
//   - It stops being served Skew before its Expiry, or a tenth of the time it
//     had left when that is less: a token that arrives with 5 s left is
//     served for 4.5 s, not refused.
//   - It becomes due for refresh one refresh window before that. The window
//     is [WithRefreshWindow] or [DefaultRefreshWindow] of the time left (started
//     up to 10% earlier at random, so that a fleet does not refresh in
//     lockstep), and never more than half of the time left.
//   - Whatever times a platform sends, the clock alone never makes the Cache
//     call its source more than once per minimum backoff ([WithBackoff],
//     1 s by default): a token that is already due or dead on arrival is
//     served until its real Expiry while the next call waits its turn.
//
// Examples with the default rule (before the random spread):
//
//	time left on arrival   served until     refreshed from
//	5 s                    4.5 s            2 s
//	60 s                   54 s             44 s
//	1 h                    59 min 50 s      54 min 50 s
//	7 days                 7 d − 10 s       7 d − 5 min 10 s
//	until 2099 (Cloud Studio's default), or year 9999: as for 7 days, 10 s and 5 min before Expiry
//
// A token without an Expiry never expires and is never refreshed by the
// clock; only a rejection ([Cache.Invalidate]) replaces it.
const Skew = 10 * time.Second
