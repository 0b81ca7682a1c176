package alimqtt_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

func TestApplyToken_QueryToken_RevokeToken_AgainstTheEmulator(t *testing.T) {
	clk := iotauthtest.NewClock()
	c, srv := emulated(t, iotauthtest.WithClock(clk))
	ctx := context.Background()
	tok, err := c.ApplyToken(ctx, []string{"parent/a/#"}, "R", time.Now().Add(5*time.Minute))
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	live, err := c.QueryToken(ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.True(t, live)

	clk.Advance(6 * time.Minute)
	live, err = c.QueryToken(ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.False(t, live, "expired at its ExpireTime")

	other, err := c.ApplyToken(ctx, []string{"parent/a/#"}, "W", time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.NoError(t, c.RevokeToken(ctx, other.AccessToken))
	live, err = c.QueryToken(ctx, other.AccessToken)
	require.NoError(t, err)
	assert.False(t, live, "revoked")
	assert.Equal(t, int64(2), srv.Alibaba.Logins())

	err = c.RevokeToken(ctx, "no-such-token")
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assertNoSecrets(t, err, "no-such-token", tok.AccessToken)
}

func TestTokenLogin_PasswordForms(t *testing.T) {
	r := &iotauth.Token{AccessToken: "t1", Scope: "R"}
	w := &iotauth.Token{AccessToken: "t2", Scope: "W"}
	rw := &iotauth.Token{AccessToken: "t3", Scope: "R,W"}
	cases := []struct {
		tokens []*iotauth.Token
		want   string
	}{
		{[]*iotauth.Token{r}, "R|t1"},
		{[]*iotauth.Token{w}, "W|t2"},
		{[]*iotauth.Token{w, r}, "R|t1|W|t2"},
		{[]*iotauth.Token{rw}, "RW|t3"},
		{[]*iotauth.Token{rw, w, r}, "R|t1|W|t2|RW|t3"},
	}
	for _, tc := range cases {
		l, err := alimqtt.TokenLogin("LTAIid", "post-cn-1", "GID_test@@@1", tc.tokens...)
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(l.Password))
		assert.Equal(t, "Token|LTAIid|post-cn-1", l.Username)
		assert.Equal(t, "post-cn-1.mqtt.aliyuncs.com", l.Host)
		assert.Equal(t, "GID_test@@@1", l.ClientID)
		assert.NotContains(t, fmt.Sprintf("%v %+v", l, l), "t1")
	}
}

// A token list the broker would refuse is a bad request naming the rule,
// not a login that leaves tokens out.
func TestTokenLogin_TokensTheBrokerRefuses_AreABadRequest(t *testing.T) {
	r := &iotauth.Token{AccessToken: "t1", Scope: "R"}
	w := &iotauth.Token{AccessToken: "t2", Scope: "W"}
	c, mt := mocked(t, func(*alimqtt.Config) {})
	for rule, tokens := range map[string][]*iotauth.Token{
		"two tokens of type R":  {r, {AccessToken: "t4", Scope: "R"}},
		"two tokens of type RW": {{AccessToken: "t5", Scope: "R,W"}, {AccessToken: "t6", Scope: "W,R"}},
		"nil or has no access":  {w, nil},
		"has no access token":   {{Scope: "W"}},
		`Scope is not "R", "W"`: {{AccessToken: "t5", Scope: "X"}, w},
		"no token":              nil,
	} {
		_, err := alimqtt.TokenLogin("LTAIid", "post-cn-1", "GID_test@@@1", tokens...)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, rule)
		assert.Contains(t, err.Error(), rule)
		assertNoSecrets(t, err, "t1", "t2", "t4", "t5", "t6")
		_, err = c.TokenLogin("GID_test@@@1", tokens...)
		require.ErrorIs(t, err, iotauth.ErrBadRequest, rule)
		assert.Contains(t, err.Error(), rule)
	}
	assert.Zero(t, mt.TotalCalls())
}

// A client id the broker refuses is a bad request naming the rule, in every
// login builder.
func TestLogins_ClientIDTheBrokerRefuses_IsABadRequest(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	tok := &iotauth.Token{AccessToken: "t1", Scope: "R"}
	for id, rule := range map[string]string{
		"device-1":                              "no @@@",
		"GID_test@@@":                           "no Device ID",
		"GID_test@@@" + strings.Repeat("d", 54): "65 characters, more than 64",
		"":                                      "empty",
		"gid_test@@@d":                          "GID_ or GID-",
		"GID_a@@@d":                             "fewer than 7",
		"GID_test@@@d/../x":                     "other than letters",
		"GID_test@@@d@@@e":                      "second @@@",
	} {
		logins := map[string]func() (iotauth.MQTTLogin, error){
			"TokenLogin":   func() (iotauth.MQTTLogin, error) { return alimqtt.TokenLogin("LTAIid", "post-cn-1", id, tok) },
			"c.TokenLogin": func() (iotauth.MQTTLogin, error) { return c.TokenLogin(id, tok) },
			"SignatureLogin": func() (iotauth.MQTTLogin, error) {
				return alimqtt.SignatureLogin("LTAIid", "s3cret-key", "post-cn-1", id)
			},
			"c.SignatureLogin": func() (iotauth.MQTTLogin, error) { return c.SignatureLogin(id) },
		}
		for name, login := range logins {
			l, err := login()
			require.ErrorIs(t, err, iotauth.ErrBadRequest, "%s(%q)", name, id)
			assert.Contains(t, err.Error(), rule, "%s(%q)", name, id)
			assert.Zero(t, l, name)
			assertNoSecrets(t, err, "t1", "s3cret-key", "example-secret")
		}
	}
	for _, bad := range [][2]string{{"LTAI|x", "post-cn-1"}, {"LTAIid", "post-cn-1.attacker.example"}, {"", "post-cn-1"}} {
		_, err := alimqtt.TokenLogin(bad[0], bad[1], "GID_test@@@1", tok)
		assert.ErrorIs(t, err, iotauth.ErrBadRequest, bad)
		_, err = alimqtt.SignatureLogin(bad[0], "s3cret-key", bad[1], "GID_test@@@1")
		assert.ErrorIs(t, err, iotauth.ErrBadRequest, bad)
	}
	_, err := alimqtt.SignatureLogin("LTAIid", "", "post-cn-1", "GID_test@@@1")
	assert.ErrorIs(t, err, iotauth.ErrBadRequest, "no secret")
	assert.Zero(t, mt.TotalCalls())
}

// The package's SignatureLogin is the Provider's on the default broker.
func TestSignatureLogin_PackageFunction_IsTheClients(t *testing.T) {
	c, srv := emulated(t)
	want, err := c.SignatureLogin("GID_test@@@1")
	require.NoError(t, err)
	l, err := alimqtt.SignatureLogin(iotauthtest.AlibabaAccessKeyID, iotauthtest.AlibabaAccessKeySecret,
		iotauthtest.AlibabaInstanceID, "GID_test@@@1")
	require.NoError(t, err)
	assert.Equal(t, want.Username, l.Username)
	assert.Equal(t, want.Password, l.Password)
	assert.Equal(t, iotauthtest.AlibabaInstanceID+".mqtt.aliyuncs.com", l.Host)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
}

func TestLogins_SignatureAndToken_AreAcceptedByTheBroker(t *testing.T) {
	c, srv := emulated(t)
	l, err := c.SignatureLogin("GID_test@@@1")
	require.NoError(t, err)
	assert.Equal(t, "Signature|"+iotauthtest.AlibabaAccessKeyID+"|"+iotauthtest.AlibabaInstanceID, l.Username)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("GID_test@@@2", l.Username, string(l.Password)), "bound to the client id")

	ctx := context.Background()
	r, err := c.ApplyToken(ctx, []string{"parent/a"}, "R", time.Now().Add(time.Hour))
	require.NoError(t, err)
	w, err := c.ApplyToken(ctx, []string{"parent/a"}, "W", time.Now().Add(time.Hour))
	require.NoError(t, err)
	tl, err := c.TokenLogin("GID_test@@@1", r, w)
	require.NoError(t, err)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(tl.ClientID, tl.Username, string(tl.Password)))
	swapped, err := alimqtt.TokenLogin(iotauthtest.AlibabaAccessKeyID, iotauthtest.AlibabaInstanceID, "GID_test@@@1",
		&iotauth.Token{AccessToken: w.AccessToken, Scope: "R"})
	require.NoError(t, err)
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin(swapped.ClientID, swapped.Username, string(swapped.Password)),
		"a write token is no read token")
}

// An R,W token goes as RW|tok; the broker refuses it as R|tok|W|tok and
// under a single type.
func TestTokenLogin_ReadWriteToken_IsTypeRW(t *testing.T) {
	c, srv := emulated(t)
	rw, err := c.ApplyToken(context.Background(), []string{"parent/a"}, "R,W", time.Now().Add(time.Hour))
	require.NoError(t, err)
	l, err := c.TokenLogin("GID_abcd@@@1", rw)
	require.NoError(t, err)
	assert.Equal(t, "RW|"+rw.AccessToken, string(l.Password))
	assert.Equal(t, rw.Expiry, l.Expiry)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
	for _, wrong := range []string{"R|" + rw.AccessToken + "|W|" + rw.AccessToken, "R|" + rw.AccessToken,
		"W|" + rw.AccessToken, "RW|" + rw.AccessToken + "|RW|" + rw.AccessToken} {
		assert.False(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, wrong), wrong)
	}
}

func TestTokenSource_ThroughCache_OneApplyTokenForManyCallers(t *testing.T) {
	c, srv := emulated(t)
	src := c.TokenSource([]string{"parent/a"}, "R,W", time.Hour)
	cache := iotauth.NewCache(src)
	var wg sync.WaitGroup
	toks := make([]*iotauth.Token, 50)
	for i := range toks {
		wg.Go(func() {
			tok, err := cache.Token(context.Background())
			assert.NoError(t, err)
			toks[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range toks {
		require.NotNil(t, tok)
		assert.Equal(t, toks[0].AccessToken, tok.AccessToken)
	}
	assert.Equal(t, int64(1), srv.Alibaba.Logins())
	assert.WithinDuration(t, time.Now().Add(time.Hour), toks[0].Expiry, time.Minute)
	l, err := c.TokenLogin("GID_test@@@1", toks[0])
	require.NoError(t, err)
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))

	assert.Equal(t, "alimqtt", iotauth.Describe(src).Name)
	other := c.TokenSource([]string{"parent/b"}, "R,W", time.Hour)
	assert.NotEqual(t, iotauth.Describe(src).StoreKey, iotauth.Describe(other).StoreKey, "keyed by resources")
}

func TestTokenSource_ThroughCache_RenewsAheadOfExpireTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, mt := mocked(t, func(*alimqtt.Config) {})
		var applied atomic.Int64
		mt.Register(http.MethodPost, defaultEndpoint, func(*http.Request) (*http.Response, error) {
			n := applied.Add(1)
			return stubhttp.StringResponse(200, fmt.Sprintf(`{"RequestId":"r","Token":"tok-%d"}`, n)), nil
		})
		cache := iotauth.NewCache(c.TokenSource([]string{"parent/a"}, "R", time.Hour))
		first, err := cache.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "tok-1", first.AccessToken)

		// 20 s before ExpireTime the old token is still valid, so only a
		// renewal ahead of expiry (the default window is 5 min for a 1 h
		// token) can replace it: the caller inside the window still gets
		// the current token while the renewal runs in the background.
		time.Sleep(time.Until(first.Expiry) - 20*time.Second)
		require.True(t, first.Valid())
		cur, err := cache.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "tok-1", cur.AccessToken, "no caller waits for the renewal")
		synctest.Wait()
		tok, err := cache.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "tok-2", tok.AccessToken, "renewed before the old token expired")
		assert.True(t, tok.Expiry.After(first.Expiry))
		assert.Equal(t, int64(2), applied.Load())
	})
}

// TestTokenSource_SameTopicsInAnyOrder_ShareOneStoreKey: the store key and
// the request follow the sorted topics, not the caller's order.
func TestTokenSource_SameTopicsInAnyOrder_ShareOneStoreKey(t *testing.T) {
	c, srv := emulated(t)
	a := c.TokenSource([]string{"b/#", "a/+"}, "R,W", time.Hour)
	b := c.TokenSource([]string{"a/+", "b/#", "a/+"}, "W,R", time.Hour)
	ka, kb := iotauth.Describe(a).StoreKey, iotauth.Describe(b).StoreKey
	require.NotEmpty(t, ka)
	assert.Equal(t, ka, kb)
	assert.NotEqual(t, ka, iotauth.Describe(c.TokenSource([]string{"a/+"}, "R,W", time.Hour)).StoreKey)
	tok, err := b.Token(context.Background())
	require.NoError(t, err, "the emulator refuses unsorted resources")
	assert.Equal(t, "a/+,b/#", tok.Extra["resources"])
	assert.EqualValues(t, 1, srv.Alibaba.Logins())
}
