package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
)

func newTokenCmd(getenv func(string) string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "token --platform oceanconnect|mxchip|cloudstudio|alimqtt",
		Short: "Print an access token",
		Long: `Print the platform's access token on standard output, or with --json the
whole token: type, expiry, scope and id, the refresh token redacted.

With IOTAUTH_STORE_DIR (or --store-dir) set, the token is kept there and
reused by later runs instead of logging in each time; OceanConnect keeps only
the last token it issued valid, so a new login invalidates a token a service
is using. alimqtt tokens grant --resources (and --actions, --lifetime).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, tok, err := obtainToken(cmd, getenv)
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(cmd.OutOrStdout(), tok.AccessToken)
				return nil
			}
			return printTokenJSON(cmd, s.platform, tok)
		},
	}
	addOptionFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole token as JSON")
	return cmd
}

func newHeaderCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "header --platform oceanconnect|mxchip|cloudstudio",
		Short: "Print the header lines a request to the platform needs",
		Long: `Print the header lines an API request to the platform needs, such as
"Authorization: Bearer ..." and, for OceanConnect, "app_key: <appId>":

  curl $(iotauth header --platform oceanconnect | sed 's/^/-H /') ...

alimqtt tokens are MQTT passwords, not HTTP headers: see 'iotauth mqtt'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p := cmd.Flags().Lookup("platform"); p.Value.String() == "alimqtt" || (!p.Changed && getenv("IOTAUTH_PLATFORM") == "alimqtt") {
				return &usageError{"header: alimqtt tokens are MQTT passwords, not HTTP headers; use 'iotauth mqtt --platform alimqtt'"}
			}
			_, src, tok, err := obtainToken(cmd, getenv)
			if err != nil {
				return err
			}
			req, err := http.NewRequest(http.MethodGet, "http://platform.invalid/", nil)
			if err != nil {
				return failure(err)
			}
			if err := iotauth.Authorize(src, req, tok); err != nil {
				return failure(err)
			}
			for _, line := range headerLines(req.Header) {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			return nil
		},
	}
	addOptionFlags(cmd)
	return cmd
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

// obtainToken resolves the settings and gets a token for the command's
// platform: through a cache over the token store when IOTAUTH_STORE_DIR is
// set, else by one call.
func obtainToken(cmd *cobra.Command, getenv func(string) string) (*settings, iotauth.TokenSource, *iotauth.Token, error) {
	s, err := loadSettings(cmd, getenv, true)
	if err != nil {
		return nil, nil, nil, err
	}
	src, err := s.tokenSource()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := s.tokenStore()
	if err != nil {
		return nil, nil, nil, err
	}
	ts := src
	if st != nil {
		ts = iotauth.NewCache(src, iotauth.WithStore(st))
	}
	tok, err := fetchToken(cmd.Context(), ts)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, src, tok, nil
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
