package tokencodec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/iotauth/iotauth"
)

// MinKeyLen is the shortest encryption key accepted, in bytes.
const MinKeyLen = 16

const (
	version    = 1
	modeClear  = 0
	modeAESGCM = 1
	headerLen  = 5
	nonceLen   = 12

	hkdfSalt = "iotauth tokencodec"
	hkdfInfo = "iotauth token at rest v1 aes-256-gcm"
)

var magic = []byte("IAT")

// The errors of a record that does not decode, iotauth's (see
// iotauth.ErrCorrupt), so that the Cache takes such a record for a miss.
var (
	ErrCorrupt  = iotauth.ErrCorrupt
	ErrWrongKey = iotauth.ErrWrongKey
)

// Codec encodes and decodes tokens, sealing them when it has a key. A Codec
// is safe for concurrent use.
type Codec struct {
	aead cipher.AEAD // nil: tokens are stored in clear
}

// New returns a Codec that seals tokens with a key derived from key, or
// stores them in clear when key is empty. A key shorter than MinKeyLen bytes
// is refused.
func New(key iotauth.Secret) (*Codec, error) {
	if key.IsZero() {
		return &Codec{}, nil
	}
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("iotauth: token encryption key must be at least %d bytes", MinKeyLen)
	}
	k, err := hkdf.Key(sha256.New, []byte(key), []byte(hkdfSalt), hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("iotauth: deriving the token encryption key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("iotauth: token encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("iotauth: token encryption key: %w", err)
	}
	return &Codec{aead: aead}, nil
}

// Encrypted reports whether the codec seals the tokens it encodes.
func (c *Codec) Encrypted() bool { return c.aead != nil }

// record is a token's fields at rest. Field names are part of the format.
type record struct {
	AccessToken  string            `json:"access_token"`
	TokenType    string            `json:"token_type,omitempty"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	IssuedAt     time.Time         `json:"issued_at,omitzero"`
	Scope        string            `json:"scope,omitempty"`
	ID           string            `json:"id,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"`
}

// Encode returns t's bytes at rest under the store key name. It refuses a
// nil token or one without an access token. Errors never hold t's secrets.
func (c *Codec) Encode(name string, t *iotauth.Token) ([]byte, error) {
	if t == nil || t.AccessToken == "" {
		return nil, errors.New("iotauth: cannot store a token without an access token")
	}
	body, err := json.Marshal(record{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
		IssuedAt:     t.IssuedAt,
		Scope:        t.Scope,
		ID:           t.ID,
		Extra:        t.Extra,
	})
	if err != nil {
		// Only the times can fail (a year outside 0–9999); the error
		// names the field, not the token.
		return nil, errors.New("iotauth: cannot store a token whose times are out of range")
	}
	if c.aead == nil {
		return append(header(modeClear), body...), nil
	}
	out := make([]byte, headerLen+nonceLen, headerLen+nonceLen+len(body)+c.aead.Overhead())
	copy(out, header(modeAESGCM))
	if _, err := rand.Read(out[headerLen:]); err != nil {
		return nil, fmt.Errorf("iotauth: token encryption nonce: %w", err)
	}
	return c.aead.Seal(out, out[headerLen:], body, additionalData(out[:headerLen], name)), nil
}

// Decode reads a token encoded by Encode under the same store key name. It
// returns ErrCorrupt or ErrWrongKey (wrapped), never a partial token.
func (c *Codec) Decode(name string, b []byte) (*iotauth.Token, error) {
	if len(b) < headerLen || !bytes.Equal(b[:len(magic)], magic) {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	if b[3] != version {
		return nil, fmt.Errorf("%w: format version %d", ErrCorrupt, b[3])
	}
	body := b[headerLen:]
	switch b[4] {
	case modeClear:
		if c.aead != nil {
			return nil, fmt.Errorf("%w: token is stored in clear", ErrWrongKey)
		}
	case modeAESGCM:
		if c.aead == nil {
			return nil, fmt.Errorf("%w: token is encrypted and no key is configured", ErrWrongKey)
		}
		if len(body) < nonceLen+c.aead.Overhead() {
			return nil, fmt.Errorf("%w: truncated", ErrCorrupt)
		}
		var err error
		body, err = c.aead.Open(nil, body[:nonceLen], body[nonceLen:], additionalData(b[:headerLen], name))
		if err != nil {
			return nil, fmt.Errorf("%w: authentication failed", ErrWrongKey)
		}
	default:
		return nil, fmt.Errorf("%w: unknown mode %d", ErrCorrupt, b[4])
	}
	var r record
	if err := json.Unmarshal(body, &r); err != nil {
		// The JSON error may quote the body, which holds the token: not
		// wrapped.
		return nil, fmt.Errorf("%w: bad JSON", ErrCorrupt)
	}
	if r.AccessToken == "" {
		return nil, fmt.Errorf("%w: missing access token", ErrCorrupt)
	}
	return &iotauth.Token{
		AccessToken:  r.AccessToken,
		TokenType:    r.TokenType,
		RefreshToken: r.RefreshToken,
		Expiry:       r.Expiry,
		IssuedAt:     r.IssuedAt,
		Scope:        r.Scope,
		ID:           r.ID,
		Extra:        r.Extra,
	}, nil
}

func header(mode byte) []byte { return append(append([]byte{}, magic...), version, mode) }

func additionalData(hdr []byte, name string) []byte {
	return append(append([]byte{}, hdr...), name...)
}

// Clone returns a copy of t that shares nothing mutable with it, so a store
// never hands out or keeps a token its caller can still change.
func Clone(t *iotauth.Token) *iotauth.Token {
	c := *t
	c.Extra = maps.Clone(t.Extra)
	return &c
}
