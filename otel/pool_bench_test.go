package iotauthotel_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/iotauth/iotauth"
	iotauthotel "github.com/iotauth/iotauth/otel"
)

// BenchmarkPoolHeapPerTenant reports the heap that n tenants of a Pool hold,
// each with a cached token, keys included, without and with a Recorder
// attached (an SDK MeterProvider and TracerProvider, as a service runs
// them), measured as the benchmarks module's BenchmarkPoolHeapPerTenant.
func BenchmarkPoolHeapPerTenant(b *testing.B) {
	tok := &iotauth.Token{AccessToken: "tok", Expiry: time.Now().Add(24 * time.Hour)}
	shared := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil })
	load := func(context.Context, string) (iotauth.TokenSource, error) { return shared, nil }
	for _, n := range []int{100_000, 1_000_000} {
		for _, impl := range []string{"pool", "pool-otel"} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", impl, n), func(b *testing.B) {
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				tp := sdktrace.NewTracerProvider()
				defer func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) }()
				rec, err := iotauthotel.New(iotauthotel.WithMeterProvider(mp), iotauthotel.WithTracerProvider(tp))
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					var opts []iotauth.PoolOption
					if impl == "pool-otel" {
						opts = append(opts, rec.Pool())
					}
					p := iotauth.NewPool(load, opts...)
					for i := range n {
						if _, err := p.Token(context.Background(), fmt.Sprintf("tenant-%07d", i)); err != nil {
							b.Fatal(err)
						}
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/tenant")
					p.Close()
				}
			})
		}
	}
}
