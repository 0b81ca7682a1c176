package iotauthotel

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/iotauth/iotauth"
)

// The Cache reports tokens adopted from a Store and failed Store calls as
// events "adopt" and "store"; each has its counter and no span.
func TestRecord_AdoptAndStoreEvents(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	r, err := New(WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	require.NoError(t, err)
	tr := &tracked{platform: "mxchip"}
	exp := time.Now().Add(time.Minute)
	r.record(tr, nil, iotauth.Event{Platform: "mxchip", Op: "adopt", Token: &iotauth.Token{AccessToken: "a", Expiry: exp}})
	r.record(tr, nil, iotauth.Event{Platform: "mxchip", Op: "store", Err: errors.New("redis: connection refused")})
	r.record(tr, nil, iotauth.Event{Platform: "mxchip", Op: "store", Err: context.DeadlineExceeded})
	assert.Equal(t, exp.UnixNano(), tr.expiry.Load(), "an adopted token is the current one")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range s.DataPoints {
				et, _ := dp.Attributes.Value(attribute.Key("error.type"))
				got[m.Name+" "+et.AsString()] += dp.Value
			}
		}
	}
	assert.Equal(t, map[string]int64{
		"iotauth.cache.adoptions ":     1,
		"iotauth.store.errors other":   1,
		"iotauth.store.errors timeout": 1,
	}, got)
}
