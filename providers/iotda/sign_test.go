package iotda_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/iotda"
)

// signedClient is an http.Client whose Transport signs every request with
// the emulated access key and secretKey.
func signedClient(t *testing.T, srv *iotauthtest.Server, secretKey iotauth.Secret) *http.Client {
	t.Helper()
	return &http.Client{Transport: iotauth.NewTransport(iotauth.NewCache(keyProvider(t, srv, secretKey)), nil)}
}

// With an access key, the Transport signs each request: no token call is
// made, GET and a JSON POST (its body hashed) are accepted.
func TestSign_Transport_SignsEachRequest_TheEmulatorAccepts(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	hc := signedClient(t, srv, iotauthtest.IoTDASecretKey)

	res, err := hc.Get(devicesURL(srv) + "?limit=10&marker=a%20b")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))

	res, err = hc.Post(devicesURL(srv), "application/json",
		strings.NewReader(`{"product_id":"p1","node_id":"n1","auth_info":{"secret":"s-1234"}}`))
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	assert.Contains(t, string(body), `"device_id":"p1_n1"`)

	assert.Zero(t, srv.IAM.Requests(), "an access key needs no token")
	assert.Zero(t, srv.IoTDA.Rejected())
}

// A body the Transport cannot replay (no GetBody) is read, hashed and sent.
func TestSign_Transport_BodyWithoutGetBody_IsHashedAndSent(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	hc := signedClient(t, srv, iotauthtest.IoTDASecretKey)
	req, err := http.NewRequest(http.MethodPost, devicesURL(srv),
		io.NopCloser(strings.NewReader(`{"product_id":"p2","node_id":"n2","auth_info":{"secret":"s-5678"}}`)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	require.Nil(t, req.GetBody)
	res, err := hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusCreated, res.StatusCode)
}

// An empty User-Agent, which Go's client does not send (a reverse proxy
// sets one), is left out of the signature.
func TestSign_Transport_EmptyUserAgent_IsNotSigned(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodGet, devicesURL(srv), nil)
	require.NoError(t, err)
	req.Header["User-Agent"] = []string{""}
	res, err := signedClient(t, srv, iotauthtest.IoTDASecretKey).Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

// A wrong secret key is refused by the gateway with 401 APIGW.0301; the
// Transport retries once, signed afresh, and returns the refusal.
func TestSign_WrongSecretKey_IsRefused(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	hc := signedClient(t, srv, "not-the-secret-key")
	res, err := hc.Get(devicesURL(srv))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Contains(t, string(body), "APIGW.0301")
	assert.EqualValues(t, 2, srv.IoTDA.Rejected())
}

// What the signature covers cannot be changed after signing: the path, the
// query, a signed header, the body, or the date beyond 15 minutes.
func TestSign_TamperedRequests_AreRefused(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	now := time.Now()
	for _, tc := range []struct {
		name   string
		at     time.Time
		tamper func(r *http.Request)
	}{
		{"untouched", now, func(*http.Request) {}},
		{"query", now, func(r *http.Request) { r.URL.RawQuery = "limit=11" }},
		{"signed header", now, func(r *http.Request) { r.Header.Set("X-Custom", "other") }},
		{"body", now, func(r *http.Request) {
			b := []byte(`{"product_id":"p9","node_id":"n9","auth_info":{"secret":"s"}}`)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}},
		{"date 16 minutes old", now.Add(-16 * time.Minute), func(*http.Request) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"product_id":"p3","node_id":"n3","auth_info":{"secret":"s-3"}}`
			req, err := http.NewRequest(http.MethodPost, devicesURL(srv)+"?limit=10", strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Custom", "value")
			require.NoError(t, iotda.Sign(req, iotauthtest.IoTDAAccessKey, iotauthtest.IoTDASecretKey, tc.at))
			assert.Contains(t, req.Header.Get("Authorization"), "SignedHeaders=host;x-custom;x-sdk-date,")
			tc.tamper(req)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			if tc.name == "untouched" {
				assert.Equal(t, http.StatusCreated, res.StatusCode)
			} else {
				assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
			}
		})
	}
}

// A body that is not JSON is sent with X-Sdk-Content-Sha256:
// UNSIGNED-PAYLOAD, as Huawei's SDK does.
func TestSign_NonJSONBody_IsUnsignedPayload(t *testing.T) {
	req, err := http.NewRequest(http.MethodPut, "https://iotda.example.com/v5/x", strings.NewReader("a=1"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.NoError(t, iotda.Sign(req, "AK1", "sk", time.Now()))
	assert.Equal(t, "UNSIGNED-PAYLOAD", req.Header.Get("X-Sdk-Content-Sha256"))
	assert.Contains(t, req.Header.Get("Authorization"), "SignedHeaders=host;x-sdk-content-sha256;x-sdk-date,")
	b, _ := io.ReadAll(req.Body)
	assert.Equal(t, "a=1", string(b), "the body is left to send")
}

// Bad arguments are refused before anything is signed.
func TestSign_BadArguments_AreBadRequests(t *testing.T) {
	ok, _ := http.NewRequest(http.MethodGet, "https://iotda.example.com/", nil)
	requireKind(t, iotda.Sign(nil, "AK1", "sk", time.Now()), iotauth.ErrBadRequest)
	requireKind(t, iotda.Sign(ok, "AK 1,x", "sk", time.Now()), iotauth.ErrBadRequest)
	requireKind(t, iotda.Sign(ok, "AK1", "", time.Now()), iotauth.ErrBadRequest)
	assert.Empty(t, ok.Header.Get("Authorization"))
}

// The signature goes to Endpoint's origin only: a request to another host
// through the same Transport carries nothing.
func TestSign_Transport_OtherOrigin_GetsNoSignature(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	other := iotauthtest.NewServer()
	t.Cleanup(other.Close)
	hc := signedClient(t, srv, iotauthtest.IoTDASecretKey)
	res, err := hc.Get(devicesURL(other))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, []string{srv.URL}, keyProvider(t, srv, "sk").Describe().Origins)
}
