package tokencodec

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store/storetest"
)

const (
	testKey  = iotauth.Secret("0123456789abcdef-test-key")
	storeKey = "iotauth:v1:oceanconnect:00112233445566778899aabbccddeeff"
)

func fullToken() *iotauth.Token {
	return &iotauth.Token{
		AccessToken:  "access-SECRET-4242",
		TokenType:    "Bearer",
		RefreshToken: "refresh-SECRET-4343",
		Expiry:       time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC),
		IssuedAt:     time.Date(2031, 5, 6, 6, 8, 9, 5, time.FixedZone("CST", 8*3600)),
		Scope:        "default",
		ID:           "token-id-1",
		Extra:        map[string]string{"app_key": "app-1", "region": "cn-north-4"},
	}
}

func assertSameToken(t *testing.T, want, got *iotauth.Token) {
	t.Helper()
	storetest.RequireSameToken(t, want, got)
}

func codec(t *testing.T, key iotauth.Secret) *Codec {
	t.Helper()
	c, err := New(key)
	require.NoError(t, err)
	return c
}

func TestRoundTrip_InClear_KeepsEveryField(t *testing.T) {
	c := codec(t, "")
	assert.False(t, c.Encrypted())
	b, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("IAT\x01\x00{")))
	got, err := c.Decode(storeKey, b)
	require.NoError(t, err)
	assertSameToken(t, fullToken(), got)
}

func TestRoundTrip_Encrypted_KeepsEveryFieldAndHidesSecrets(t *testing.T) {
	c := codec(t, testKey)
	assert.True(t, c.Encrypted())
	b, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	for _, s := range []string{"access-SECRET", "refresh-SECRET", "app-1", "token-id-1"} {
		assert.NotContains(t, string(b), s)
	}
	got, err := c.Decode(storeKey, b)
	require.NoError(t, err)
	assertSameToken(t, fullToken(), got)
}

func TestRoundTrip_MinimalToken_HasNoExpiry(t *testing.T) {
	for _, key := range []iotauth.Secret{"", testKey} {
		c := codec(t, key)
		b, err := c.Encode(storeKey, &iotauth.Token{AccessToken: "a"})
		require.NoError(t, err)
		got, err := c.Decode(storeKey, b)
		require.NoError(t, err)
		assert.Equal(t, "a", got.AccessToken)
		assert.True(t, got.Expiry.IsZero())
		assert.True(t, got.IssuedAt.IsZero())
		assert.Nil(t, got.Extra)
	}
}

func TestEncode_SameTokenTwice_UsesFreshNonces(t *testing.T) {
	c := codec(t, testKey)
	a, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	b, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
}

func TestNew_ShortKey_IsRefused(t *testing.T) {
	_, err := New(iotauth.Secret("fifteen-bytes!!"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 16 bytes")
	assert.NotContains(t, err.Error(), "fifteen")
	_, err = New(iotauth.Secret("sixteen-bytes!!!"))
	require.NoError(t, err)
}

func TestEncode_TokenWithoutAccessToken_IsRefused(t *testing.T) {
	c := codec(t, "")
	_, err := c.Encode(storeKey, nil)
	require.Error(t, err)
	_, err = c.Encode(storeKey, &iotauth.Token{RefreshToken: "r-SECRET"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "r-SECRET")
}

func TestEncode_OutOfRangeTime_IsAnErrorWithoutSecrets(t *testing.T) {
	tok := fullToken()
	tok.Expiry = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := codec(t, "").Encode(storeKey, tok)
	require.Error(t, err)
	assert.NotContains(t, fmt.Sprintf("%+v", err), "SECRET")
}

func TestDecode_WrongKey_IsErrWrongKey(t *testing.T) {
	b, err := codec(t, testKey).Encode(storeKey, fullToken())
	require.NoError(t, err)
	_, err = codec(t, "another-key-of-enough-length").Decode(storeKey, b)
	assert.ErrorIs(t, err, ErrWrongKey)
}

func TestDecode_EncryptedWithoutKey_IsErrWrongKey(t *testing.T) {
	b, err := codec(t, testKey).Encode(storeKey, fullToken())
	require.NoError(t, err)
	_, err = codec(t, "").Decode(storeKey, b)
	assert.ErrorIs(t, err, ErrWrongKey)
}

func TestDecode_ClearTokenWithKeyConfigured_IsErrWrongKey(t *testing.T) {
	b, err := codec(t, "").Encode(storeKey, fullToken())
	require.NoError(t, err)
	_, err = codec(t, testKey).Decode(storeKey, b)
	assert.ErrorIs(t, err, ErrWrongKey)
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestDecode_EncryptedTokenUnderAnotherStoreKey_IsErrWrongKey(t *testing.T) {
	c := codec(t, testKey)
	b, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	_, err = c.Decode(storeKey+"-other", b)
	assert.ErrorIs(t, err, ErrWrongKey)
}

func TestDecode_AnyFlippedBitOfEncryptedToken_IsAnError(t *testing.T) {
	c := codec(t, testKey)
	b, err := c.Encode(storeKey, fullToken())
	require.NoError(t, err)
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		tok, err := c.Decode(storeKey, bad)
		require.Error(t, err, "byte %d", i)
		require.Nil(t, tok)
		require.True(t, errors.Is(err, ErrWrongKey) || errors.Is(err, ErrCorrupt), "byte %d: %v", i, err)
	}
}

func TestDecode_BadInput_IsErrCorruptWithoutQuotingIt(t *testing.T) {
	cases := map[string][]byte{
		"empty":                nil,
		"short":                []byte("IA"),
		"not a token":          []byte("<html>oops</html>"),
		"future version":       []byte("IAT\x02\x00{\"access_token\":\"x\"}"),
		"unknown mode":         []byte("IAT\x01\x07{\"access_token\":\"x\"}"),
		"truncated JSON":       []byte("IAT\x01\x00{\"access_token\":\"SECRET-x"),
		"JSON of wrong type":   []byte("IAT\x01\x00[\"SECRET-x\"]"),
		"missing access token": []byte("IAT\x01\x00{\"refresh_token\":\"SECRET-r\"}"),
		"bad time":             []byte("IAT\x01\x00{\"access_token\":\"SECRET-x\",\"expiry\":\"tomorrow\"}"),
		"header only":          []byte("IAT\x01\x00"),
	}
	c := codec(t, "")
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := c.Decode(storeKey, in)
			require.ErrorIs(t, err, ErrCorrupt)
			require.Nil(t, tok)
			assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), "SECRET")
		})
	}
	sealed := codec(t, testKey)
	_, err := sealed.Decode(storeKey, []byte("IAT\x01\x01short"))
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestClone_SharesNoExtraMap(t *testing.T) {
	orig := fullToken()
	c := Clone(orig)
	c.Extra["app_key"] = "changed"
	assert.Equal(t, "app-1", orig.Extra["app_key"])
	assertSameToken(t, fullToken(), orig)
	assert.Nil(t, Clone(&iotauth.Token{AccessToken: "a"}).Extra)
}
