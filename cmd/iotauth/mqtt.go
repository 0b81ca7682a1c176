package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
)

// The Alibaba Cloud MQTT login modes of 'iotauth mqtt'.
const (
	modeDeviceCredential = "device-credential"
	modeSignature        = "signature"
	modeToken            = "token"
)

func newMQTTCmd(getenv func(string) string) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "mqtt --platform alimqtt|mxchip|iotda [--mode device-credential|signature|token]",
		Short: "Print an MQTT login: host, ports, client id, username and password",
		Long: `Print what an MQTT client needs for its next CONNECT to the platform's broker.

alimqtt, by --mode (or IOTAUTH_ALIMQTT_MODE):
  device-credential (default): the device credential of --device
    (GroupID@@@DeviceID), registered if the device has none, as the
    DeviceCredential|... username and its signed password;
  signature: the AccessKey's Signature|... login of --device;
  token: a token for --resources and --actions (R, W or R,W), as the
    Token|... username and the password by token type (RW|token for R,W),
    with the token's expiry.
mxchip: the MQTT client of the application --app-id. It is created once,
kept in the token store (by default under the user's cache directory) and
reused by later runs; with --no-store each run creates one.
iotda: the secret login of the device --device (secret in
IOTAUTH_IOTDA_DEVICE_SECRET) on --mqtt-host, for the current UTC hour:
client id {device_id}_0_1_{YYYYMMDDHH}, valid while the platform's clock
is within that hour.

The password is printed: it is the point of the command.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			s, err := loadSettings(cmd, getenv, true)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("mode") {
				if m := getenv("IOTAUTH_ALIMQTT_MODE"); m != "" {
					mode = m
				}
			}
			src, err := mqttSource(cmd, s, mode)
			if err != nil {
				return err
			}
			login, err := src.MQTTLogin(cmd.Context())
			if err != nil {
				return platformError(err)
			}
			return printMQTTLogin(cmd, s.platform, login, format == formatJSON)
		},
	}
	addOptionFlags(cmd)
	cmd.Flags().StringVar(&mode, "mode", modeDeviceCredential, "alimqtt: login mode: device-credential, signature or token (or IOTAUTH_ALIMQTT_MODE)")
	addFormatFlag(cmd, formatPlain, formatPlain, formatJSON)
	return cmd
}

// mqttSource builds the MQTT login source of the configured platform.
func mqttSource(cmd *cobra.Command, s *settings, mode string) (iotauth.MQTTSource, error) {
	st, err := s.tokenStore()
	if err != nil {
		return nil, err
	}
	// The command reports a failure itself; its caches' other warnings go
	// to standard error.
	opts := []iotauth.CacheOption{iotauth.WithLogger(slog.New(warnings{cmd.ErrOrStderr()}))}
	if st != nil {
		opts = append(opts, iotauth.WithStore(st))
	}
	switch s.platform {
	case "alimqtt":
		c, err := s.aliMQTT()
		if err != nil {
			return nil, err
		}
		if mode == modeToken {
			ts, err := s.aliTokenSource(c)
			if err != nil {
				return nil, err
			}
			device, err := s.need("device")
			if err != nil {
				return nil, err
			}
			return c.TokenMQTTSource(device, iotauth.NewCache(ts, opts...)), nil
		}
		device, err := s.need("device")
		if err != nil {
			return nil, err
		}
		switch mode {
		case modeDeviceCredential:
			return c.DeviceCredentialSource(device, opts[0]), nil
		case modeSignature:
			return c.SignatureSource(device, opts[0]), nil
		}
		return nil, &usageError{fmt.Sprintf("mqtt: --mode %q is not device-credential, signature or token", mode)}
	case "mxchip":
		appID, err := s.need("app_id")
		if err != nil {
			return nil, err
		}
		p, err := s.mxchip()
		if err != nil {
			return nil, err
		}
		return p.NewClient(iotauth.NewCache(p, opts...)).MQTTSource(appID, opts[0]), nil
	case "iotda":
		return s.iotdaDevice()
	}
	return nil, &usageError{fmt.Sprintf("mqtt: %s has no MQTT logins; use --platform alimqtt, mxchip or iotda", s.platform)}
}

// platformError keeps an *iotauth.Error as it is and marks anything else as
// a runtime failure.
func platformError(err error) error {
	var ie *iotauth.Error
	if asIotauthError(err, &ie) {
		return err
	}
	return failure(err)
}

// mqttLoginJSON is the --format json form of an MQTT login; serve's /mqtt
// answers it too.
type mqttLoginJSON struct {
	Platform string     `json:"platform"`
	Host     string     `json:"host"`
	Port     int        `json:"port,omitempty"`
	TLSPort  int        `json:"tls_port,omitempty"`
	ClientID string     `json:"client_id"`
	Username string     `json:"username"`
	Password string     `json:"password"`
	Broker   string     `json:"broker"`
	Expiry   *time.Time `json:"expiry,omitempty"`
}

func newMQTTLoginJSON(platform string, l iotauth.MQTTLogin) mqttLoginJSON {
	var expiry *time.Time
	if !l.Expiry.IsZero() {
		e := l.Expiry.UTC()
		expiry = &e
	}
	return mqttLoginJSON{platform, l.Host, l.Port, l.TLSPort, l.ClientID, l.Username, string(l.Password), l.BrokerURL(), expiry}
}

func printMQTTLogin(cmd *cobra.Command, platform string, l iotauth.MQTTLogin, asJSON bool) error {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(newMQTTLoginJSON(platform, l))
	}
	fmt.Fprintf(out, "host:      %s\n", l.Host)
	if l.Port != 0 {
		fmt.Fprintf(out, "port:      %d\n", l.Port)
	}
	if l.TLSPort != 0 {
		fmt.Fprintf(out, "tls port:  %d\n", l.TLSPort)
	}
	fmt.Fprintf(out, "client id: %s\nusername:  %s\npassword:  %s\nbroker:    %s\n",
		l.ClientID, l.Username, string(l.Password), l.BrokerURL())
	if !l.Expiry.IsZero() {
		fmt.Fprintf(out, "expires:   %s\n", l.Expiry.UTC().Format(time.RFC3339))
	}
	return nil
}
