package alisign

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docExample is the worked example of Alibaba Cloud's signature documentation.
func docExample() url.Values {
	return url.Values{
		"TimeStamp":        {"2016-02-23T12:46:24Z"},
		"Format":           {"XML"},
		"AccessKeyId":      {"testid"},
		"Action":           {"DescribeRegions"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"Version":          {"2014-05-26"},
		"SignatureVersion": {"1.0"},
	}
}

// The documentation prints the StringToSign with the separators between the
// pairs left as "&"; they are encoded as %26, as the rule it states says, and
// only that form yields the documented signature (TestSign_DocumentedExample_Matches).
func TestStringToSign_DocumentedExample_Matches(t *testing.T) {
	printed := "GET&%2F&AccessKeyId%3Dtestid&Action%3DDescribeRegions&Format%3DXML" +
		"&SignatureMethod%3DHMAC-SHA1&SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" +
		"&SignatureVersion%3D1.0&TimeStamp%3D2016-02-23T12%253A46%253A24Z&Version%3D2014-05-26"
	got := StringToSign("GET", docExample())
	assert.True(t, strings.HasPrefix(got, "GET&%2F&AccessKeyId%3Dtestid%26Action"), got)
	assert.Equal(t, printed, "GET&%2F&"+strings.ReplaceAll(strings.TrimPrefix(got, "GET&%2F&"), "%26", "&"))
}

func TestSign_DocumentedExample_Matches(t *testing.T) {
	assert.Equal(t, "CT9X0VtwR86fNWSnsc6v8YGOjuE=", Sign("GET", docExample(), "testsecret"))
}

func TestSign_IgnoresSignatureParameter(t *testing.T) {
	p := docExample()
	p.Set("Signature", "anything")
	assert.Equal(t, "CT9X0VtwR86fNWSnsc6v8YGOjuE=", Sign("GET", p, "testsecret"))
}

func TestVerify_RightSecret_Accepts_WrongSecretOrTamperedParam_Refuses(t *testing.T) {
	p := docExample()
	p.Set("Signature", Sign("POST", p, "testsecret"))
	assert.True(t, Verify("POST", p, "testsecret"))
	assert.False(t, Verify("POST", p, "other"), "wrong secret")
	assert.False(t, Verify("GET", p, "testsecret"), "other method")
	p.Set("Action", "DescribeZones")
	assert.False(t, Verify("POST", p, "testsecret"), "tampered parameter")
	p.Del("Signature")
	assert.False(t, Verify("POST", p, "testsecret"), "no signature")
}

func TestEncode_RFC3986(t *testing.T) {
	cases := map[string]string{
		"a b":           "a%20b",
		"a*b":           "a%2Ab",
		"a~b-c_d.e":     "a~b-c_d.e",
		"a+b/c=d&e":     "a%2Bb%2Fc%3Dd%26e",
		"GID_test@@@1":  "GID_test%40%40%401",
		"中":             "%E4%B8%AD",
		"AZaz09":        "AZaz09",
		"topic/#,a/+/b": "topic%2F%23%2Ca%2F%2B%2Fb",
	}
	for in, want := range cases {
		assert.Equal(t, want, Encode(in), in)
	}
}

func TestCanonicalize_SortsByByteOrder_KeepsEmptyValues(t *testing.T) {
	p := url.Values{"b": {"2"}, "B": {"1"}, "a": {""}, "Signature": {"x"}}
	assert.Equal(t, "B=1&a=&b=2", Canonicalize(p))
}

func TestNonce_IsUniqueUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		n := Nonce()
		require.Regexp(t, re, n)
		require.False(t, seen[n], "nonce repeated")
		seen[n] = true
	}
}
