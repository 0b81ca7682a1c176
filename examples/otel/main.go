// Command otel records what an iotauth cache does with OpenTelemetry and
// serves the metrics to Prometheus at /metrics, through OpenTelemetry's
// Prometheus exporter: logins, refreshes, failures by kind, hits, waits,
// login latency and the time left on the token.
//
// Settings (the same variables as the iotauth command):
//
//	IOTAUTH_OCEANCONNECT_BASE_URL  platform address, such as https://host:8743
//	IOTAUTH_OCEANCONNECT_APP_ID    application id
//	IOTAUTH_OCEANCONNECT_SECRET    application secret
//
// Without IOTAUTH_OCEANCONNECT_BASE_URL it runs against the built-in
// emulator. It makes a few requests, prints the iotauth lines of its own
// /metrics and exits; with -serve it keeps serving /metrics (for a
// Prometheus scrape, or curl) until interrupted:
//
//	go run ./examples/otel
//	go run ./examples/otel -serve -addr 127.0.0.1:9464
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	iotauthotel "github.com/iotauth/iotauth/otel"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to serve /metrics on")
	serve := flag.Bool("serve", false, "keep serving /metrics until interrupted")
	flag.Parse()
	if err := run(*addr, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(addr string, serve bool) error {
	base := os.Getenv("IOTAUTH_OCEANCONNECT_BASE_URL")
	appID := os.Getenv("IOTAUTH_OCEANCONNECT_APP_ID")
	secret := iotauth.Secret(os.Getenv("IOTAUTH_OCEANCONNECT_SECRET"))
	if base == "" {
		srv := iotauthtest.NewServer()
		defer srv.Close()
		base, appID, secret = srv.URL, iotauthtest.OceanConnectAppID, iotauthtest.OceanConnectSecret
		fmt.Println("no IOTAUTH_OCEANCONNECT_BASE_URL: using the built-in emulator")
	}

	// OpenTelemetry metrics, read by the Prometheus exporter into a registry
	// that /metrics serves.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())
	rec, err := iotauthotel.New(iotauthotel.WithMeterProvider(mp))
	if err != nil {
		return err
	}
	defer rec.Close()

	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: base, AppID: appID, Secret: secret})
	if err != nil {
		return err
	}
	cache := rec.NewCache(p)
	defer cache.Close()
	client := &http.Client{Transport: iotauth.NewTransport(cache, nil)}
	for range 5 {
		resp, err := client.Get(base + "/iocm/app/dm/v1.4.0/devices")
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("GET /iocm/app/dm/v1.4.0/devices: %s\n", resp.Status)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/metrics"

	if serve {
		fmt.Println("serving", url, "until interrupted")
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		<-ctx.Done()
		return nil
	}
	return printMetrics(url)
}

// printMetrics scrapes url once, as Prometheus would, and prints the iotauth
// samples.
func printMetrics(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("GET /metrics: " + resp.Status)
	}
	fmt.Println("GET /metrics:")
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "iotauth_") && !strings.Contains(line, "_bucket{") {
			fmt.Println("  " + line)
		}
	}
	return sc.Err()
}
