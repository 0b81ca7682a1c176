package store_test

import (
	"testing"

	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/storetest"
)

func BenchmarkMemory(b *testing.B) { storetest.BenchLoadSave(b, store.NewMemory()) }

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
			storetest.BenchLoadSave(b, f)
		})
	}
}
