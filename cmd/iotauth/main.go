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
