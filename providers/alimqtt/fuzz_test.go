package alimqtt

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/kindtest"
)

// Seeds are in testdata/fuzz/<FuzzName>/, taken from the platform's
// documented answers.

func fuzzClient() *Provider {
	c, err := New(Config{RegionID: "cn-hangzhou", AccessKeyID: "id", AccessKeySecret: "s", InstanceID: "post-cn-0pp12gl0000"})
	if err != nil {
		panic(err)
	}
	return c
}

func fuzzResponse(op string, status int, body []byte) *httpc.Response {
	return &httpc.Response{Op: op, Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}

// FuzzDecodeCredential: any body gives a complete credential with sane
// times, or a typed error.
func FuzzDecodeCredential(f *testing.F) {
	c := fuzzClient()
	f.Fuzz(func(t *testing.T, body []byte) {
		cred, err := parseCredential(c.http, fuzzResponse("GetDeviceCredential", 200, body), "GID_test@@@test", c.cfg.InstanceID, c.broker())
		if err != nil {
			kindtest.RequireTyped(t, err)
			if cred != nil {
				t.Fatal("credential with an error")
			}
			return
		}
		if cred == nil || cred.DeviceAccessKeyID == "" || cred.DeviceAccessKeySecret.IsZero() ||
			cred.ClientID != "GID_test@@@test" || cred.InstanceID == "" {
			t.Fatalf("incomplete credential without an error: %+v", cred)
		}
		for _, tm := range []time.Time{cred.CreateTime, cred.UpdateTime} {
			if !tm.IsZero() && tm.UnixMilli() < 0 {
				t.Fatal("negative time accepted")
			}
		}
		_ = cred.MQTTLogin()
	})
}

// FuzzDecodeToken: an ApplyToken answer gives a token or a typed error.
func FuzzDecodeToken(f *testing.F) {
	c := fuzzClient()
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := parseToken(c.http, fuzzResponse("ApplyToken", 200, body))
		if err != nil {
			kindtest.RequireTyped(t, err)
			return
		}
		if tok == "" {
			t.Fatal("empty token without an error")
		}
		if _, err := parseTokenStatus(c.http, fuzzResponse("QueryToken", 200, body)); err != nil {
			kindtest.RequireTyped(t, err)
		}
	})
}

// FuzzErrorBody: any error answer, JSON or not, gives a typed error that
// keeps the platform's code.
func FuzzErrorBody(f *testing.F) {
	c := fuzzClient()
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			status = 400 + (status&0x7fffffff)%200
		}
		err := fail(c.http, fuzzResponse("RegisterDeviceCredential", status, body))
		kindtest.RequireTyped(t, err)
	})
}

func TestErrorTable_EveryRowCitesItsDocument(t *testing.T) {
	for _, r := range errorTable {
		if r.Doc == "" || r.Kind == nil {
			t.Errorf("row %s: no document or no kind", r.Code)
		}
		if strings.Contains(r.Doc, ".txt") || !strings.Contains(r.Doc, ", ") {
			t.Errorf("row %s: cite a document's title and section, not a file: %s", r.Code, r.Doc)
		}
	}
}
