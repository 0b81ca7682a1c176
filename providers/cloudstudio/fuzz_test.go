package cloudstudio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// FuzzParseDateTime checks that the date structure parser never panics and
// either refuses a structure or returns the UTC moment whose fields it
// names. Seeds: testdata/fuzz/FuzzParseDateTime, from the document.
func FuzzParseDateTime(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var d *dateTime
		if json.Unmarshal(data, &d) != nil {
			return
		}
		got, why := d.utc()
		if why != "" {
			if !got.IsZero() {
				t.Fatalf("refused (%s) but returned %v", why, got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("not UTC: %v", got.Location())
		}
		if int64(got.Year()) != d.Date.Year.V || int64(got.Month()) != d.Date.Month.V || int64(got.Day()) != d.Date.Day.V {
			t.Fatalf("date %v does not match the fields %+v", got, *d.Date)
		}
		if d.Time != nil && (int64(got.Hour()) != d.Time.Hour.V || int64(got.Minute()) != d.Time.Minute.V ||
			int64(got.Second()) != d.Time.Second.V || int64(got.Nanosecond()/1e6) != d.Time.Millisecond.V) {
			t.Fatalf("time %v does not match the fields %+v", got, *d.Time)
		}
	})
}

// FuzzParseCreateResponse checks that the creation answer parser never
// panics and returns either a typed error or a usable token. Seeds:
// testdata/fuzz/FuzzParseCreateResponse, from the document.
func FuzzParseCreateResponse(f *testing.F) {
	c := httpc.New(platform, nil)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res := &httpc.Response{Op: opCreate, Status: status, Header: http.Header{}, Body: body}
		tok, err := parseCreate(c, res)
		if err != nil {
			var e *iotauth.Error
			if !errors.As(err, &e) || e.Kind == nil {
				t.Fatalf("untyped error: %v", err)
			}
			if tok != nil {
				t.Fatalf("a token with an error")
			}
			return
		}
		if tok == nil || tok.AccessToken == "" || tok.Type() != "Bearer" {
			t.Fatalf("nil error with an unusable token: %v", tok)
		}
		if id, err := strconv.ParseInt(tok.ID, 10, 64); err != nil || id <= 0 {
			t.Fatalf("token id %q", tok.ID)
		}
		if !tok.Expiry.After(tok.IssuedAt) || tok.IssuedAt.Location() != time.UTC || tok.Expiry.Location() != time.UTC {
			t.Fatalf("bad times: issued %v, expiry %v", tok.IssuedAt, tok.Expiry)
		}
	})
}
