package benchmarks

import (
	"net/http"
	"testing"

	"golang.org/x/oauth2"

	"github.com/iotauth/iotauth"
)

// nopBase answers every request at once, so the benchmark measures only
// what each transport adds.
type nopBase struct{ resp *http.Response }

func (n nopBase) RoundTrip(*http.Request) (*http.Response, error) { return n.resp, nil }

// minimalTransport is the cheapest wrapper that keeps the RoundTripper
// contract: a shallow copy of the request with its own header map and one
// prebuilt header value. It is the floor iotauth's Transport is held to.
type minimalTransport struct {
	base  http.RoundTripper
	value []string
}

func (m minimalTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := new(http.Request)
	*r = *req
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h["Authorization"] = m.value
	r.Header = h
	return m.base.RoundTrip(r)
}

// BenchmarkTransportRoundTrip sends the same request, with two headers of
// its own as a client usually sets, through each transport.
func BenchmarkTransportRoundTrip(b *testing.B) {
	base := nopBase{resp: &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}}
	req, err := http.NewRequest(http.MethodGet, "https://platform.example:8743/iocm/app/dm/v1.4.0/devices", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench/1")
	run := func(b *testing.B, rt http.RoundTripper) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("impl=iotauth", func(b *testing.B) {
		run(b, iotauth.NewTransport(iotauthCache(b), base))
	})
	b.Run("impl=oauth2", func(b *testing.B) {
		run(b, &oauth2.Transport{Source: oauth2Cache(b), Base: base})
	})
	b.Run("impl=minimal", func(b *testing.B) {
		run(b, minimalTransport{base: base, value: []string{"Bearer tok"}})
	})
}
