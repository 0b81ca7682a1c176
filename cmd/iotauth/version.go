package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// libraryPath is the module of the iotauth library the command is built on.
const libraryPath = "github.com/iotauth/iotauth"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of the command, of the iotauth library in it, and of Go",
		Long: `Print the command's module version, as 'go install' recorded it (or
"(devel)" for a build from a checkout, with its commit when known), the
version of the iotauth library it was built with, and the Go version.`,
		Example: `  iotauth version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "iotauth %s\n", commandVersion(bi))
			fmt.Fprintf(out, "library %s %s\n", libraryPath, libraryVersion(bi))
			fmt.Fprintf(out, "go %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// commandVersion is the main module's version, with the commit of a build
// from a checkout when the build recorded it.
func commandVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " commit " + rev
		if modified == "true" {
			v += " (modified)"
		}
	}
	return v
}

// libraryVersion is the version of the iotauth library module the command
// was built with: a release, or where a replace or go.work took it from.
func libraryVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(unknown)"
	}
	if bi.Main.Path == libraryPath {
		return commandVersion(bi)
	}
	for _, d := range bi.Deps {
		if d.Path != libraryPath {
			continue
		}
		if r := d.Replace; r != nil {
			if r.Version != "" {
				return r.Version
			}
			return "(devel, from " + r.Path + ")"
		}
		return d.Version
	}
	return "(unknown)"
}
