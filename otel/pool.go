package iotauthotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/iotauth/iotauth"
)

// The attribute keys of a Pool's series.
const (
	AttrPoolKey = attribute.Key("iotauth.pool.key")    // the tenant's key, with PerKey only
	AttrReason  = attribute.Key("iotauth.pool.reason") // "idle", "max", "forget", "close"
)

// PoolOption configures Recorder.Pool.
type PoolOption func(*poolConfig)

type poolConfig struct{ perKey bool }

// PerKey adds the Pool key (iotauth.pool.key) to every series of the
// Pool's: one series per tenant and platform rather than per platform. A
// metrics backend holds every series it was sent, so use it only for a
// Pool of few keys, or while looking into one.
//
// It builds the Pool's Caches with iotauth.WithPoolNewCache, to give each
// the hook that names its key: it replaces a WithPoolNewCache of the
// program's, and the program's cannot be combined with it.
func PerKey() PoolOption { return func(c *poolConfig) { c.perKey = true } }

// Pool returns an iotauth.NewPool option that records the Pool's loads and
// evictions and the number of Caches it holds (iotauth.pool.loads,
// iotauth.pool.evictions, iotauth.pool.caches) and its Caches' logins,
// refreshes, adoptions, failures, durations, store errors and spans, as
// NewCache's are. The series are labelled by platform (the Caches' sources'
// Describe().Name), never by key unless PerKey is given, so that a Pool of
// a million tenants makes as many series as one of ten. Hits, waits and
// iotauth.token.time_left are not observed for a Pool's Caches: they would
// need state kept per Cache.
//
// It adds an iotauth.WithHook to the Pool's Cache options: pass a hook of
// the program's to New as WithHook rather than among
// iotauth.WithPoolCacheOptions, where the later of the two would replace
// the other. Any number of Pools may share a Recorder.
func (r *Recorder) Pool(opts ...PoolOption) iotauth.PoolOption {
	var cfg poolConfig
	for _, o := range opts {
		o(&cfg)
	}
	return func(p *iotauth.Pool) {
		iotauth.WithPoolHook(func(ev iotauth.PoolEvent) { r.poolEvent(cfg.perKey, ev) })(p)
		if !cfg.perKey {
			iotauth.WithPoolCacheOptions(iotauth.WithHook(func(ev iotauth.Event) { r.record(nil, nil, ev) }))(p)
			return
		}
		iotauth.WithPoolNewCache(func(key string, src iotauth.TokenSource, opts ...iotauth.CacheOption) *iotauth.Cache {
			extra := []attribute.KeyValue{AttrPoolKey.String(key)}
			return iotauth.NewCache(src, append(opts[:len(opts):len(opts)],
				iotauth.WithHook(func(ev iotauth.Event) { r.record(nil, extra, ev) }))...)
		})(p)
	}
}

// poolEvent records a Pool's load or eviction.
func (r *Recorder) poolEvent(perKey bool, ev iotauth.PoolEvent) {
	ctx := context.Background()
	with := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		if perKey {
			kv = append(kv, AttrPoolKey.String(ev.Key))
		}
		return metric.WithAttributes(kv...)
	}
	platform := AttrPlatform.String(ev.Platform)
	switch ev.Op {
	case "load":
		if ev.Err != nil {
			r.poolLoads.Add(ctx, 1, with(AttrOutcome.String("error"), AttrError.String(ErrorType(ev.Err))))
			return
		}
		r.poolLoads.Add(ctx, 1, with(AttrOutcome.String("ok"), platform))
		r.poolCaches.Add(ctx, 1, with(platform))
	case "evict":
		r.poolEvictions.Add(ctx, 1, with(platform, AttrReason.String(ev.Reason)))
		r.poolCaches.Add(ctx, -1, with(platform))
	}
}
