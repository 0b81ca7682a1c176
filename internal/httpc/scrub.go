package httpc

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/redact"
)

// minHidden is the shortest secret scrubbed from platforms' messages: a
// shorter one would blank ordinary words, and is no secret worth the name.
const minHidden = 4

// hiddenForms returns the forms in which a platform may echo secrets back in
// an error message: as they are, form-encoded, percent-encoded, and encoded
// twice (Alibaba's "string to sign", which holds an STS SecurityToken, is
// percent-encoded text percent-encoded again), longest first.
func hiddenForms(secrets []string) []string {
	var forms []string
	for _, s := range secrets {
		if len(s) < minHidden {
			continue
		}
		q, p := url.QueryEscape(s), alisign.Encode(s)
		forms = append(forms, s, q, p, url.QueryEscape(q), alisign.Encode(p))
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return slices.Compact(forms)
}

// scrub replaces every form of the client's secrets in s with Redacted.
func (c *Client) scrub(s string) string {
	for _, h := range *c.hidden {
		s = strings.ReplaceAll(s, h, redact.Redacted)
	}
	return s
}
