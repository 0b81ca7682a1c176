// Package emulated gives the examples the settings of the built-in platform
// emulators, in the form of the IOTAUTH_* variables the iotauth command and
// the examples read, for when no real settings are given.
package emulated

import "github.com/iotauth/iotauth/iotauthtest"

// Getenv returns a lookup of the IOTAUTH_* settings of the emulators served
// at url (their base URLs and the test credentials they accept), plus the
// Alibaba device the examples use.
func Getenv(url string) func(string) string {
	m := map[string]string{"IOTAUTH_ALIMQTT_DEVICE": "GID_example@@@device-001"}
	for _, kv := range iotauthtest.Env(url) {
		m[kv[0]] = kv[1]
	}
	return func(k string) string { return m[k] }
}
