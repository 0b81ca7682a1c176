package alisign

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// TimeFormat is the layout of the Timestamp parameter, always in UTC.
const TimeFormat = "2006-01-02T15:04:05Z"

// The fixed values of the signature parameters.
const (
	Method  = "HMAC-SHA1"
	Version = "1.0"
)

// Encode percent-encodes s as RFC 3986 asks: A-Z a-z 0-9 - _ . ~ are kept,
// every other byte becomes %XX (so a space is %20 and * is %2A).
func Encode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// Canonicalize joins every parameter except Signature as encoded
// name=value pairs, sorted by name, separated by &. A parameter given more
// than once is signed with its first value, as it is read on the server.
func Canonicalize(params url.Values) string {
	names := make([]string, 0, len(params))
	for name, vs := range params {
		if name != "Signature" && len(vs) > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, name := range names {
		pairs[i] = Encode(name) + "=" + Encode(params[name][0])
	}
	return strings.Join(pairs, "&")
}

// StringToSign is METHOD&%2F&Encode(Canonicalize(params)).
func StringToSign(method string, params url.Values) string {
	return strings.ToUpper(method) + "&" + Encode("/") + "&" + Encode(Canonicalize(params))
}

// Sign returns the Signature parameter for a request: Base64 of the
// HMAC-SHA1 of its StringToSign keyed with the AccessKey secret and "&".
func Sign(method string, params url.Values, accessKeySecret string) string {
	return HMACSHA1(accessKeySecret+"&", StringToSign(method, params))
}

// Verify reports whether params carry the right Signature for the method
// and secret, comparing in constant time.
func Verify(method string, params url.Values, accessKeySecret string) bool {
	got := params.Get("Signature")
	want := Sign(method, params, accessKeySecret)
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

// HMACSHA1 returns Base64(HMAC-SHA1(key, data)): the request signature and
// the MQTT passwords of the device-credential and signature modes.
func HMACSHA1(key, data string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Nonce returns a random UUID (version 4), for SignatureNonce and for
// request ids.
func Nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
