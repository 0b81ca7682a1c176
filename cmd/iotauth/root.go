package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. getenv is the environment.
func newRootCmd(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "iotauth",
		Short: "Credentials for IoT platforms: tokens, headers, MQTT logins, emulators and a demo",
		Long: `iotauth obtains and inspects credentials for Huawei OceanConnect, MXCHIP,
Cloud Studio and Alibaba Cloud MQTT, serves emulators of those platforms, and
demonstrates the iotauth cache and transport against them.

Settings come from flags (non-secret ones only), IOTAUTH_<PLATFORM>_<KEY>
environment variables, and a JSON config file (--config) with one object per
platform:

  {"store_dir": "/var/lib/iotauth",
   "oceanconnect": {"base_url": "https://host:8743", "app_id": "...", "secret_file": "/run/secrets/oc"}}

A flag wins over a variable, which wins over the config file. Secrets
(IOTAUTH_OCEANCONNECT_SECRET, IOTAUTH_MXCHIP_CLIENT_SECRET,
IOTAUTH_CLOUDSTUDIO_PASSWORD, IOTAUTH_ALIMQTT_ACCESS_KEY_SECRET) are read from
the variable, from the file a <VARIABLE>_FILE variable names ("-" reads
standard input), or from the config file, never from a flag: a flag ends up
in the shell history and ps. A config file that holds a secret itself must
not be readable by group or others (chmod 600), as with ssh.

Tokens are kept between runs in a token store, iotauth in the user's cache
directory (or --store-dir, IOTAUTH_STORE_DIR), so that repeated runs reuse a
token instead of logging in, and 'iotauth revoke' finds what was created;
--no-store keeps nothing.

Exit codes: 0 success, 1 platform or network failure, 2 bad usage or a
missing setting, 3 the platform refused the credentials.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	bi, _ := debug.ReadBuildInfo()
	root.Version = commandVersion(bi)
	root.SetVersionTemplate("iotauth {{.Version}}\n")
	addGlobalFlags(root)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newDemoCmd(),
		newEmulateCmd(),
		newTokenCmd(getenv),
		newHeaderCmd(getenv),
		newMQTTCmd(getenv),
		newRevokeCmd(getenv),
		newServeCmd(getenv),
		newVersionCmd(),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(flagError)
	}
	return root
}

// flagError turns a flag error into bad usage, and an attempt to pass a
// secret as a flag into an explanation of where secrets go.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		name, _, _ = strings.Cut(name, "=")
		if key, isSecret := secretFlags[name]; isSecret {
			return &settingError{fmt.Sprintf("--%s: secrets are not accepted as flags (they would land in the shell history and ps); set IOTAUTH_<PLATFORM>_%s or IOTAUTH_<PLATFORM>_%s_FILE, or %q in the config file",
				name, strings.ToUpper(key), strings.ToUpper(key), key)}
		}
	}
	return &usageError{fmt.Sprintf("%s: %s", cmd.CommandPath(), msg)}
}

// noArgs refuses positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
