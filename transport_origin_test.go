package iotauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// recordingBase answers every request and records the Authorization it carried.
func recordingBase(seen *atomic.Value) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Store(r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
}

func TestTransport_Origin_HTTPSDeclaredSourceNeverSendsOverHTTP(t *testing.T) {
	var seen atomic.Value
	src := &boundSource{countingSource{life: time.Hour}, []string{"https://iot.example.com:8743"}}
	tr := iotauth.NewTransport(iotauth.NewCache(src), recordingBase(&seen))
	assertAuthorizations(t, tr, &seen, map[string]string{
		"https://iot.example.com:8743/x": "Bearer tok-1",
		"http://iot.example.com:8743/x":  "",
		"https://iot.example.com/x":      "",
		"https://iot.example.com:9999/x": "",
	})
}

func TestTransport_Origin_UndeclaredSource_HTTPSOrLoopbackOnlyUnlessInsecure(t *testing.T) {
	var seen atomic.Value
	src := iotauth.NewCache(&countingSource{life: time.Hour})
	cases := map[string]string{
		"https://api.example.com/x": "Bearer tok-1",
		"http://api.example.com/x":  "",
		"http://127.0.0.1:8080/x":   "Bearer tok-1",
		"http://[::1]:8080/x":       "Bearer tok-1",
		"http://localhost:8080/x":   "Bearer tok-1",
		"http://LOCALHOST:8080/x":   "Bearer tok-1",
		// Go resolves names under .localhost through DNS: not loopback.
		"http://app.localhost:8080/x":    "",
		"http://localhost.example.com/x": "",
		"http://127.0.0.1.example.com/x": "",
	}
	assertAuthorizations(t, iotauth.NewTransport(src, recordingBase(&seen)), &seen, cases)
	insecure := iotauth.NewTransport(src, recordingBase(&seen), iotauth.WithInsecureHTTP())
	req, _ := http.NewRequest(http.MethodGet, "http://api.example.com/x", nil)
	resp, err := insecure.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer tok-1", seen.Load(), "WithInsecureHTTP")
}

func TestTransport_Origin_RedirectToTheSameHostOverHTTPGetsNoCredentials(t *testing.T) {
	// A TLS server that redirects to plain http on another port of the same
	// host: the hop is checked again and loses its credentials.
	var plainAuth atomic.Value
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainAuth.Store(r.Header.Get("Authorization"))
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/landing", http.StatusTemporaryRedirect)
	}))
	defer secure.Close()
	src := &boundSource{countingSource{life: time.Hour}, []string{secure.URL}}
	client := secure.Client()
	client.Transport = iotauth.NewTransport(iotauth.NewCache(src), client.Transport)
	resp, err := client.Get(secure.URL + "/start")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "", plainAuth.Load(), "credentials followed a redirect to http")
	assert.True(t, strings.HasPrefix(plain.URL, "http://127.0.0.1"))
}

func TestTransport_Printing_RevealsOnlyThePlatform(t *testing.T) {
	c := iotauth.NewCache(&boundSource{countingSource{life: time.Hour}, []string{"https://a.example"}})
	tr := iotauth.NewTransport(c, nil)
	for _, s := range []string{sprint("%v", c), sprint("%+v", c), sprint("%#v", c), sprint("%v", tr), sprint("%#v", tr)} {
		assert.NotContains(t, s, "tok-")
		assert.Contains(t, s, "bound")
	}
}

func sprint(format string, v any) string { return fmt.Sprintf(format, v) }
