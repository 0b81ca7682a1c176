package loopback

import "testing"

func TestHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":          true,
		"LocalHost":          true,
		"localhost.":         true,
		"127.0.0.1":          true,
		"127.1.2.3":          true,
		"::1":                true,
		"::ffff:127.0.0.1":   true,
		"app.localhost":      false, // resolved through DNS by Go: see Host
		"localhost.evil.com": false,
		"evil-localhost":     false,
		"localhostx":         false,
		"[::1]":              false, // a host without its port has no brackets
		"127.0.0.1:80":       false,
		"0.0.0.0":            false,
		"::":                 false,
		"10.0.0.1":           false,
		"128.0.0.1":          false,
		"192.168.1.1":        false,
		"example.com":        false,
		"":                   false,
	} {
		if got := Host(host); got != want {
			t.Errorf("Host(%q) = %v, want %v", host, got, want)
		}
	}
}
