// Package redact is the one way iotauth's types print themselves without
// their secrets: a type builds a description with Struct, whose fields are
// already redacted, and its String, Format and LogValue methods print it.
// fmt never calls the methods of unexported fields, so a type holding a
// secret in one must print through here, not through fmt's reflection.
package redact

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// Redacted is what a secret prints as.
const Redacted = "[REDACTED]"

// Field is one field of a description, its value already safe to print.
type Field struct {
	Name  string
	Value string
}

// Desc describes a value without its secrets.
type Desc struct {
	Type   string // such as "oceanconnect.Provider"
	Fields []Field
}

// Struct describes a value of type typ with fields given as name, value
// pairs, whose values must already be safe to print.
func Struct(typ string, pairs ...string) Desc {
	d := Desc{Type: typ, Fields: make([]Field, 0, len(pairs)/2)}
	for i := 0; i+1 < len(pairs); i += 2 {
		d.Fields = append(d.Fields, Field{pairs[i], pairs[i+1]})
	}
	return d
}

// String prints the description as Type{Name: value, ...}.
func (d Desc) String() string {
	var b strings.Builder
	b.WriteString(d.Type)
	b.WriteByte('{')
	for i, f := range d.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// LogValue is the description as a slog group, one attribute per field.
func (d Desc) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(d.Fields))
	for i, f := range d.Fields {
		attrs[i] = slog.String(f.Name, f.Value)
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes the description as an object of its fields.
func (d Desc) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(d.Fields))
	for _, f := range d.Fields {
		m[f.Name] = f.Value
	}
	return json.Marshal(m)
}

// Format writes s for every verb of fmt, quoted for %q, so that no verb
// falls back to printing the value's fields by reflection.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// Secret prints a secret held as a string: Redacted, or "" when it is empty,
// so that a missing secret can be told from a set one.
func Secret(s string) string {
	if s == "" {
		return `""`
	}
	return Redacted
}

// Bytes prints secret key material: Redacted, or "none" when it is empty.
func Bytes(b []byte) string {
	if len(b) == 0 {
		return "none"
	}
	return Redacted
}

// URL prints a URL without what may hold a secret: its user info, query
// and fragment. What does not parse prints as Redacted.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		return u.String() + " " + Redacted
	}
	return s
}

// Bool prints a flag.
func Bool(v bool) string { return strconv.FormatBool(v) }

// Int prints a number.
func Int(v int) string { return strconv.Itoa(v) }
