package iotauth

import (
	"fmt"
	"log/slog"
)

// redacted is what every secret prints as.
const redacted = "[REDACTED]"

// Secret holds a credential such as a password, an app secret or an access
// key secret. It prints as [REDACTED] through fmt (every verb), encoding/json,
// encoding.TextMarshaler and log/slog, so a Config or an error that carries a
// Secret can be logged without leaking it. Convert with string(s) where the
// value itself is needed, as when signing a request.
type Secret string

// String returns [REDACTED].
func (Secret) String() string { return redacted }

// GoString returns [REDACTED], so %#v does not reveal the value either.
func (Secret) GoString() string { return redacted }

// Format prints [REDACTED] for every verb, including %q, %x and %v.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes the secret as the string "[REDACTED]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as [REDACTED] for text encoders (YAML, TOML, XML attributes).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print [REDACTED].
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// IsZero reports whether the secret is empty, for "is it configured?" checks
// that must not look at the value.
func (s Secret) IsZero() bool { return s == "" }
