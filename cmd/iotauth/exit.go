package main

import (
	"errors"
	"strings"

	"github.com/iotauth/iotauth"
)

// The process exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the platform or the network failed
	exitUsage   = 2 // bad usage, a missing or invalid setting
	exitRefused = 3 // the platform refused the credentials
)

// usageError is bad usage or a bad setting: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// settingError is a missing or invalid setting, also exit code 2; its message
// names the variable to set and needs no usage hint.
type settingError struct{ msg string }

func (e *settingError) Error() string { return e.msg }

func isSettingError(err error) bool {
	var s *settingError
	return errors.As(err, &s)
}

// exitCode maps an error returned by a command to the process exit code.
// Errors from cobra itself (unknown command or flag, wrong arguments) are
// bad usage.
func exitCode(err error) int {
	var u *usageError
	var s *settingError
	var ie *iotauth.Error
	switch {
	case errors.As(err, &u), errors.As(err, &s):
		return exitUsage
	case iotauth.IsCredentialFailure(err):
		return exitRefused
	case errors.As(err, &ie), errors.Is(err, errFailure):
		return exitFailure
	}
	return exitUsage
}

// errFailure marks a runtime failure that is not an *iotauth.Error, such as a
// demo figure that is wrong: exit code 1.
var errFailure = errors.New("failed")

// failure wraps err so that it exits with code 1.
func failure(err error) error {
	if err == nil {
		return nil
	}
	return &failed{err}
}

type failed struct{ err error }

func (f *failed) Error() string   { return f.err.Error() }
func (f *failed) Unwrap() []error { return []error{f.err, errFailure} }

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func asIotauthError(err error, target **iotauth.Error) bool { return errors.As(err, target) }
