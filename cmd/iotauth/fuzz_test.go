package main

import (
	"errors"
	"testing"
)

// FuzzParseConfig feeds arbitrary config files to the parser: it must not
// panic, and either refuse the file with a setting error (exit code 2) or
// return only known sections and keys.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"oceanconnect": {"base_url": "https://host:8743", "app_id": "a", "secret_file": "/run/s"}}`))
	f.Add([]byte(`{"store_dir": "/tmp/t", "cloudstudio": {"client_id": 79, "email": "e@x"}}`))
	f.Add([]byte(`{"alimqtt": {"region_id": "cn-hangzhou", "resources": "a/#,b/#", "actions": "R,W"}}`))
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`))
	f.Add([]byte(`{"mxchip": {"client_id": null}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := parseConfig("fuzz.json", b)
		if err != nil {
			var se *settingError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a setting error: %v", err, err)
			}
			if exitCode(err) != exitUsage {
				t.Fatalf("exit code %d for a bad config file", exitCode(err))
			}
			return
		}
		for k := range cfg.global {
			if !isGlobalKey(k) {
				t.Fatalf("unknown global key %q accepted", k)
			}
		}
		for p, sec := range cfg.sections {
			if !isPlatform(p) {
				t.Fatalf("unknown section %q accepted", p)
			}
			for k := range sec {
				if !isSectionKey(p, k) {
					t.Fatalf("unknown key %q accepted in %q", k, p)
				}
			}
		}
	})
}
