package store_test

import (
	"testing"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/storetest"
)

// benchLoadSave measures a Load and a Save of one token on s.
func benchLoadSave(b *testing.B, s iotauth.Store) {
	key := iotauth.StoreKey("oceanconnect", "https://iot.example.com:8743", "app-1")
	tok := storetest.Token(1, time.Hour)
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

func BenchmarkMemory(b *testing.B) { benchLoadSave(b, store.NewMemory()) }

func BenchmarkFile(b *testing.B) {
	for name, opts := range map[string][]store.FileOption{
		"Clear":     nil,
		"Encrypted": {store.WithFileEncryptionKey(fileKey)},
	} {
		b.Run(name, func(b *testing.B) {
			f, err := store.NewFile(b.TempDir()+"/tokens", opts...)
			if err != nil {
				b.Fatal(err)
			}
			benchLoadSave(b, f)
		})
	}
}
