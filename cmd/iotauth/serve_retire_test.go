package main

import (
	"context"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/iotauth/iotauth/iotauthtest"
)

// poolSweepers counts the goroutines sweeping a Pool of Caches for idle
// ones, which an alimqtt Provider runs while it keeps device credentials.
func poolSweepers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "iotauth.(*Pool).sweeper")
}

// A credential retired by a reload or at shutdown closes what its MQTT
// logins keep: the alimqtt Provider's device credentials and the goroutine
// that sweeps them, which would otherwise stay for their idle timeout
// (an hour) after every reload that drops the credential.
func TestServe_RetiredAlibabaCredential_ClosesItsDeviceCredentials(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	a := &agent{log: slog.New(slog.DiscardHandler)}
	c, err := a.newCredential(credConfig{name: "ali", platform: "alimqtt", keys: map[string]string{
		"base_url": srv.URL, "region_id": iotauthtest.EmulatorRegion, "instance_id": iotauthtest.AlibabaInstanceID,
		"access_key_id": iotauthtest.AlibabaAccessKeyID, "access_key_secret": iotauthtest.AlibabaAccessKeySecret,
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := poolSweepers()
	if _, err := c.mqtt(context.Background(), url.Values{"client_id": {"GID_test@@@dev1"}}); err != nil {
		t.Fatal(err)
	}
	if got := poolSweepers(); got != before+1 {
		t.Fatalf("%d sweepers after a device-credential login, want %d: the test no longer sees what it checks", got, before+1)
	}
	c.retire()
	if got := poolSweepers(); got != before {
		t.Fatalf("%d sweepers after the credential was retired, want %d", got, before)
	}
}
