package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/iotauth/iotauth"
)

// describeError is the one-line message for err. A call that got no answer
// because of the network or TLS says so, instead of the "server error" its
// kind reads as, and a certificate the system does not trust points at
// --ca-file.
func describeError(err error) string {
	msg := oneLine(err.Error())
	var ie *iotauth.Error
	if !errors.As(err, &ie) || ie.HTTPStatus != 0 || ie.Err == nil {
		return msg
	}
	what, hint := classifyTransport(ie.Err)
	if what == "" {
		return msg
	}
	prefix := "iotauth: " + ie.Platform
	if ie.Op != "" {
		prefix += " " + ie.Op
	}
	out := prefix + ": " + what + ": " + oneLine(ie.Err.Error())
	if hint != "" {
		out += " (" + hint + ")"
	}
	return out
}

// caHint is the advice for a certificate signed by an authority the system
// does not trust.
const caHint = "if the platform's certificate comes from a private authority, pass its PEM with --ca-file or IOTAUTH_CA_FILE"

// classifyTransport names a failure to get an answer: "TLS error" or
// "network error", with a hint when there is one to give; "" for anything
// else.
func classifyTransport(err error) (what, hint string) {
	var (
		unknownCA *x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		dns       *net.DNSError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "TLS error", caHint
	case errors.As(err, &hostname):
		return "TLS error", "the certificate is for other names: check the base URL's host"
	case errors.As(err, &invalid):
		return "TLS error", "the platform's certificate is not valid (expired, or not for a server)"
	case errors.As(err, &verify):
		return "TLS error", caHint
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS error", "the server does not speak TLS: should the base URL start with http://?"
	case errors.As(err, &alert):
		return "TLS error", ""
	case errors.As(err, &dns):
		return "network error", "check the base URL's host name"
	case errors.As(err, &op):
		return "network error", ""
	case strings.Contains(err.Error(), "tls: "), strings.Contains(err.Error(), "x509: "):
		return "TLS error", ""
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "network error", ""
	}
	return "", ""
}

// warnings is the Cache's logger in the command: a failed login or refresh
// is the command's own error, printed once by run, so only the other
// warnings (a token store that failed) are printed, on one line each.
type warnings struct{ w io.Writer }

func (h warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h warnings) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h warnings) WithGroup(string) slog.Handler                { return h }

func (h warnings) Handle(_ context.Context, r slog.Record) error {
	var op, cause string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "op":
			op = a.Value.String()
		case "error":
			cause = a.Value.String()
		}
		return true
	})
	if op == "login" || op == "refresh" {
		return nil
	}
	msg := strings.TrimPrefix(r.Message, "iotauth: ")
	if cause != "" {
		msg += ": " + strings.TrimPrefix(cause, "iotauth: ")
	}
	_, err := fmt.Fprintln(h.w, "iotauth: warning: "+oneLine(msg))
	return err
}
