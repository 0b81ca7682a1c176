package httpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

func newDecoder(b []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec
}

// describeJSONError names a decoding failure by position and type, never by
// the offending value, which may be a token.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: %s where %s was expected", te.Field, te.Value, te.Type)
	}
	if strings.Contains(err.Error(), "unexpected EOF") {
		return "truncated"
	}
	return "undecodable"
}

// FlexInt is an integer that platforms send as a number, a numeric string
// ("3600", " 3600 ") or not at all. Set tells a missing or null field from 0.
type FlexInt struct {
	V   int64
	Set bool
}

// UnmarshalJSON accepts a JSON number or a string holding one.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*f = FlexInt{}
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A float such as 3600.0 is accepted when it is whole.
		fv, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || fv != float64(int64(fv)) {
			return &json.UnmarshalTypeError{Value: "non-integer", Type: flexIntType}
		}
		v = int64(fv)
	}
	*f = FlexInt{V: v, Set: true}
	return nil
}

// FlexString is a code that platforms send as a string or as a number
// ("100208" or 100208).
type FlexString string

// UnmarshalJSON accepts a JSON string, number, or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*f = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*f = FlexString(strings.TrimSpace(str))
	default:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return &json.UnmarshalTypeError{Value: "non-scalar", Type: flexStringType}
		}
		*f = FlexString(s)
	}
	return nil
}

var (
	flexIntType    = reflect.TypeFor[int64]()
	flexStringType = reflect.TypeFor[string]()
)
