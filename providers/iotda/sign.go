package iotda

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/hwsign"
)

// Sign signs req with an access key as Huawei Cloud's API gateway checks it
// ("API Request Signing Guide", SDK-HMAC-SHA256), at the time at: it sets
// X-Sdk-Date and Authorization, and, for a body whose Content-Type is not
// JSON, X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD, exactly as
// huaweicloud-sdk-go-v3's signer does.
//
// The signed headers are host (the host the request is sent to) and the
// request's own headers but Content-Type, names with an underscore and
// those the Go client sends from the request's fields (Content-Length,
// Transfer-Encoding, Trailer). Headers added after Sign are not signed. The
// body is hashed from GetBody when req has one; otherwise it is read and
// put back, with a GetBody.
//
// req's header map is modified. A nil request, an access key outside its
// form or an empty secret key is an iotauth.ErrBadRequest.
func Sign(req *http.Request, accessKey string, secretKey iotauth.Secret, at time.Time) error {
	switch {
	case req == nil || req.URL == nil:
		return httpc.Refuse(platform, "sign", "no request to sign")
	case !accessKeyForm.MatchString(accessKey):
		return httpc.Refuse(platform, "sign", "the access key is not an access key id (letters and digits)")
	case secretKey.IsZero():
		return httpc.Refuse(platform, "sign", "no secret key")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Del("Authorization")
	if ct := req.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "application/json") && !strings.Contains(ct, "application/bson") {
		req.Header.Set(hwsign.ContentHashHeader, hwsign.UnsignedPayload)
	}
	hash := req.Header.Get(hwsign.ContentHashHeader)
	if hash == "" {
		var err error
		if hash, err = bodyHash(req); err != nil {
			e := httpc.Refuse(platform, "sign", "the request body cannot be read")
			e.Err = err
			return e
		}
	}
	date := at.UTC().Format(hwsign.DateFormat)
	req.Header.Set(hwsign.DateHeader, date)
	signed := hwsign.SignedHeaders(req.Header)
	cr := hwsign.CanonicalRequest(method(req), req.URL, requestHost(req), req.Header, signed, hash)
	req.Header.Set("Authorization", hwsign.Authorization(accessKey, signed, hwsign.Signature(string(secretKey), date, cr)))
	return nil
}

// method is req's method as it is sent: GET when empty.
func method(req *http.Request) string {
	if req.Method == "" {
		return http.MethodGet
	}
	return req.Method
}

// requestHost is the Host header the Go client sends for req.
func requestHost(req *http.Request) string {
	h := req.Host
	if h == "" {
		h = req.URL.Host
	}
	return strings.TrimSuffix(h, ":")
}

// bodyHash is the hex SHA-256 of req's body.
func bodyHash(req *http.Request) (string, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return hwsign.HexSHA256(nil), nil
	}
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return "", err
		}
		defer b.Close()
		data, err := io.ReadAll(b)
		if err != nil {
			return "", err
		}
		return hwsign.HexSHA256(data), nil
	}
	data, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return hwsign.HexSHA256(data), nil
}
