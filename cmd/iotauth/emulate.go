package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/iotauthtest/mqttbroker"
)

// emulatorRegion is the Alibaba region the demo and emulate use.
const emulatorRegion = iotauthtest.EmulatorRegion

func newEmulateCmd() *cobra.Command {
	var (
		addr   string
		ttl    time.Duration
		useTLS bool
	)
	cmd := &cobra.Command{
		Use:   "emulate [--addr 127.0.0.1:8743] [--token-ttl 1h] [--tls]",
		Short: "Serve the platform emulators until interrupted",
		Long: `Serve the OceanConnect, MXCHIP, Cloud Studio, Alibaba Cloud MQTT and
Huawei IAM and IoTDA emulators on one address and an MQTT broker emulator beside them (printed
as IOTAUTH_MQTT_BROKER), and print the settings (base URLs and the test
credentials the emulators accept) as IOTAUTH_* variables, so that iotauth's
other commands or your own service can be pointed at it (see the example:
the settings are complete once the "# ready" line is printed).

With --tls the emulators serve HTTPS with a self-signed certificate, written
to a file that IOTAUTH_CA_FILE names. Stops on SIGINT or SIGTERM.`,
		Example: `  iotauth emulate --addr 127.0.0.1:0 > emulator.env &
  until grep -q '^# ready' emulator.env; do sleep 0.1; done
  . ./emulator.env
  iotauth token --platform oceanconnect --no-store
  kill $!`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return failure(fmt.Errorf("emulate: %w", err))
			}
			opts := []iotauthtest.Option{iotauthtest.WithListener(l)}
			if ttl < 0 {
				return &usageError{"emulate: --token-ttl must not be negative"}
			}
			if ttl > 0 {
				opts = append(opts, iotauthtest.WithTokenTTL(ttl))
			}
			if useTLS {
				opts = append(opts, iotauthtest.WithTLS())
			}
			srv := iotauthtest.NewServer(opts...)
			defer srv.Close()
			broker, err := mqttbroker.Start(srv)
			if err != nil {
				return failure(fmt.Errorf("emulate: MQTT broker: %w", err))
			}
			defer broker.Close()
			caFile := ""
			if useTLS {
				dir, err := os.MkdirTemp("", "iotauth-emulate-")
				if err != nil {
					return failure(err)
				}
				defer os.RemoveAll(dir)
				caFile = filepath.Join(dir, "ca.pem")
				cert := srv.Certificate()
				b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
				if err := os.WriteFile(caFile, b, 0o600); err != nil {
					return failure(err)
				}
			}
			printEmulatorSettings(cmd.OutOrStdout(), srv.URL, caFile, broker)
			<-cmd.Context().Done()
			fmt.Fprintln(cmd.OutOrStdout(), "# stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8743", "address to listen on, host:port (port 0 picks a free one)")
	cmd.Flags().DurationVar(&ttl, "token-ttl", 0, "lifetime of every token issued (0: each platform's documented lifetime)")
	cmd.Flags().BoolVar(&useTLS, "tls", false, "serve HTTPS with a self-signed certificate")
	return cmd
}

// printEmulatorSettings prints the emulators' settings as shell exports,
// and the MQTT broker emulator's address.
func printEmulatorSettings(w io.Writer, url, caFile string, b *mqttbroker.Broker) {
	fmt.Fprintf(w, "# iotauth emulators for oceanconnect, mxchip, cloudstudio, alimqtt and iotda on %s\n", url)
	fmt.Fprintf(w, "# MQTT broker emulator on tcp://%s and ssl://%s:%d (self-signed); MXCHIP MQTT clients and IoTDA devices connect to it\n",
		b.Addr(), b.Host, b.TLSPort)
	fmt.Fprintf(w, "export IOTAUTH_MQTT_BROKER=tcp://%s\n", b.Addr())
	fmt.Fprintf(w, "export IOTAUTH_IOTDA_MQTT_HOST=%s\nexport IOTAUTH_IOTDA_MQTT_PORT=%d\n", b.Host, b.Port)
	fmt.Fprintln(w, "# settings and test credentials:")
	for _, v := range emulatorVars(url, caFile) {
		fmt.Fprintf(w, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	fmt.Fprintln(w, "# ready; press Ctrl-C to stop")
}

// emulatorVars are the IOTAUTH_* settings that point iotauth at the
// emulators served on url, and at the CA file when they use TLS.
func emulatorVars(url, caFile string) [][2]string {
	vars := iotauthtest.Env(url)
	if caFile != "" {
		vars = append(vars, [2]string{"IOTAUTH_CA_FILE", caFile})
	}
	return vars
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '@') {
			return "'" + s + "'"
		}
	}
	return s
}
