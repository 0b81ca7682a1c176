package redisstore

import "testing"

// FuzzParseMessage feeds arbitrary channel messages to the parser the
// watchers use: it must not panic, and a message it accepts must be the
// one message builds from what it returned.
func FuzzParseMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, m string) {
		key, encoded, ok := parseMessage(m)
		if !ok {
			if key != "" || encoded != "" {
				t.Fatal("a refused message returned parts")
			}
			return
		}
		if got := message(key, []byte(encoded)); got != m {
			t.Fatalf("message(%q, %q) = %q, want %q", key, encoded, got, m)
		}
	})
}

func TestParseMessage_RoundTripsAndRefusesBadPrefixes(t *testing.T) {
	key := "iotauth:v1:oceanconnect:0011"
	k, e, ok := parseMessage(message(key, []byte("IAT\x01\x00{}")))
	if !ok || k != key || e != "IAT\x01\x00{}" {
		t.Fatalf("round trip: %q %q %v", k, e, ok)
	}
	for _, bad := range []string{"", "junk", ":x", "-1:x", "5:abc", "+3:abc", "03:abc", "123456789:x"} {
		if _, _, ok := parseMessage(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}
