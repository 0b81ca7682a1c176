// Package iotauthtest emulates the platforms iotauth supports, on one
// loopback HTTP server, for iotauth's own tests, its demo, and users' tests.
//
// Each platform keeps its documented request and response shapes, error
// bodies and quirks (OceanConnect keeps only the last token valid, MXCHIP
// answers errors with HTTP 200, Cloud Studio locks an account behind a
// captcha, Alibaba verifies request signatures), counts the calls it
// receives, and can be told to misbehave through its Faults.
//
// Its place: part of the root module, importable by users' tests; the
// providers' tests, the command line (iotauth emulate, iotauth demo) and the
// examples run against it, and its IOTAUTH_* settings (Env) are the ones the
// command and the examples read.
package iotauthtest
