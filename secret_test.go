package iotauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

const plain = "s3cr3t-value"

func everyPrint(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	j, _ := json.Marshal(v)
	out["json"] = string(j)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
	out["slog-json"] = buf.String()
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
	out["slog-text"] = buf.String()
	return out
}

func TestSecret_NeverPrintsItsValue(t *testing.T) {
	type config struct {
		AppID  string
		Secret iotauth.Secret
	}
	for name, v := range map[string]any{
		"secret":         iotauth.Secret(plain),
		"pointer":        ptr(iotauth.Secret(plain)),
		"in a struct":    config{AppID: "app", Secret: plain},
		"in a pointer":   &config{AppID: "app", Secret: plain},
		"in a slice":     []iotauth.Secret{plain},
		"in a map value": map[string]iotauth.Secret{"k": plain},
	} {
		for how, s := range everyPrint(v) {
			assert.NotContains(t, s, plain, "%s via %s", name, how)
			assert.NotContains(t, s, fmt.Sprintf("%x", plain), "%s via %s", name, how)
		}
	}
	text, err := iotauth.Secret(plain).MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[REDACTED]", string(text))
	assert.Equal(t, plain, string(iotauth.Secret(plain)), "the value itself must stay usable")
}

func ptr[T any](v T) *T { return &v }

func TestToken_PrintsWithoutItsAccessAndRefreshTokens(t *testing.T) {
	tok := &iotauth.Token{AccessToken: plain, RefreshToken: plain + "-refresh", TokenType: "Bearer ",
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	for how, s := range everyPrint(tok) {
		assert.NotContains(t, s, plain, how)
	}
	assert.Contains(t, tok.String(), "2030-01-02T03:04:05Z")
	assert.Contains(t, tok.String(), "Type: Bearer")
	var nilTok *iotauth.Token
	assert.Equal(t, "<nil>", fmt.Sprint(nilTok))
	assert.Equal(t, "null", string(must(json.Marshal(nilTok))))
}

func TestToken_ValidJudgesByTimeLeftNeverByIssuedAt(t *testing.T) {
	now := time.Now()
	assert.False(t, (*iotauth.Token)(nil).Valid())
	assert.False(t, (&iotauth.Token{}).Valid())
	assert.True(t, (&iotauth.Token{AccessToken: "a"}).Valid(), "zero expiry means no expiry")
	assert.True(t, (&iotauth.Token{AccessToken: "a", Expiry: now.Add(5 * time.Second)}).Valid(), "5 s left is served")
	assert.True(t, (&iotauth.Token{AccessToken: "a", Expiry: now.Add(time.Minute)}).Valid())
	assert.False(t, (&iotauth.Token{AccessToken: "a", Expiry: now.Add(-time.Millisecond)}).Valid(), "expired")
	old := &iotauth.Token{AccessToken: "a", IssuedAt: now.Add(-time.Hour), Expiry: now.Add(5 * time.Second)}
	assert.True(t, old.Valid(), "an old IssuedAt made a token with time left invalid")
	future := &iotauth.Token{AccessToken: "a", IssuedAt: now.Add(24 * time.Hour), Expiry: now.Add(time.Hour)}
	assert.True(t, future.Valid(), "an IssuedAt in the future changed the verdict")
	y9999 := &iotauth.Token{AccessToken: "a", Expiry: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	assert.True(t, y9999.Valid())
}

func TestCanonicalTokenType_TrimsAndCanonicalizes(t *testing.T) {
	for in, want := range map[string]string{"Bearer ": "Bearer", " bearer": "Bearer", "": "Bearer", "BEARER": "Bearer", "mac": "MAC", "Custom": "Custom"} {
		assert.Equal(t, want, iotauth.CanonicalTokenType(in), in)
	}
}

func TestError_IsItsKindAndCarriesCodeAndRequestID(t *testing.T) {
	cause := errors.New("connection reset")
	err := error(&iotauth.Error{Platform: "oceanconnect", Op: "login", HTTPStatus: 401, Code: "100208",
		Message: "AppId or secret is not right.", RequestID: "req-1", Kind: iotauth.ErrInvalidCredentials, Err: cause})
	assert.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, iotauth.ErrServer)
	assert.True(t, iotauth.IsCredentialFailure(err))
	assert.False(t, iotauth.IsRetryable(err))
	assert.Equal(t, "iotauth: oceanconnect login: invalid credentials (HTTP 401) code=100208: AppId or secret is not right.: connection reset [request req-1]", err.Error())
	assert.True(t, iotauth.IsRetryable(&iotauth.Error{Kind: iotauth.ErrRateLimited}))
}

func TestStoreKey_NamesThePlatformButHidesTheAccount(t *testing.T) {
	k := iotauth.StoreKey("oceanconnect", "https://host:8743", "my-app-id")
	assert.Regexp(t, `^iotauth:v1:oceanconnect:[0-9a-f]{32}$`, k)
	assert.NotContains(t, k, "my-app-id")
	assert.NotEqual(t, k, iotauth.StoreKey("oceanconnect", "https://host:8743", "other"))
	assert.Equal(t, k, iotauth.StoreKey("oceanconnect", "https://host:8743", "my-app-id"))
}

func TestDefaultRefreshWindow_TenPercentClampedAndAtMostHalf(t *testing.T) {
	for life, want := range map[time.Duration]time.Duration{
		time.Hour:          5 * time.Minute,
		10 * time.Minute:   time.Minute,
		time.Minute:        10 * time.Second,
		3 * time.Second:    1500 * time.Millisecond,
		7 * 24 * time.Hour: 5 * time.Minute,
	} {
		assert.Equal(t, want, iotauth.DefaultRefreshWindow(life), life)
	}
}

func TestMQTTLogin_BrokerURLPrefersTLS(t *testing.T) {
	l := iotauth.MQTTLogin{Host: "h", Port: 1883, TLSPort: 8883, Password: plain}
	assert.Equal(t, "ssl://h:8883", l.BrokerURL())
	l.TLSPort = 0
	assert.Equal(t, "tcp://h:1883", l.BrokerURL())
	assert.NotContains(t, fmt.Sprintf("%+v", l), plain)
}
