package alimqtt

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/kindtest"
)

// FuzzDecodeTokenStatus: any QueryToken answer says true or false, or is a
// typed error.
func FuzzDecodeTokenStatus(f *testing.F) {
	c := fuzzClient()
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseTokenStatus(c.http, fuzzResponse("QueryToken", 200, body))
		if err != nil {
			kindtest.RequireTyped(t, err)
		}
	})
}

// FuzzMQTTLogin: the three login builders put each id where the document
// says, derive the password from the secret without showing it, and never
// panic. Seeds: the document's client and instance ids.
func FuzzMQTTLogin(f *testing.F) {
	f.Fuzz(func(t *testing.T, keyID, instance, clientID, secret, token string) {
		d := &DeviceCredential{ClientID: clientID, InstanceID: instance, DeviceAccessKeyID: keyID,
			DeviceAccessKeySecret: iotauth.Secret(secret)}
		l := d.MQTTLogin()
		if l.Username != "DeviceCredential|"+keyID+"|"+instance || l.ClientID != clientID {
			t.Fatalf("device credential login %+v", l)
		}
		mac, err := base64.StdEncoding.DecodeString(string(l.Password))
		if err != nil || len(mac) != 20 || string(l.Password) != alisign.HMACSHA1(secret, clientID) {
			t.Fatalf("password is not Base64(HMAC-SHA1(secret, client id))")
		}
		if l.Host != instance+".mqtt.aliyuncs.com" || l.Port != MQTTPort || l.TLSPort != MQTTTLSPort {
			t.Fatalf("broker %s:%d/%d", l.Host, l.Port, l.TLSPort)
		}
		// A token login either is refused as a bad request, before anything
		// is sent and without the token in the error, or puts exactly the
		// ids above where the document says.
		read := &iotauth.Token{AccessToken: token, Scope: ActionRead}
		write := &iotauth.Token{AccessToken: token + "w", Scope: ActionWrite}
		tl, err := TokenLogin(keyID, instance, clientID, read, write)
		idsOK := checkAccount(keyID, instance) == nil && checkClientID(opLogin, clientID) == nil
		switch {
		case err != nil:
			kindtest.RequireTyped(t, err)
			if !errors.Is(err, iotauth.ErrBadRequest) {
				t.Fatalf("a refused login is %v, not a bad request", err)
			}
			if idsOK && token != "" {
				t.Fatalf("valid ids and tokens refused: %v", err)
			}
			if token != "" {
				_, other := TokenLogin(keyID, instance, clientID, &iotauth.Token{AccessToken: "x", Scope: ActionRead},
					&iotauth.Token{AccessToken: "xw", Scope: ActionWrite})
				if other == nil || other.Error() != err.Error() {
					t.Fatalf("the error depends on the token: %v", err)
				}
			}
		case !idsOK || token == "":
			t.Fatalf("a login the broker refuses was built: %q %q", tl.Username, tl.ClientID)
		case tl.Username != "Token|"+keyID+"|"+instance || tl.ClientID != clientID ||
			string(tl.Password) != "R|"+token+"|W|"+token+"w":
			t.Fatalf("token login %q %q", tl.Username, string(tl.Password))
		}
		if _, err := TokenLogin(keyID, instance, clientID, nil); err == nil {
			t.Fatalf("a nil token gives a login")
		}
		if _, err := TokenLogin(keyID, instance, clientID, read, read); err == nil {
			t.Fatalf("two read tokens give a login")
		}
	})
}

// FuzzClientID: an accepted client id is of the documented form, whatever
// the input; a refused one is an ErrBadRequest whose message is one of the
// rules (with at most the id's length in it), never the id.
func FuzzClientID(f *testing.F) {
	rules := map[string]bool{}
	for _, bad := range []string{"", strings.Repeat("d", maxClientID+1), "GID_abcd", "GID_abcd@@@", "XID_abcd@@@d",
		"GID_a@@@d", "GID_abcd@@@d/x"} {
		rules[checkClientID("GetDeviceCredential", bad).Error()] = true
	}
	length := regexp.MustCompile(`has [0-9]+ characters`)
	f.Fuzz(func(t *testing.T, id string) {
		err := checkClientID("GetDeviceCredential", id)
		if err != nil {
			kindtest.RequireTyped(t, err)
			if msg := length.ReplaceAllString(err.Error(), "has 65 characters"); !rules[msg] {
				t.Fatalf("the error is no rule: %v", err)
			}
			return
		}
		group, device, ok := strings.Cut(id, "@@@")
		if !ok || len(id) > maxClientID || len(group) < 7 || !strings.HasPrefix(group, "GID") || device == "" ||
			strings.Contains(device, "@") || strings.ContainsAny(id, "/:,%. \r\n\x00") {
			t.Fatalf("accepted %q", id)
		}
	})
}

// FuzzSign: whatever the parameters, the signed form verifies with the
// AccessKey secret, holds the secret nowhere, and carries the common
// parameters the OpenAPI wants.
func FuzzSign(f *testing.F) {
	const secret = "fuzz-sign-secret-3f9a"
	c, err := New(Config{RegionID: "cn-hangzhou", AccessKeyID: "id", AccessKeySecret: secret, InstanceID: "post-cn-0pp12gl0000"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, action, key, value string) {
		form := c.sign(action, url.Values{key: {value}}, time.Unix(1700000000, 0))
		if !alisign.Verify(http.MethodPost, form, secret) {
			t.Fatalf("the signature does not verify")
		}
		for _, p := range []string{"AccessKeyId", "SignatureNonce", "Timestamp", "Signature", "InstanceId", "Version"} {
			if form.Get(p) == "" {
				t.Fatalf("no %s", p)
			}
		}
		if strings.Contains(action+key+value, secret) {
			return // the input itself holds the secret
		}
		for k, vs := range form {
			for _, v := range vs {
				if strings.Contains(k+v, secret) {
					t.Fatalf("the secret is sent as %s", k)
				}
			}
		}
	})
}
