package httpc_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

var fields = httpc.Fields{Platform: "test"}

func TestBaseURL_AcceptsHTTPSAndLoopbackHTTP(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example.com/":     "https://api.example.com",
		"https://h.example:8743/base/": "https://h.example:8743/base",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"http://[::1]:8080/":           "http://[::1]:8080",
		"http://localhost:1":           "http://localhost:1",
		"http://127.9.9.9":             "http://127.9.9.9",
	} {
		got, err := fields.BaseURL("BaseURL", raw, "", false)
		require.NoError(t, err, raw)
		assert.Equal(t, want, got)
	}
	got, err := fields.BaseURL("BaseURL", "", "https://default.example/", false)
	require.NoError(t, err)
	assert.Equal(t, "https://default.example", got)
}

func TestBaseURL_HTTPToAnotherHost_OnlyWhenAllowed(t *testing.T) {
	_, err := fields.BaseURL("BaseURL", "http://emulator:8743", "", false)
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.Contains(t, err.Error(), "AllowInsecureHTTP")
	got, err := fields.BaseURL("BaseURL", "http://emulator:8743", "", true)
	require.NoError(t, err)
	assert.Equal(t, "http://emulator:8743", got)
}

func TestBaseURL_RefusesWhatIsNotAPlainAbsoluteURL_WithoutQuotingIt(t *testing.T) {
	for raw, why := range map[string]string{
		"":                                  "is required",
		"::":                                "is not a URL",
		"ftp://x.example":                   "absolute https",
		"//x.example/path":                  "absolute https",
		"api.example.com":                   "absolute https",
		"https:opaque-s3cret":               "absolute https",
		"https://":                          "no host",
		"https://:8743":                     "no host",
		"https://user:s3cret@x.example":     "user info",
		"https://x.example/?token=s3cret":   "query",
		"https://x.example/?":               "query",
		"https://x.example/#s3cret":         "fragment",
		"https://x.example/#":               "fragment",
		"http://169.254.169.254/s3cret":     "https",
		"https://x.example:99999/s3cret%zz": "not a URL",
	} {
		_, err := fields.BaseURL("BaseURL", raw, "", false)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, raw)
		assert.Contains(t, err.Error(), "Config.BaseURL", raw)
		assert.Contains(t, err.Error(), why, raw)
		assert.NotContains(t, err.Error(), "s3cret", raw)
		var e *iotauth.Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, "New", e.Op)
	}
}

func TestFields_RequiredMatchHostname(t *testing.T) {
	require.NoError(t, fields.Required("A", true))
	assert.ErrorIs(t, fields.Required("A", false), iotauth.ErrBadRequest)
	re := regexp.MustCompile(`^[a-z]+$`)
	require.NoError(t, fields.Match("A", "abc", re, "letters"))
	err := fields.Match("A", "s3cret/..", re, "letters")
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.NotContains(t, err.Error(), "s3cret")
	for _, ok := range []string{"x.mqtt.aliyuncs.com", "127.0.0.1", "::1", "a-b.c"} {
		assert.NoError(t, fields.Hostname("H", ok), ok)
	}
	for _, bad := range []string{"", "x/y", "x:1883", "-x.example", "x.example.", "a@b", "[::1]", "x example", "x.example/"} {
		assert.ErrorIs(t, fields.Hostname("H", bad), iotauth.ErrBadRequest, bad)
	}
	assert.Nil(t, httpc.First(nil, nil))
	assert.Equal(t, "b", httpc.First(nil, errors.New("b"), errors.New("c")).Error())
}
