package iotauthotel_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	iotauthotel "github.com/iotauth/iotauth/otel"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// telemetry is a Recorder whose metrics and spans the test reads back.
type telemetry struct {
	rec    *iotauthotel.Recorder
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
}

func newTelemetry(t *testing.T, opts ...iotauthotel.Option) *telemetry {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	rec, err := iotauthotel.New(append([]iotauthotel.Option{iotauthotel.WithMeterProvider(mp), iotauthotel.WithTracerProvider(tp)}, opts...)...)
	require.NoError(t, err)
	return &telemetry{rec: rec, reader: reader, spans: spans}
}

// collect reads every metric, by name.
func (tm *telemetry) collect(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, iotauthotel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// attrs builds an attribute set from key/value pairs.
func attrs(kv ...string) attribute.Set {
	var a []attribute.KeyValue
	for i := 0; i < len(kv); i += 2 {
		a = append(a, attribute.String(kv[i], kv[i+1]))
	}
	return attribute.NewSet(a...)
}

// sum returns the value of a counter's point with exactly these attributes.
func sum(t *testing.T, data map[string]metricdata.Aggregation, name string, set attribute.Set) int64 {
	t.Helper()
	s, ok := data[name].(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum: %T", name, data[name])
	assert.True(t, s.IsMonotonic, name)
	for _, dp := range s.DataPoints {
		if dp.Attributes.Equals(&set) {
			return dp.Value
		}
	}
	return 0
}

func ocProvider(t *testing.T, srv *iotauthtest.Server, secret string) *oceanconnect.Provider {
	t.Helper()
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauth.Secret(secret)})
	require.NoError(t, err)
	return p
}

func getDevices(t *testing.T, hc *http.Client, base string) {
	t.Helper()
	resp, err := hc.Get(base + "/iocm/app/dm/v1.4.0/devices")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestRecorder_OceanConnectEmulator_MetricsReadBackThroughTheSDK(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tm := newTelemetry(t)
	// The minimum backoff also spaces calls after a success: shorten it.
	cache := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret), iotauth.WithBackoff(time.Millisecond, time.Millisecond))
	defer cache.Close()
	hc := &http.Client{Transport: iotauth.NewTransport(cache, nil)}

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { getDevices(t, hc, srv.URL) })
	}
	wg.Wait()
	// The token dropped (as after a rejection): a refresh replaces it.
	tok, err := cache.Token(context.Background())
	require.NoError(t, err)
	cache.Invalidate(tok)
	getDevices(t, hc, srv.URL)
	// Another login elsewhere invalidates the token and its refresh token:
	// the next request is rejected, the refresh refused, a login recovers,
	// which is not a failure.
	srv.OceanConnect.Revoke()
	getDevices(t, hc, srv.URL)

	data := tm.collect(t)
	oc := "oceanconnect"
	assert.EqualValues(t, 2, sum(t, data, "iotauth.cache.logins", attrs("iotauth.platform", oc, "iotauth.outcome", "ok")))
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.refreshes", attrs("iotauth.platform", oc, "iotauth.outcome", "ok")))
	assert.NotContains(t, data, "iotauth.cache.failures", "a refused refresh recovered by a login is no failure")

	st := cache.Stats()
	assert.Equal(t, st.Hits, sum(t, data, "iotauth.cache.hits", attrs("iotauth.platform", oc)))
	assert.Equal(t, st.Waits, sum(t, data, "iotauth.cache.waits", attrs("iotauth.platform", oc)))
	assert.Positive(t, st.Hits+st.Waits)

	h, ok := data["iotauth.login.duration"].(metricdata.Histogram[float64])
	require.True(t, ok)
	var logins uint64
	for _, dp := range h.DataPoints {
		if op, _ := dp.Attributes.Value("iotauth.op"); op.AsString() == "login" {
			logins += dp.Count
			assert.Positive(t, dp.Sum)
		}
	}
	assert.EqualValues(t, 2, logins)

	g, ok := data["iotauth.token.time_left"].(metricdata.Gauge[float64])
	require.True(t, ok)
	require.Len(t, g.DataPoints, 1)
	assert.InDelta(t, time.Hour.Seconds(), g.DataPoints[0].Value, 60, "the emulator's tokens live an hour")

	// Spans: one per login and refresh, with platform and outcome.
	var names []string
	for _, s := range tm.spans.Ended() {
		names = append(names, s.Name())
		a := attribute.NewSet(s.Attributes()...)
		p, _ := a.Value("iotauth.platform")
		assert.Equal(t, oc, p.AsString())
		out, _ := a.Value("iotauth.outcome")
		assert.Equal(t, "ok", out.AsString())
		assert.Equal(t, codes.Unset, s.Status().Code)
		assert.False(t, s.StartTime().After(s.EndTime()))
	}
	assert.Equal(t, []string{"iotauth.login", "iotauth.refresh", "iotauth.login"}, names)
}

func TestRecorder_RefusedCredentials_FailureByKindAndNoSecretAnywhere(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	var seen []iotauth.Event
	tm := newTelemetry(t, iotauthotel.WithHook(func(ev iotauth.Event) { seen = append(seen, ev) }))
	const wrong = "wrong-secret-value"
	cache := tm.rec.NewCache(ocProvider(t, srv, wrong))
	defer cache.Close()

	_, err := cache.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	require.Len(t, seen, 1, "WithHook is called after recording")

	data := tm.collect(t)
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.failures",
		attrs("iotauth.platform", "oceanconnect", "iotauth.op", "login", "error.type", "invalid_credentials")))
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.logins", attrs("iotauth.platform", "oceanconnect", "iotauth.outcome", "error")))
	_, hasLeft := data["iotauth.token.time_left"].(metricdata.Gauge[float64])
	if hasLeft {
		assert.Empty(t, data["iotauth.token.time_left"].(metricdata.Gauge[float64]).DataPoints, "no token, no time left")
	}

	spans := tm.spans.Ended()
	require.Len(t, spans, 1)
	assert.Equal(t, codes.Error, spans[0].Status().Code)
	assert.Equal(t, "invalid_credentials", spans[0].Status().Description)
	set := attribute.NewSet(spans[0].Attributes()...)
	code, _ := set.Value("iotauth.error.code")
	assert.Equal(t, "100208", code.AsString(), "the platform's code")
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			assert.NotContains(t, kv.Value.String(), wrong)
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				assert.NotContains(t, kv.Value.String(), wrong)
			}
		}
	}
}

func TestRecorder_ServerFailuresAndForget_CountersNeverGoDown(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tm := newTelemetry(t)
	srv.OceanConnect.FailNext(1, http.StatusInternalServerError)
	cache := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret), iotauth.WithBackoff(time.Millisecond, time.Millisecond))

	_, err := cache.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrServer)
	require.Eventually(t, func() bool { _, err := cache.Token(context.Background()); return err == nil }, 5*time.Second, 5*time.Millisecond)
	for range 5 {
		_, err := cache.Token(context.Background())
		require.NoError(t, err)
	}
	before := sum(t, tm.collect(t), "iotauth.cache.hits", attrs("iotauth.platform", "oceanconnect"))
	assert.GreaterOrEqual(t, before, int64(5))

	tm.rec.Forget(cache)
	require.NoError(t, cache.Close())
	data := tm.collect(t)
	assert.Equal(t, before, sum(t, data, "iotauth.cache.hits", attrs("iotauth.platform", "oceanconnect")), "a forgotten cache's hits stay counted")
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.failures",
		attrs("iotauth.platform", "oceanconnect", "iotauth.op", "login", "error.type", "server")))
}

func TestRecorder_TwoCachesOnePlatform_OnePointEach(t *testing.T) {
	srv := iotauthtest.NewServer(iotauthtest.WithTokenTTL(10 * time.Minute))
	defer srv.Close()
	tm := newTelemetry(t)
	a := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret))
	defer a.Close()
	_, err := a.Token(context.Background())
	require.NoError(t, err)
	_, err = a.Token(context.Background())
	require.NoError(t, err)

	srv.OceanConnect.SetTokenTTL(5 * time.Minute)
	b := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret))
	defer b.Close()
	_, err = b.Token(context.Background())
	require.NoError(t, err)

	data := tm.collect(t)
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.hits", attrs("iotauth.platform", "oceanconnect")), "summed over the caches")
	g := data["iotauth.token.time_left"].(metricdata.Gauge[float64])
	require.Len(t, g.DataPoints, 1)
	assert.InDelta(t, 300, g.DataPoints[0].Value, 30, "the soonest-expiring token")
	require.NoError(t, tm.rec.Close())
}

func TestErrorType_EveryKind(t *testing.T) {
	for err, want := range map[error]string{
		&iotauth.Error{Kind: iotauth.ErrRateLimited}:                           "rate_limited",
		&iotauth.Error{Kind: iotauth.ErrMalformedResponse}:                     "malformed_response",
		&iotauth.Error{Kind: iotauth.ErrServer, Err: context.DeadlineExceeded}: "timeout",
		context.Canceled:             "canceled",
		iotauth.ErrClosed:            "closed",
		errors.New("something else"): "other",
	} {
		assert.Equal(t, want, iotauthotel.ErrorType(err), "%v", err)
		assert.False(t, strings.Contains(iotauthotel.ErrorType(err), " "))
	}
}

// brokenStore fails every call, as a store with a bad key or an unreachable
// server does.
type brokenStore struct{}

var errBroken = errors.New("store unreachable")

func (brokenStore) Load(context.Context, string) (*iotauth.Token, error) { return nil, errBroken }
func (brokenStore) Save(context.Context, string, *iotauth.Token) error   { return errBroken }
func (brokenStore) Delete(context.Context, string) error                 { return errBroken }

func TestRecorder_SharedStore_AdoptionsAndStoreErrors(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	tm := newTelemetry(t)

	// Two replicas sharing a store: the second adopts the first's token.
	shared := store.NewMemory()
	a := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret), iotauth.WithStore(shared))
	defer a.Close()
	b := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret), iotauth.WithStore(shared))
	defer b.Close()
	_, err := a.Token(context.Background())
	require.NoError(t, err)
	_, err = b.Token(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, srv.OceanConnect.Logins())

	// A broken store: the cache logs in by itself, and says so.
	c := tm.rec.NewCache(ocProvider(t, srv, iotauthtest.OceanConnectSecret), iotauth.WithStore(brokenStore{}))
	defer c.Close()
	_, err = c.Token(context.Background())
	require.NoError(t, err)

	data := tm.collect(t)
	assert.EqualValues(t, 1, sum(t, data, "iotauth.cache.adoptions", attrs("iotauth.platform", "oceanconnect")))
	assert.EqualValues(t, 2, sum(t, data, "iotauth.cache.logins", attrs("iotauth.platform", "oceanconnect", "iotauth.outcome", "ok")))
	assert.Positive(t, sum(t, data, "iotauth.store.errors", attrs("iotauth.platform", "oceanconnect", "error.type", "other")))
}
