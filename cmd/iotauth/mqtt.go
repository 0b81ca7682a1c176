package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
)

func newMQTTCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mqtt --platform alimqtt|mxchip",
		Short: "Print an MQTT login: host, ports, client id, username and password",
		Long: `Print what an MQTT client needs to connect to the platform's broker.

alimqtt: the device credential of --device (GroupID@@@DeviceID), registered
if the device has none, turned into the DeviceCredential|... username and its
signed password.
mxchip: a new MQTT client created for the application --app-id.

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
			login, err := mqttLogin(cmd, s)
			if err != nil {
				return err
			}
			return printMQTTLogin(cmd, login, format == formatJSON)
		},
	}
	addOptionFlags(cmd)
	addFormatFlag(cmd, formatPlain, formatPlain, formatJSON)
	return cmd
}

// mqttLogin obtains the MQTT login of the configured platform.
func mqttLogin(cmd *cobra.Command, s *settings) (iotauth.MQTTLogin, error) {
	ctx := cmd.Context()
	switch s.platform {
	case "alimqtt":
		device, err := s.need("device")
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		c, err := s.aliMQTT()
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		cred, err := c.DeviceCredential(ctx, device)
		if err != nil {
			return iotauth.MQTTLogin{}, platformError(err)
		}
		return cred.MQTTLogin(), nil
	case "mxchip":
		appID, err := s.need("app_id")
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		p, err := s.mxchip()
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		mc, err := p.NewClient(commandCache(cmd, p)).CreateMQTTClient(ctx, appID)
		if err != nil {
			return iotauth.MQTTLogin{}, platformError(err)
		}
		return mc.MQTTLogin(), nil
	}
	return iotauth.MQTTLogin{}, &usageError{fmt.Sprintf("mqtt: %s has no MQTT logins; use --platform alimqtt or mxchip", s.platform)}
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

func printMQTTLogin(cmd *cobra.Command, l iotauth.MQTTLogin, asJSON bool) error {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Host     string `json:"host"`
			Port     int    `json:"port,omitempty"`
			TLSPort  int    `json:"tls_port,omitempty"`
			ClientID string `json:"client_id"`
			Username string `json:"username"`
			Password string `json:"password"`
			Broker   string `json:"broker"`
		}{l.Host, l.Port, l.TLSPort, l.ClientID, l.Username, string(l.Password), l.BrokerURL()})
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
	return nil
}
