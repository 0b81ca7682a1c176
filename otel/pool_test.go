package iotauthotel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	iotauthotel "github.com/iotauth/iotauth/otel"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// points returns the data points of an int64 sum, monotonic or not.
func points(t *testing.T, data map[string]metricdata.Aggregation, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	s, ok := data[name].(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum: %T", name, data[name])
	return s.DataPoints
}

// upDown returns the value of an up-down counter's point with exactly these attributes.
func upDown(t *testing.T, data map[string]metricdata.Aggregation, name string, kv ...string) int64 {
	t.Helper()
	s, ok := data[name].(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum: %T", name, data[name])
	assert.False(t, s.IsMonotonic, name)
	set := attrs(kv...)
	for _, dp := range s.DataPoints {
		if dp.Attributes.Equals(&set) {
			return dp.Value
		}
	}
	return 0
}

// ocPool is a Pool of two OceanConnect tenants, "a" and "b", each an
// application on its own emulator, recorded by tm with opts.
func ocPool(t *testing.T, tm *telemetry, opts ...iotauthotel.PoolOption) *iotauth.Pool {
	t.Helper()
	srvs := map[string]*iotauthtest.Server{"a": iotauthtest.NewServer(), "b": iotauthtest.NewServer()}
	for _, s := range srvs {
		t.Cleanup(s.Close)
	}
	p := iotauth.NewPool(func(_ context.Context, key string) (iotauth.TokenSource, error) {
		srv, ok := srvs[key]
		if !ok {
			return nil, errors.New("no such tenant")
		}
		return oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
			Secret: iotauthtest.OceanConnectSecret})
	}, tm.rec.Pool(opts...))
	t.Cleanup(p.Close)
	for _, k := range []string{"a", "b", "a", "b"} {
		_, err := p.Token(context.Background(), k)
		require.NoError(t, err)
	}
	_, err := p.Token(context.Background(), "nobody")
	require.Error(t, err)
	return p
}

// Two tenants of one platform make one series, not one each.
func TestRecorder_Pool_TenantsOfOnePlatformAreOneSeries(t *testing.T) {
	tm := newTelemetry(t)
	ocPool(t, tm)
	data := tm.collect(t)
	oc := "oceanconnect"
	require.Len(t, points(t, data, "iotauth.cache.logins"), 1)
	assert.EqualValues(t, 2, sum(t, data, "iotauth.cache.logins", attrs("iotauth.platform", oc, "iotauth.outcome", "ok")))
	require.Len(t, points(t, data, "iotauth.pool.caches"), 1)
	assert.EqualValues(t, 2, upDown(t, data, "iotauth.pool.caches", "iotauth.platform", oc))
	assert.EqualValues(t, 2, sum(t, data, "iotauth.pool.loads", attrs("iotauth.platform", oc, "iotauth.outcome", "ok")))
	assert.EqualValues(t, 1, sum(t, data, "iotauth.pool.loads", attrs("iotauth.outcome", "error", "error.type", "other")))
	for _, s := range tm.spans.Ended() {
		for _, kv := range s.Attributes() {
			assert.NotEqual(t, iotauthotel.AttrPoolKey, kv.Key, "no key without PerKey")
		}
	}
}

// PerKey makes a series per tenant.
func TestRecorder_Pool_PerKey_OneSeriesPerTenant(t *testing.T) {
	tm := newTelemetry(t)
	p := ocPool(t, tm, iotauthotel.PerKey())
	p.Forget("a")
	data := tm.collect(t)
	oc := "oceanconnect"
	require.Len(t, points(t, data, "iotauth.cache.logins"), 2)
	for _, k := range []string{"a", "b"} {
		assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.logins",
			attrs("iotauth.platform", oc, "iotauth.outcome", "ok", "iotauth.pool.key", k)), k)
	}
	assert.EqualValues(t, 0, upDown(t, data, "iotauth.pool.caches", "iotauth.platform", oc, "iotauth.pool.key", "a"))
	assert.EqualValues(t, 1, upDown(t, data, "iotauth.pool.caches", "iotauth.platform", oc, "iotauth.pool.key", "b"))
	assert.EqualValues(t, 1, sum(t, data, "iotauth.pool.evictions",
		attrs("iotauth.platform", oc, "iotauth.pool.reason", "forget", "iotauth.pool.key", "a")))
	assert.EqualValues(t, 1, sum(t, data, "iotauth.pool.loads",
		attrs("iotauth.outcome", "error", "error.type", "other", "iotauth.pool.key", "nobody")))
	var keys []string
	for _, s := range tm.spans.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == iotauthotel.AttrPoolKey {
				keys = append(keys, kv.Value.AsString())
			}
		}
	}
	assert.ElementsMatch(t, []string{"a", "b"}, keys)
}

// Evictions are counted by reason, and the Pool's size follows them.
func TestRecorder_Pool_EvictionsByReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTelemetry(t)
		var hooked atomic.Int64
		p := iotauth.NewPool(func(_ context.Context, key string) (iotauth.TokenSource, error) {
			return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
				return &iotauth.Token{AccessToken: key, Expiry: time.Now().Add(time.Hour)}, nil
			}), nil
		}, iotauth.WithIdleTimeout(time.Minute), iotauth.WithMaxCaches(3),
			iotauth.WithEvictionHook(func(iotauth.PoolEviction) { hooked.Add(1) }),
			tm.rec.Pool())
		use := func(keys ...string) {
			for _, k := range keys {
				_, err := p.Token(context.Background(), k)
				require.NoError(t, err)
			}
		}
		use("a", "b", "c", "d", "e") // the bound drops two
		p.Forget("e")
		time.Sleep(2 * time.Minute) // the other two go idle
		synctest.Wait()
		use("f", "g")
		data := tm.collect(t)
		assert.EqualValues(t, 2, upDown(t, data, "iotauth.pool.caches", "iotauth.platform", "custom"))
		p.Close()
		data = tm.collect(t)
		for reason, n := range map[string]int64{"max": 2, "forget": 1, "idle": 2, "close": 2} {
			assert.Equal(t, n, sum(t, data, "iotauth.pool.evictions", attrs("iotauth.platform", "custom", "iotauth.pool.reason", reason)), reason)
		}
		assert.EqualValues(t, 0, upDown(t, data, "iotauth.pool.caches", "iotauth.platform", "custom"))
		assert.EqualValues(t, 7, sum(t, data, "iotauth.pool.loads", attrs("iotauth.platform", "custom", "iotauth.outcome", "ok")))
		assert.EqualValues(t, 7, hooked.Load(), "the program's eviction hook is called too")
	})
}
