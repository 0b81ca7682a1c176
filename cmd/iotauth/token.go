package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/cloudstudio"
)

func newTokenCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token --platform oceanconnect|mxchip|cloudstudio|alimqtt|iotda",
		Short: "Print an access token",
		Long: `Print the platform's access token on standard output; with --format json
the whole token (type, expiry, scope and id, the refresh token redacted),
with --format header or curl the headers a request needs (see 'iotauth header').

The token is kept in the token store (iotauth in the user's cache directory,
or IOTAUTH_STORE_DIR) and reused by later runs until it is due for renewal,
so that runs do not log in each time: OceanConnect keeps only the last token
it issued valid, and every Cloud Studio login creates a persistent token.
With --no-store nothing is kept, and a Cloud Studio token created by the run
is deleted on exit. alimqtt tokens grant --resources (and --actions,
--lifetime).`,
		Example: `  iotauth token --platform oceanconnect
  iotauth token --platform mxchip --format json
  iotauth token --platform alimqtt --resources 'demo/#' --actions R`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printCredential(cmd, getenv)
		},
	}
	addOptionFlags(cmd)
	addFormatFlag(cmd, formatPlain, allFormats...)
	return cmd
}

func newHeaderCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "header --platform oceanconnect|mxchip|cloudstudio|iotda",
		Short: "Print the header lines a request to the platform needs",
		Long: `Print the header lines an API request to the platform needs, such as
"Authorization: Bearer ..." and, for OceanConnect, "app_key: <appId>".
With --format curl they are printed as a curl config, which 'curl -K -'
reads from standard input: the token never appears on a command line.
The token comes from the token store as with 'iotauth token'.

alimqtt tokens are MQTT passwords, not HTTP headers: see 'iotauth mqtt'.`,
		Example: `  iotauth header --platform oceanconnect
  iotauth header --platform oceanconnect --format curl |
    curl -sS --fail -K - "$IOTAUTH_OCEANCONNECT_BASE_URL/iocm/app/dm/v1.4.0/devices"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printCredential(cmd, getenv)
		},
	}
	addOptionFlags(cmd)
	addFormatFlag(cmd, formatHeader, allFormats...)
	return cmd
}

// printCredential gets a token and prints it in the command's format.
func printCredential(cmd *cobra.Command, getenv func(string) string) error {
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	if p := cmd.Flags().Lookup("platform"); (p.Value.String() == "alimqtt" || (!p.Changed && getenv("IOTAUTH_PLATFORM") == "alimqtt")) &&
		(format == formatHeader || format == formatCurl) {
		return &usageError{fmt.Sprintf("%s: alimqtt tokens are MQTT passwords, not HTTP headers; use 'iotauth mqtt --platform alimqtt', or --format plain or json", cmd.Name())}
	}
	got, err := obtainToken(cmd, getenv)
	if err != nil {
		return err
	}
	defer got.cleanup()
	out := cmd.OutOrStdout()
	switch format {
	case formatPlain:
		fmt.Fprintln(out, got.tok.AccessToken)
		return nil
	case formatJSON:
		return printTokenJSON(cmd, got.s.platform, got.tok)
	}
	req, err := http.NewRequest(http.MethodGet, "http://platform.invalid/", nil)
	if err != nil {
		return failure(err)
	}
	if err := iotauth.Authorize(got.src, req, got.tok); err != nil {
		return failure(err)
	}
	lines := headerLines(req.Header)
	if len(lines) == 0 {
		return failure(fmt.Errorf("%s: the platform takes its token elsewhere than in a header", got.s.platform))
	}
	if format == formatCurl {
		fmt.Fprint(out, curlConfig(lines))
		return nil
	}
	for _, line := range lines {
		fmt.Fprintln(out, line)
	}
	return nil
}

// headerLines formats h as sorted "Name: value" lines. Names with an
// underscore, which platforms document in lower case (app_key), are printed
// in lower case.
func headerLines(h http.Header) []string {
	var lines []string
	for name, values := range h {
		if strings.Contains(name, "_") {
			name = strings.ToLower(name)
		}
		for _, v := range values {
			lines = append(lines, name+": "+v)
		}
	}
	sort.Strings(lines)
	return lines
}

// obtained is a token with what it came from, and what to do on exit.
type obtained struct {
	s       *settings
	src     iotauth.TokenSource
	tok     *iotauth.Token
	cleanup func()
}

// obtainToken resolves the settings and gets a token for the command's
// platform through a Cache over the token store, which hands out the stored
// token while it is good and saves a new one. With --no-store, a Cloud
// Studio token, which would live on, is deleted by cleanup.
func obtainToken(cmd *cobra.Command, getenv func(string) string) (*obtained, error) {
	s, err := loadSettings(cmd, getenv, true)
	if err != nil {
		return nil, err
	}
	src, err := s.tokenSource()
	if err != nil {
		return nil, err
	}
	st, err := s.tokenStore()
	if err != nil {
		return nil, err
	}
	var opts []iotauth.CacheOption
	if st != nil && iotauth.Describe(src).StoreKey != "" {
		opts = append(opts, iotauth.WithStore(st))
	}
	tok, err := fetchToken(cmd.Context(), commandCache(cmd, src, opts...))
	if err != nil {
		return nil, err
	}
	got := &obtained{s: s, src: src, tok: tok, cleanup: func() {}}
	if cs, ok := src.(*cloudstudio.Provider); ok && st == nil {
		got.cleanup = func() {
			// Not the command's context: an interrupt must not leave the token behind.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := revokeCloudStudio(ctx, cs, tok); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "iotauth: --no-store: deleting the Cloud Studio token created by this run failed: %s\n", describeError(err))
				return
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "iotauth: --no-store: the Cloud Studio token created by this run was deleted")
		}
	}
	return got, nil
}

// commandCache is the Cache of a command run: its warnings are printed on
// one line each, and a failed login or refresh only once, as the command's
// error.
func commandCache(cmd *cobra.Command, src iotauth.TokenSource, opts ...iotauth.CacheOption) *iotauth.Cache {
	opts = append([]iotauth.CacheOption{iotauth.WithLogger(slog.New(warnings{cmd.ErrOrStderr()}))}, opts...)
	return iotauth.NewCache(src, opts...)
}

// fetchToken gets one token, classifying errors that are not the platform's.
func fetchToken(ctx context.Context, ts iotauth.TokenSource) (*iotauth.Token, error) {
	tok, err := ts.Token(ctx)
	if err != nil {
		var ie *iotauth.Error
		if asIotauthError(err, &ie) {
			return nil, err
		}
		return nil, failure(err)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, failure(fmt.Errorf("the platform returned no access token"))
	}
	return tok, nil
}

// tokenJSON is the --json form of a token. The access token is the point and
// is printed; the refresh token is redacted.
type tokenJSON struct {
	Platform     string         `json:"platform"`
	TokenType    string         `json:"token_type"`
	AccessToken  string         `json:"access_token"`
	RefreshToken iotauth.Secret `json:"refresh_token,omitempty"`
	Expiry       *time.Time     `json:"expiry,omitempty"`
	ExpiresIn    int64          `json:"expires_in,omitempty"`
	Scope        string         `json:"scope,omitempty"`
	ID           string         `json:"id,omitempty"`
}

func printTokenJSON(cmd *cobra.Command, platform string, tok *iotauth.Token) error {
	out := tokenJSON{
		Platform: platform, TokenType: tok.Type(), AccessToken: tok.AccessToken,
		RefreshToken: iotauth.Secret(tok.RefreshToken), Scope: tok.Scope, ID: tok.ID,
	}
	if !tok.Expiry.IsZero() {
		e := tok.Expiry.UTC().Truncate(time.Second)
		out.Expiry = &e
		out.ExpiresIn = int64(time.Until(tok.Expiry).Round(time.Second) / time.Second)
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
