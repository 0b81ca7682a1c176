package store

import "github.com/iotauth/iotauth"

var (
	// ErrCorrupt is returned by a Load whose stored token cannot be read:
	// truncated, of an unknown format or without an access token. File and
	// redisstore return it; saving a new token replaces the bad one. It is
	// iotauth.ErrCorrupt.
	ErrCorrupt = iotauth.ErrCorrupt
	// ErrWrongKey is returned by a Load whose stored token is encrypted
	// under another key, encrypted while no key is configured, or in clear
	// while a key is configured. It is iotauth.ErrWrongKey.
	ErrWrongKey = iotauth.ErrWrongKey
)
