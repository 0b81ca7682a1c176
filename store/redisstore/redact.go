package redisstore

import (
	"fmt"
	"log/slog"

	"github.com/iotauth/iotauth/internal/redact"
)

// A Store holds the Redis client (with its password) and the key that seals
// tokens in unexported fields, which fmt would print by reflection: it
// prints through this description instead.
func (s *Store) describe() redact.Desc {
	return redact.Struct("redisstore.Store", "Prefix", s.prefix, "Channel", s.channel,
		"Encrypted", redact.Bool(s.codec != nil && s.codec.Encrypted()))
}

// String describes the store without its client or key.
func (s *Store) String() string { return s.describe().String() }

// Format prints String for every verb.
func (s *Store) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }

// LogValue makes log/slog print String's fields.
func (s *Store) LogValue() slog.Value { return s.describe().LogValue() }
