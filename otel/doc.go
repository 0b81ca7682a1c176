// Package iotauthotel records what iotauth caches do as OpenTelemetry
// metrics and spans: logins, refreshes and their failures by kind, cache
// hits and waits, login latency, the time left on the current tokens,
// tokens adopted from a Store and failed Store calls.
//
// It lives in its own module, github.com/iotauth/iotauth/otel, so that a
// program that does not use OpenTelemetry does not download it. It is built
// on iotauth's public API only (iotauth.WithHook, Cache.Stats and
// iotauth.WithPoolHook):
//
//	rec, err := iotauthotel.New() // the global MeterProvider and TracerProvider
//	cache := rec.NewCache(provider, iotauth.WithStore(st))
//	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
//
// A Pool of tenants is recorded by platform, with its size, loads and
// evictions, through one NewPool option (per-key series only with PerKey):
//
//	pool := iotauth.NewPool(load, rec.Pool())
//
// Attributes name the platform, the operation, the outcome and the kind of
// failure (and, with PerKey, the Pool key); never a token, a secret or an
// error message. To serve the
// metrics to Prometheus, use OpenTelemetry's Prometheus exporter as the
// MeterProvider's reader (see examples/otel).
package iotauthotel
