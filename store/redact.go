package store

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/iotauth/iotauth/internal/redact"
)

// Stores hold tokens (Memory) or the key that seals them (File) in
// unexported fields, which fmt would print by reflection: they print
// through these descriptions instead.

func (m *Memory) describe() redact.Desc {
	m.mu.Lock()
	n := len(m.tokens)
	m.mu.Unlock()
	return redact.Struct("store.Memory", "Tokens", strconv.Itoa(n))
}

// String describes the store by its number of tokens, never their values.
func (m *Memory) String() string { return m.describe().String() }

// Format prints String for every verb.
func (m *Memory) Format(f fmt.State, verb rune) { redact.Format(f, verb, m.String()) }

// LogValue makes log/slog print String's fields.
func (m *Memory) LogValue() slog.Value { return m.describe().LogValue() }

func (s *File) describe() redact.Desc {
	return redact.Struct("store.File", "Dir", s.dir, "Encrypted", redact.Bool(s.codec.Encrypted()))
}

// String describes the store by its directory, never its key.
func (s *File) String() string { return s.describe().String() }

// Format prints String for every verb.
func (s *File) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }

// LogValue makes log/slog print String's fields.
func (s *File) LogValue() slog.Value { return s.describe().LogValue() }
