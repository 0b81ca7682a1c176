// Package benchmarks compares iotauth's cache and transport with
// golang.org/x/oauth2 and smithy-go's bearer token cache, in one run. It is
// its own module so that iotauth's go.mod does not depend on them.
package benchmarks
