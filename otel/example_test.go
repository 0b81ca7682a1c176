package iotauthotel_test

import (
	"context"
	"fmt"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/iotauth/iotauth"
	iotauthotel "github.com/iotauth/iotauth/otel"
)

// A Recorder makes caches whose logins, hits and token lifetimes are
// OpenTelemetry metrics. Here a ManualReader reads them back; a service
// uses its exporter's reader (Prometheus, OTLP).
func ExampleRecorder_NewCache() {
	reader := sdkmetric.NewManualReader()
	rec, err := iotauthotel.New(iotauthotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		fmt.Println(err)
		return
	}
	login := iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		return &iotauth.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}, nil
	})
	cache := rec.NewCache(login)
	for range 3 {
		if _, err := cache.Token(context.Background()); err != nil {
			fmt.Println(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range s.DataPoints {
				fmt.Println(m.Name, dp.Value)
			}
		}
	}
	// Unordered output:
	// iotauth.cache.logins 1
	// iotauth.cache.hits 2
	// iotauth.cache.waits 1
}

// A Recorder's Pool option records a Pool of tenants by platform: here two
// tenants make one series of logins and one of the Pool's size.
func ExampleRecorder_Pool() {
	reader := sdkmetric.NewManualReader()
	rec, err := iotauthotel.New(iotauthotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		fmt.Println(err)
		return
	}
	pool := iotauth.NewPool(func(_ context.Context, tenant string) (iotauth.TokenSource, error) {
		return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
			return &iotauth.Token{AccessToken: "tok-" + tenant, Expiry: time.Now().Add(time.Hour)}, nil
		}), nil
	}, rec.Pool())
	defer pool.Close()
	for _, tenant := range []string{"acme", "globex", "acme"} {
		if _, err := pool.Token(context.Background(), tenant); err != nil {
			fmt.Println(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name != "iotauth.pool.loads" {
			for _, dp := range s.DataPoints {
				p, _ := dp.Attributes.Value(iotauthotel.AttrPlatform)
				fmt.Println(m.Name, p.AsString(), dp.Value)
			}
		}
	}
	// Unordered output:
	// iotauth.cache.logins custom 2
	// iotauth.pool.caches custom 2
}
