// Command iotauth obtains and inspects credentials for the IoT platforms
// iotauth supports, serves their emulators, and demonstrates the cache and
// transport against them.
//
//	iotauth demo                                  # everything, in-process, no account needed
//	iotauth emulate --addr 127.0.0.1:8743         # the emulators, for your own service
//	iotauth token --platform oceanconnect         # an access token
//	iotauth header --platform oceanconnect        # the header lines a request needs
//	iotauth mqtt --platform alimqtt --device ID   # an MQTT login
//	iotauth revoke --platform cloudstudio         # delete the stored Cloud Studio token
//
// Non-secret settings come from flags, IOTAUTH_* environment variables or a
// JSON config file (--config); secrets only from the environment, a file, or
// the config file, never from a flag. Exit codes: 0 success, 1 platform or
// network failure, 2 bad usage or a missing setting, 3 authentication refused.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code.
// getenv is the environment, so that tests can run the command in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	msg := describeError(err)
	if !strings.HasPrefix(msg, "iotauth: ") {
		msg = "iotauth: " + msg
	}
	fmt.Fprintln(stderr, msg)
	if code == exitUsage && !isSettingError(err) {
		fmt.Fprintln(stderr, "Run 'iotauth --help' for usage.")
	}
	return code
}
