package redacttest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Sentinel is the secret every Row puts in every secret slot of its value.
const Sentinel = "s3ntinel-SECRET-9c41e7"

// Row is one type's entry in a printing table.
type Row struct {
	// Type names the type as Walk does ("iotauth.Cache",
	// "providers/alimqtt.Provider").
	Type string
	// Value builds a value of the type, holding Sentinel wherever it holds
	// a secret (as a password, a key, a token).
	Value func(t *testing.T) any
	// Derived marks values that do not hold Sentinel themselves but are
	// made from something that did, such as an error from a refused call.
	Derived bool
	// Extra marks a row for a type Walk does not report (an unexported
	// implementation, a type whose secret hides in another module's type).
	Extra bool
	// Known, when set, says why the row still leaks: it is skipped with
	// this reason, so that the gap stays visible in every test run.
	Known string
}

// verbs are the fmt verbs every value is printed with.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// Table runs Check on every row, and fails when a type Walk reports has no
// row, or a row names a type Walk does not report and is not Extra.
func Table(t *testing.T, walked []string, rows []Row) {
	t.Helper()
	var named []string
	for _, r := range rows {
		named = append(named, r.Type)
		if !r.Extra && !slices.Contains(walked, r.Type) {
			t.Errorf("row %s: no such exported type holds a secret any more; remove the row or mark it Extra", r.Type)
		}
	}
	for _, w := range walked {
		if !slices.Contains(named, w) {
			t.Errorf("%s holds a secret but has no row in the printing table: add one", w)
		}
	}
	for _, r := range rows {
		t.Run(r.Type, func(t *testing.T) {
			if r.Known != "" {
				t.Skip("known leak: " + r.Known)
			}
			Check(t, r)
		})
	}
}

// Check prints r's value (and a pointer to it, for a value type) every way
// a program may, and fails if Sentinel shows, in clear or encoded.
func Check(t *testing.T, r Row) {
	t.Helper()
	v := r.Value(t)
	if !r.Derived && !holds(reflect.ValueOf(v), map[uintptr]bool{}, 0) {
		t.Fatalf("%s: the value does not hold the sentinel, so this row proves nothing", r.Type)
	}
	values := []any{v}
	if rv := reflect.ValueOf(v); rv.IsValid() && rv.Kind() != reflect.Pointer {
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		values = append(values, p.Interface())
	}
	for _, v := range values {
		for name, out := range Printed(v) {
			if leaks(out) {
				t.Errorf("%s printed with %s shows the secret: %s", r.Type, name, out)
			}
		}
	}
}

// Printed returns v printed every way a program may, by the way's name.
func Printed(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range verbs {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["%v in a struct"] = fmt.Sprintf("%+v", struct{ V any }{v})
	b, err := json.Marshal(v)
	out["encoding/json"] = string(b)
	if err != nil {
		out["encoding/json error"] = err.Error()
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("m", slog.Any("v", v), "arg", v)
		out[name] = buf.String()
	}
	if s, ok := v.(fmt.Stringer); ok {
		out["String"] = s.String()
	}
	if g, ok := v.(fmt.GoStringer); ok {
		out["GoString"] = g.GoString()
	}
	if e, ok := v.(error); ok {
		out["Error"] = e.Error()
	}
	return out
}

// leaks reports whether s shows Sentinel in clear, hex or base64.
func leaks(s string) bool {
	low := strings.ToLower(s)
	return strings.Contains(s, Sentinel) ||
		strings.Contains(low, hex.EncodeToString([]byte(Sentinel))) ||
		strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(Sentinel))[:20])
}

// holds reports whether v reaches a string or []byte holding Sentinel.
func holds(v reflect.Value, seen map[uintptr]bool, depth int) bool {
	if !v.IsValid() || depth > 40 {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return strings.Contains(v.String(), Sentinel)
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return false
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return bytes.Contains(v.Bytes(), []byte(Sentinel))
		}
		if seen[v.Pointer()] && v.Kind() != reflect.Slice {
			return false
		}
		seen[v.Pointer()] = true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return holds(v.Elem(), seen, depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if holds(v.Field(i), seen, depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if holds(v.Index(i), seen, depth+1) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holds(it.Key(), seen, depth+1) || holds(it.Value(), seen, depth+1) {
				return true
			}
		}
	}
	return false
}
