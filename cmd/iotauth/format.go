package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// The output formats of token, header and mqtt.
const (
	formatPlain  = "plain"  // the credential alone (token), or a readable block (mqtt)
	formatJSON   = "json"   // everything, as a JSON object
	formatHeader = "header" // the HTTP header lines a request needs
	formatCurl   = "curl"   // the same headers as a curl config, for 'curl -K -'
)

// allFormats lists every format, in the order --help shows them.
var allFormats = []string{formatPlain, formatJSON, formatHeader, formatCurl}

// addFormatFlag registers --format on cmd with its default and the formats
// the command can print, and the older --json, hidden, as a spelling of
// --format json (pflag's deprecation notice would go to standard output,
// into the JSON).
func addFormatFlag(cmd *cobra.Command, def string, formats ...string) {
	f := cmd.Flags()
	f.String("format", def, "output format: "+strings.Join(formats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	f.Bool("json", false, "same as --format json")
	_ = f.MarkHidden("json") // older spelling, kept working

	cmd.Annotations = map[string]string{"formats": strings.Join(formats, ",")}
}

// outputFormat returns the format the command was asked for, refusing one
// it cannot print (or that does not exist) as bad usage.
func outputFormat(cmd *cobra.Command) (string, error) {
	f := cmd.Flags()
	format, _ := f.GetString("format")
	if asJSON, _ := f.GetBool("json"); asJSON {
		if f.Changed("format") && format != formatJSON {
			return "", &usageError{fmt.Sprintf("%s: --json and --format %s contradict each other", cmd.CommandPath(), format)}
		}
		format = formatJSON
		fmt.Fprintln(cmd.ErrOrStderr(), "iotauth: --json is deprecated: use --format json")
	}
	formats := strings.Split(cmd.Annotations["formats"], ",")
	if !slices.Contains(formats, format) {
		why := "is not a format"
		if slices.Contains(allFormats, format) {
			why = "does not apply here"
		}
		return "", &usageError{fmt.Sprintf("%s: --format %q %s; use one of %s", cmd.CommandPath(), format, why, strings.Join(formats, ", "))}
	}
	return format, nil
}

// curlConfig formats header lines as a curl config file ("curl -K -"
// reads it from standard input), so that the token reaches curl without
// appearing on a command line.
func curlConfig(lines []string) string {
	var b strings.Builder
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	for _, l := range lines {
		fmt.Fprintf(&b, "header = \"%s\"\n", r.Replace(l))
	}
	return b.String()
}
