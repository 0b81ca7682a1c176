package iotauthotel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/iotauth/iotauth"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/iotauth/iotauth/otel"

// The attribute keys the metrics and spans carry. None holds a secret: the
// platform id, the operation, the outcome and the kind of failure.
const (
	AttrPlatform = attribute.Key("iotauth.platform") // "oceanconnect", "mxchip", …
	AttrOp       = attribute.Key("iotauth.op")       // "login", "refresh", "adopt", "store"
	AttrOutcome  = attribute.Key("iotauth.outcome")  // "ok" or "error"
	AttrError    = attribute.Key("error.type")       // see ErrorType
	AttrCode     = attribute.Key("iotauth.error.code")
	AttrRequest  = attribute.Key("iotauth.request_id")
)

// Option configures New.
type Option func(*config)

type config struct {
	mp   metric.MeterProvider
	tp   trace.TracerProvider
	next func(iotauth.Event)
}

// WithMeterProvider records metrics through mp instead of otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithTracerProvider records spans through tp instead of otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithHook calls h with every event of the caches made by NewCache, after
// it is recorded: NewCache installs its own iotauth.WithHook, which would
// replace one passed among its options.
func WithHook(h func(iotauth.Event)) Option { return func(c *config) { c.next = h } }

// Recorder records what iotauth caches do as OpenTelemetry metrics and
// spans. One Recorder serves any number of caches; make them with NewCache.
// It is safe for concurrent use.
type Recorder struct {
	tracer trace.Tracer
	next   func(iotauth.Event)

	logins, refreshes, adoptions, failures, storeErrors metric.Int64Counter
	duration                                            metric.Float64Histogram
	reg                                                 metric.Registration

	poolLoads, poolEvictions metric.Int64Counter
	poolCaches               metric.Int64UpDownCounter

	mu      sync.Mutex
	caches  map[*iotauth.Cache]*tracked
	retired map[string]iotauth.CacheStats // counts of forgotten caches, so that counters never go down
}

// tracked is one cache's state between events.
type tracked struct {
	cache    *iotauth.Cache
	platform string
	expiry   atomic.Int64 // unix nanoseconds of the current token's expiry; 0 none or never
}

// New creates the Recorder's instruments:
//
//	iotauth.cache.logins       counter   {login}    platform, outcome
//	iotauth.cache.refreshes    counter   {refresh}  platform, outcome
//	iotauth.cache.adoptions    counter   {token}    platform: tokens taken from the Store
//	iotauth.cache.failures     counter   {failure}  platform, op, error.type
//	iotauth.cache.hits         counter   {hit}      platform (observed: Cache.Stats)
//	iotauth.cache.waits        counter   {wait}     platform (observed: Cache.Stats)
//	iotauth.login.duration     histogram s          platform, op, outcome
//	iotauth.token.time_left    gauge     s          platform: the soonest-expiring current token
//	iotauth.store.errors       counter   {error}    platform, error.type
//
// a span per login and refresh ("iotauth.login", "iotauth.refresh")
// with the platform, the outcome and, on failure, error.type, the
// platform's code and request id, and the instruments of the Pools given
// Recorder.Pool:
//
//	iotauth.pool.caches        up-down   {cache}    platform: Caches the Pools hold
//	iotauth.pool.loads         counter   {load}     outcome, platform (ok) or error.type
//	iotauth.pool.evictions     counter   {cache}    platform, iotauth.pool.reason
func New(opts ...Option) (*Recorder, error) {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	m := cfg.mp.Meter(ScopeName)
	r := &Recorder{
		tracer:  cfg.tp.Tracer(ScopeName),
		next:    cfg.next,
		caches:  map[*iotauth.Cache]*tracked{},
		retired: map[string]iotauth.CacheStats{},
	}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	r.logins = counter("iotauth.cache.logins", "{login}", "Logins: calls to the source's Token, by outcome.")
	r.refreshes = counter("iotauth.cache.refreshes", "{refresh}", "Refreshes with a refresh token, by outcome.")
	r.adoptions = counter("iotauth.cache.adoptions", "{token}", "Tokens taken from the Store, obtained by another process.")
	r.failures = counter("iotauth.cache.failures", "{failure}", "Failed logins and refreshes, by kind of failure.")
	r.storeErrors = counter("iotauth.store.errors", "{error}", "Failed Store calls; the cache then logs in by itself.")
	r.poolLoads = counter("iotauth.pool.loads", "{load}", "Calls to a Pool's load function, by outcome.")
	r.poolEvictions = counter("iotauth.pool.evictions", "{cache}", "Caches a Pool dropped, by reason.")
	var err error
	r.poolCaches, err = m.Int64UpDownCounter("iotauth.pool.caches", metric.WithUnit("{cache}"),
		metric.WithDescription("Caches the Pools hold."))
	errs = append(errs, err)
	r.duration, err = m.Float64Histogram("iotauth.login.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of logins and refreshes, by outcome."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	errs = append(errs, err)
	hits, err := m.Int64ObservableCounter("iotauth.cache.hits", metric.WithUnit("{hit}"),
		metric.WithDescription("Tokens served from the cache without waiting."))
	errs = append(errs, err)
	waits, err := m.Int64ObservableCounter("iotauth.cache.waits", metric.WithUnit("{wait}"),
		metric.WithDescription("Callers that waited for a login or refresh."))
	errs = append(errs, err)
	left, err := m.Float64ObservableGauge("iotauth.token.time_left", metric.WithUnit("s"),
		metric.WithDescription("Seconds until the soonest-expiring current token of the platform expires."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("iotauthotel: creating instruments: %w", err)
	}
	r.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		r.observe(o, hits, waits, left)
		return nil
	}, hits, waits, left)
	if err != nil {
		return nil, fmt.Errorf("iotauthotel: registering callback: %w", err)
	}
	return r, nil
}

// NewCache is iotauth.NewCache(src, opts...) with the Recorder's hook and
// iotauth.WithHitCounting (for iotauth.cache.hits), and the cache observed
// until Forget. A WithHook among opts is replaced: pass it to New as
// WithHook instead. Like iotauth.NewCache, it panics on a nil src or option.
func (r *Recorder) NewCache(src iotauth.TokenSource, opts ...iotauth.CacheOption) *iotauth.Cache {
	t := &tracked{}
	opts = append(opts[:len(opts):len(opts)], iotauth.WithHitCounting(),
		iotauth.WithHook(func(ev iotauth.Event) { r.record(t, nil, ev) }))
	c := iotauth.NewCache(src, opts...)
	t.cache, t.platform = c, c.Describe().Name
	r.mu.Lock()
	r.caches[c] = t
	r.mu.Unlock()
	return c
}

// Forget stops observing c (after its Close, say). Its counts stay in the
// platform's totals, so that the counters never go down.
func (r *Recorder) Forget(c *iotauth.Cache) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.caches[c]
	if !ok {
		return
	}
	delete(r.caches, c)
	s, prev := c.Stats(), r.retired[t.platform]
	prev.Hits += s.Hits
	prev.Waits += s.Waits
	r.retired[t.platform] = prev
}

// Close unregisters the observed instruments and forgets every cache.
// Events of caches made earlier are still counted.
func (r *Recorder) Close() error {
	r.mu.Lock()
	r.caches = map[*iotauth.Cache]*tracked{}
	r.mu.Unlock()
	return r.reg.Unregister()
}

// record turns one cache event into metrics and, for a login or refresh, a
// span, with extra among the attributes of each. t is nil for a Pool's
// Caches, which are not observed one by one.
func (r *Recorder) record(t *tracked, extra []attribute.KeyValue, ev iotauth.Event) {
	ctx := context.Background()
	with := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributes(append(append(kv, AttrPlatform.String(ev.Platform)), extra...)...)
	}
	outcome := "ok"
	if ev.Err != nil {
		outcome = "error"
	}
	switch ev.Op {
	case "login", "refresh":
		c := r.logins
		if ev.Op == "refresh" {
			c = r.refreshes
		}
		c.Add(ctx, 1, with(AttrOutcome.String(outcome)))
		r.duration.Record(ctx, ev.Duration.Seconds(), with(AttrOp.String(ev.Op), AttrOutcome.String(outcome)))
		if ev.Err != nil {
			r.failures.Add(ctx, 1, with(AttrOp.String(ev.Op), AttrError.String(ErrorType(ev.Err))))
		}
		r.span(ev, outcome, extra)
	case "adopt":
		if ev.Err == nil {
			r.adoptions.Add(ctx, 1, with())
		}
	case "store":
		if ev.Err != nil {
			r.storeErrors.Add(ctx, 1, with(AttrError.String(ErrorType(ev.Err))))
		}
	}
	if t != nil && ev.Err == nil && ev.Token != nil {
		var exp int64
		if !ev.Token.Expiry.IsZero() {
			exp = ev.Token.Expiry.UnixNano()
		}
		t.expiry.Store(exp)
	}
	if r.next != nil {
		r.next(ev)
	}
}

// span records a finished login or refresh as a span that ends now and
// lasted ev.Duration. The hook has no caller context, so the span is a root.
func (r *Recorder) span(ev iotauth.Event, outcome string, extra []attribute.KeyValue) {
	end := time.Now()
	attrs := append([]attribute.KeyValue{AttrPlatform.String(ev.Platform), AttrOp.String(ev.Op), AttrOutcome.String(outcome)}, extra...)
	var ie *iotauth.Error
	if ev.Err != nil {
		attrs = append(attrs, AttrError.String(ErrorType(ev.Err)))
		if errors.As(ev.Err, &ie) {
			if ie.Code != "" {
				attrs = append(attrs, AttrCode.String(ie.Code))
			}
			if ie.RequestID != "" {
				attrs = append(attrs, AttrRequest.String(ie.RequestID))
			}
		}
	}
	_, sp := r.tracer.Start(context.Background(), "iotauth."+ev.Op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(end.Add(-ev.Duration)), trace.WithAttributes(attrs...))
	if ev.Err != nil {
		// The kind, not the message: the message may quote the platform.
		sp.SetStatus(codes.Error, ErrorType(ev.Err))
	}
	sp.End(trace.WithTimestamp(end))
}

// observe reports the caches' hit and wait counts and the time left on
// their tokens, one point per platform.
func (r *Recorder) observe(o metric.Observer, hits, waits metric.Int64ObservableCounter, left metric.Float64ObservableGauge) {
	type agg struct {
		stats iotauth.CacheStats
		left  float64
		has   bool
	}
	r.mu.Lock()
	per := make(map[string]*agg, len(r.caches)+len(r.retired))
	get := func(p string) *agg {
		a := per[p]
		if a == nil {
			a = &agg{left: math.Inf(1)}
			per[p] = a
		}
		return a
	}
	for p, s := range r.retired {
		a := get(p)
		a.stats.Hits += s.Hits
		a.stats.Waits += s.Waits
	}
	now := time.Now()
	for _, t := range r.caches {
		a := get(t.platform)
		s := t.cache.Stats()
		a.stats.Hits += s.Hits
		a.stats.Waits += s.Waits
		if exp := t.expiry.Load(); exp != 0 {
			a.left = min(a.left, max(time.Unix(0, exp).Sub(now).Seconds(), 0))
			a.has = true
		}
	}
	r.mu.Unlock()
	for p, a := range per {
		attrs := metric.WithAttributes(AttrPlatform.String(p))
		o.ObserveInt64(hits, a.stats.Hits, attrs)
		o.ObserveInt64(waits, a.stats.Waits, attrs)
		if a.has {
			o.ObserveFloat64(left, a.left, attrs)
		}
	}
}

// ErrorType names the kind of a failure for the error.type attribute:
// "invalid_credentials", "token_rejected", "rate_limited",
// "captcha_required", "forbidden", "bad_request", "server",
// "malformed_response", "quota_exceeded", "redirect", "closed", "timeout",
// "canceled", or "other".
func ErrorType(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

var kinds = []struct {
	err  error
	name string
}{
	{iotauth.ErrInvalidCredentials, "invalid_credentials"},
	{iotauth.ErrCaptchaRequired, "captcha_required"},
	{iotauth.ErrForbidden, "forbidden"},
	{iotauth.ErrTokenRejected, "token_rejected"},
	{iotauth.ErrRateLimited, "rate_limited"},
	{iotauth.ErrBadRequest, "bad_request"},
	{iotauth.ErrQuotaExceeded, "quota_exceeded"},
	{iotauth.ErrRedirect, "redirect"},
	{iotauth.ErrMalformedResponse, "malformed_response"},
	{iotauth.ErrClosed, "closed"},
	{context.DeadlineExceeded, "timeout"},
	{context.Canceled, "canceled"},
	{iotauth.ErrServer, "server"},
}
