// Package tokencodec is the one encoding of an iotauth.Token at rest, shared
// by the File and Redis stores so that a token written by one version of
// iotauth is read by the next.
//
// An encoded token starts with a 5-byte header: the magic "IAT", the format
// version (1) and the mode (0: JSON in clear, 1: JSON sealed with
// AES-256-GCM). A sealed token continues with a 12-byte random nonce and the
// ciphertext; the header and the token's store key are authenticated with
// it, so a sealed token copied under another key does not decode.
//
// The AES key is derived from the user's key (any iotauth.Secret of at least
// MinKeyLen bytes) with HKDF-SHA256, so a passphrase-like secret and a random
// one are both usable, and the same secret gives the same key on every host.
//
// Its place: internal to the repository; store (File) and the
// store/redisstore module both encode with it, so their tokens are read the
// same way by every later version.
package tokencodec
