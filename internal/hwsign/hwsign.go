// Package hwsign is Huawei Cloud's AK/SK request signature (SDK-HMAC-SHA256),
// from the "API Request Signing Guide" (devg-apisign): the canonical
// request, the string to sign and the signature. The iotda provider signs
// with it and the IoTDA emulator checks with it; interop/ checks both
// against huaweicloud-sdk-go-v3's signer.
package hwsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The signature's algorithm, headers and date format.
const (
	Algorithm         = "SDK-HMAC-SHA256"
	DateHeader        = "X-Sdk-Date"
	ContentHashHeader = "X-Sdk-Content-Sha256"
	UnsignedPayload   = "UNSIGNED-PAYLOAD"
	DateFormat        = "20060102T150405Z"
)

// unsigned are the headers a signer leaves out although they are in the
// header map: Go's client sends Content-Length, Transfer-Encoding, Trailer
// and Host from the request's fields, and Authorization carries the
// signature. host is signed from the request's host instead.
var unsigned = map[string]bool{"content-length": true, "transfer-encoding": true, "trailer": true, "host": true, "authorization": true}

// SignedHeaders returns the names a signer signs in h, lower-case and
// sorted: host, and every header but Content-Type, names with an
// underscore, the unsigned ones, and an empty User-Agent (which Go's client
// does not send: httputil.ReverseProxy sets one to keep Go's own out).
func SignedHeaders(h http.Header) []string {
	seen := map[string]bool{"host": true}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(k, "_") || unsigned[lk] ||
			(lk == "user-agent" && strings.Join(vs, "") == "") {
			continue
		}
		seen[lk] = true
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// CanonicalRequest is the canonical form of a request: method, escaped
// path ending in "/", sorted query, the signed headers' "name:value" lines
// (host from host, the others from h, values trimmed and sorted), the
// signed names joined by ";", and the payload hash.
func CanonicalRequest(method string, u *url.URL, host string, h http.Header, signed []string, payloadHash string) string {
	var b strings.Builder
	for _, name := range signed {
		var vs []string
		if name == "host" {
			vs = []string{host}
		} else {
			for k, v := range h {
				if strings.ToLower(k) == name {
					vs = append(vs, v...)
				}
			}
			sort.Strings(vs)
		}
		for _, v := range vs {
			b.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	return strings.Join([]string{method, canonicalURI(u), canonicalQuery(u), b.String(),
		strings.Join(signed, ";"), payloadHash}, "\n")
}

// Signature is the hex HMAC-SHA256, keyed by secret, of the string to sign
// of a canonical request at date (in DateFormat).
func Signature(secret, date, canonicalRequest string) string {
	sts := Algorithm + "\n" + date + "\n" + HexSHA256([]byte(canonicalRequest))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(sts))
	return hex.EncodeToString(mac.Sum(nil))
}

// Authorization is the Authorization header value of a signature.
func Authorization(accessKey string, signed []string, signature string) string {
	return Algorithm + " Access=" + accessKey + ", SignedHeaders=" + strings.Join(signed, ";") + ", Signature=" + signature
}

// HexSHA256 is the hex SHA-256 of b, the payload hash of a signed body.
func HexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonicalURI is the path with each segment escaped, ending in "/".
func canonicalURI(u *url.URL) string {
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery is the query sorted by name, then value, each escaped.
func canonicalQuery(u *url.URL) string {
	q := u.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// escape percent-encodes every byte but letters, digits and -._~, in
// upper-case hex.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}
