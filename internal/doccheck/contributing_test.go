package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContributingMap_NamesEveryRootFile keeps CONTRIBUTING.md's "where
// things live" map true: every non-test Go file of the root package is in it.
func TestContributingMap_NamesEveryRootFile(t *testing.T) {
	doc, err := os.ReadFile("../../CONTRIBUTING.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Where things live")
	if !ok {
		t.Fatal(`CONTRIBUTING.md has no "Where things live" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	files, err := filepath.Glob("../../*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("CONTRIBUTING.md's map does not name %s", name)
		}
	}
}
