package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck_ReportsEachUndocumentedExportedIdentifier(t *testing.T) {
	dir := t.TempDir()
	src := `package p

// Documented is documented.
func Documented() {}

func Bare() {}

type hidden struct{}

func (hidden) Method() {}

type Open struct{}

// Doc is documented.
func (*Open) Doc() {}

func (*Open) NoDoc() {}

// The group's comment documents its members.
const (
	A = 1
	B = 2
)

var (
	C = 1 // a line comment documents it
	D = 2
	e = 3
)
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	// Tests, package main and testdata are not checked.
	for name, body := range map[string]string{
		"p_test.go":        "package p\n\nfunc TestX() {}\n",
		"cmd/main.go":      "package main\n\nfunc Exported() {}\n",
		"testdata/data.go": "package data\n\nfunc Exported() {}\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Bare", "Open", "NoDoc", "D"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want the identifiers %q", got, want)
	}
	for i, w := range want {
		if !strings.HasSuffix(got[i], ": "+w) {
			t.Errorf("finding %d = %q, want %s", i, got[i], w)
		}
	}
}
