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

func BenchmarkTransportRoundTrip(b *testing.B) {
	base := nopBase{resp: &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}}
	req, err := http.NewRequest(http.MethodGet, "https://platform.example:8743/iocm/app/dm/v1.4.0/devices", nil)
	if err != nil {
		b.Fatal(err)
	}
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
}
