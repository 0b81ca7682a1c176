package alimqtt

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
)

// FuzzDecodeTokenStatus: any QueryToken answer says true or false, or is a
// typed error.
func FuzzDecodeTokenStatus(f *testing.F) {
	c := fuzzClient()
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := c.decodeTokenStatus(fuzzResponse("QueryToken", 200, body))
		if err != nil {
			requireTyped(t, err)
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
		// The user name, client id and host are exactly the ids above, so
		// the secret can show in them only where the caller put it.
		read := &iotauth.Token{AccessToken: token, Scope: ActionRead}
		write := &iotauth.Token{AccessToken: token + "w", Scope: ActionWrite}
		tl := TokenLogin(keyID, instance, clientID, read, write, nil)
		want := "R|" + token + "|W|" + token + "w"
		if token == "" { // a token without an access token is left out
			want = "W|w"
		}
		if tl.Username != "Token|"+keyID+"|"+instance || string(tl.Password) != want {
			t.Fatalf("token login %q %q", tl.Username, string(tl.Password))
		}
		if string(TokenLogin(keyID, instance, clientID, nil).Password) != "" {
			t.Fatalf("a nil token gives a password")
		}
	})
}

// FuzzClientID: an accepted client id is of the documented form, whatever
// the input; a refused one is an ErrBadRequest that does not quote it.
func FuzzClientID(f *testing.F) {
	f.Fuzz(func(t *testing.T, id string) {
		err := checkClientID("GetDeviceCredential", id)
		if err != nil {
			requireTyped(t, err)
			if strings.Contains(err.Error(), id) && !strings.Contains(checkClientID("GetDeviceCredential", "").Error(), id) {
				t.Fatalf("the error quotes the id")
			}
			return
		}
		group, device, ok := strings.Cut(id, "@@@")
		if !ok || len(id) > maxClientID || !strings.HasPrefix(group, "GID") || device == "" ||
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
