package storetest

import (
	"testing"
	"time"

	"github.com/iotauth/iotauth"
)

// BenchLoadSave measures a Load and a Save of one token on s, as sub-benchmarks
// "Load" and "Save", so that every store is measured the same way.
func BenchLoadSave(b *testing.B, s iotauth.Store) {
	key := iotauth.StoreKey("oceanconnect", "https://iot.example.com:8743", "app-1")
	tok := Token(1, time.Hour)
	if err := s.Save(b.Context(), key, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("Load", func(b *testing.B) {
		for b.Loop() {
			if t, err := s.Load(b.Context(), key); err != nil || t == nil {
				b.Fatal(t, err)
			}
		}
	})
	b.Run("Save", func(b *testing.B) {
		for b.Loop() {
			if err := s.Save(b.Context(), key, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
