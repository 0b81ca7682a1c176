package store

import "github.com/iotauth/iotauth/internal/tokencodec"

var (
	// ErrCorrupt is returned by a Load whose stored token cannot be read:
	// truncated, of an unknown format or without an access token. File and
	// redisstore return it; saving a new token replaces the bad one.
	ErrCorrupt = tokencodec.ErrCorrupt
	// ErrWrongKey is returned by a Load whose stored token is encrypted
	// under another key, encrypted while no key is configured, or in clear
	// while a key is configured.
	ErrWrongKey = tokencodec.ErrWrongKey
)
