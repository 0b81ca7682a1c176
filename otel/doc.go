// Package iotauthotel records what iotauth caches do as OpenTelemetry
// metrics and spans: logins, refreshes and their failures by kind, cache
// hits and waits, login latency, the time left on the current tokens,
// tokens adopted from a Store and failed Store calls.
//
// It lives in its own module, github.com/iotauth/iotauth/otel, so that a
// program that does not use OpenTelemetry does not download it. It is built
// on the Cache's public API only (iotauth.WithHook and Cache.Stats):
//
//	rec, err := iotauthotel.New() // the global MeterProvider and TracerProvider
//	cache := rec.NewCache(provider, iotauth.WithStore(st))
//	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
//
// Attributes name the platform, the operation, the outcome and the kind of
// failure; never a token, a secret or an error message. To serve the
// metrics to Prometheus, use OpenTelemetry's Prometheus exporter as the
// MeterProvider's reader (see examples/otel).
package iotauthotel
