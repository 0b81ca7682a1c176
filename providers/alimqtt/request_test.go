package alimqtt_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

func TestNew_MissingField_IsNamedInTheError(t *testing.T) {
	valid := alimqtt.Config{RegionID: "cn-hangzhou", AccessKeyID: "id", AccessKeySecret: "s", InstanceID: "post-cn-1"}
	cases := map[string]func(*alimqtt.Config){
		"RegionID":        func(c *alimqtt.Config) { c.RegionID = "" },
		"AccessKeyID":     func(c *alimqtt.Config) { c.AccessKeyID = "" },
		"AccessKeySecret": func(c *alimqtt.Config) { c.AccessKeySecret = "" },
		"InstanceID":      func(c *alimqtt.Config) { c.InstanceID = "" },
		"Endpoint":        func(c *alimqtt.Config) { c.Endpoint = "ftp://example.com" },
	}
	for field, edit := range cases {
		cfg := valid
		edit(&cfg)
		_, err := alimqtt.New(cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), "Config."+field)
	}
	_, err := alimqtt.New(valid)
	assert.NoError(t, err)
}

func TestNew_Defaults_EndpointFromRegion_AndIdentity(t *testing.T) {
	c, err := alimqtt.New(alimqtt.Config{RegionID: "cn-shanghai", AccessKeyID: "id", AccessKeySecret: "top-secret", InstanceID: "post-cn-1"})
	require.NoError(t, err)
	d := c.Describe()
	assert.Equal(t, []string{"https://onsmqtt.cn-shanghai.aliyuncs.com:443"}, d.Origins)
	assert.Equal(t, "alimqtt", d.Name)
	assert.True(t, strings.HasPrefix(d.StoreKey, "iotauth:v1:alimqtt:"))
	assert.NotContains(t, d.StoreKey, "top-secret")
	assert.NotContains(t, d.StoreKey, "post-cn-1")
}

// captured is one request as the platform would receive it.
type captured struct {
	method, path, contentType string
	form                      url.Values
}

func capture(t *testing.T, mt *stubhttp.Transport, answer string) *[]captured {
	t.Helper()
	var got []captured
	mt.Register(http.MethodPost, defaultEndpoint, func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		form, err := url.ParseQuery(string(b))
		require.NoError(t, err)
		got = append(got, captured{r.Method, r.URL.Path, r.Header.Get("Content-Type"), form})
		res := stubhttp.StringResponse(http.StatusOK, answer)
		res.Header.Set("Content-Type", "application/json")
		return res, nil
	})
	return &got
}

func TestCall_RequestShape_IsASignedFormPOSTWithTheCommonParameters(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	got := capture(t, mt, `{"RequestId":"r1","DeviceCredential":{"ClientId":"GID_test@@@test","DeviceAccessKeyId":"DC.x","DeviceAccessKeySecret":"DC.y"}}`)
	before := time.Now().UTC().Truncate(time.Second)
	_, err := c.GetDeviceCredential(context.Background(), "GID_test@@@test")
	require.NoError(t, err)
	_, err = c.GetDeviceCredential(context.Background(), "GID_test@@@test")
	require.NoError(t, err)

	require.Len(t, *got, 2)
	r := (*got)[0]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Equal(t, "/", r.path)
	assert.Contains(t, r.contentType, "application/x-www-form-urlencoded")
	f := r.form
	assert.Equal(t, "GetDeviceCredential", f.Get("Action"))
	assert.Equal(t, "2020-04-20", f.Get("Version"))
	assert.Equal(t, "JSON", f.Get("Format"))
	assert.Equal(t, "cn-hangzhou", f.Get("RegionId"))
	assert.Equal(t, "LTAIexample", f.Get("AccessKeyId"))
	assert.Equal(t, "HMAC-SHA1", f.Get("SignatureMethod"))
	assert.Equal(t, "1.0", f.Get("SignatureVersion"))
	assert.Equal(t, "GID_test@@@test", f.Get("ClientId"))
	assert.Equal(t, "post-cn-0pp12gl0000", f.Get("InstanceId"))
	assert.False(t, f.Has("SecurityToken"))
	ts, err := time.Parse("2006-01-02T15:04:05Z", f.Get("Timestamp"))
	require.NoError(t, err, "UTC timestamp in the documented layout")
	assert.False(t, ts.Before(before))
	assert.True(t, alisign.Verify(http.MethodPost, f, "example-secret"), "signed with the AccessKey secret")
	assert.NotEqual(t, f.Get("SignatureNonce"), (*got)[1].form.Get("SignatureNonce"), "fresh nonce per request")
	assert.NotContains(t, strings.Join(f["Signature"], ""), "example-secret")
}

func TestCall_SecurityToken_IsSentAndSigned(t *testing.T) {
	c, mt := mocked(t, func(cfg *alimqtt.Config) { cfg.SecurityToken = "sts-token-value" })
	got := capture(t, mt, `{"RequestId":"r1"}`)
	require.NoError(t, c.RevokeToken(context.Background(), "tok"))
	require.Len(t, *got, 1)
	f := (*got)[0].form
	assert.Equal(t, "sts-token-value", f.Get("SecurityToken"))
	assert.Equal(t, "tok", f.Get("Token"))
	assert.True(t, alisign.Verify(http.MethodPost, f, "example-secret"))
}

func TestApplyToken_RequestShape(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	got := capture(t, mt, `{"RequestId":"r1","Token":"LzMT+XLFl5s/YWJ/MlDz4t/Lq5HC1iGU1P28HAMaxYxn8aQbALNtml7QZKl9L9kPe6LqUb95tEVo+zUqOogs1+jZwjz+1ZM/TP+4SGzPO8ovg6MP6sT+b1ZRnMT/yJh2lDLSBX36U5ROLWXG"}`)
	expire := time.UnixMilli(time.Now().Add(2 * time.Hour).UnixMilli())
	tok, err := c.ApplyToken(context.Background(), []string{"parent/b/#", "parent/a", "parent/b/#"}, "W,R", expire)
	require.NoError(t, err)
	f := (*got)[0].form
	assert.Equal(t, "ApplyToken", f.Get("Action"))
	assert.Equal(t, "parent/a,parent/b/#", f.Get("Resources"), "sorted, without duplicates")
	assert.Equal(t, "R,W", f.Get("Actions"))
	assert.Equal(t, strconv.FormatInt(expire.UnixMilli(), 10), f.Get("ExpireTime"))
	assert.True(t, tok.Expiry.Equal(expire), "Expiry is the ExpireTime")
	assert.Equal(t, "R,W", tok.Scope)
	assert.Equal(t, "parent/a,parent/b/#", tok.Extra["resources"])
	assert.True(t, tok.Valid())
}

// TestApplyToken_OverThirtyDays_IsSentAndKeptAsThirtyDays: the platform
// cuts a longer ExpireTime to 30 days without an error, so the token's
// Expiry must say 30 days, not what was asked for.
func TestApplyToken_OverThirtyDays_IsSentAndKeptAsThirtyDays(t *testing.T) {
	c, srv := emulated(t)
	before := time.Now()
	tok, err := c.ApplyToken(context.Background(), []string{"t"}, "R", before.Add(90*24*time.Hour))
	require.NoError(t, err)
	assert.WithinDuration(t, before.Add(alimqtt.MaxTokenLifetime), tok.Expiry, time.Minute)
	assert.WithinDuration(t, srv.Alibaba.TokenExpiry(tok.AccessToken), tok.Expiry, time.Second,
		"the Cache's idea of the expiry is the platform's")
}

func TestApplyToken_InvalidArguments_FailBeforeAnyCall(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	ctx := context.Background()
	future := time.Now().Add(time.Hour)
	cases := map[string]func() error{
		"bad actions":    func() error { _, err := c.ApplyToken(ctx, []string{"t"}, "X", future); return err },
		"no resources":   func() error { _, err := c.ApplyToken(ctx, nil, "R", future); return err },
		"comma resource": func() error { _, err := c.ApplyToken(ctx, []string{"a,b"}, "R", future); return err },
		"past expire": func() error {
			_, err := c.ApplyToken(ctx, []string{"t"}, "R", time.Now().Add(-time.Second))
			return err
		},
		"expire under 60 s": func() error {
			_, err := c.ApplyToken(ctx, []string{"t"}, "R", time.Now().Add(5*time.Second))
			return err
		},
		"101 resources": func() error {
			many := make([]string, 101)
			for i := range many {
				many[i] = fmt.Sprintf("t/%03d", i)
			}
			_, err := c.ApplyToken(ctx, many, "R", future)
			return err
		},
		"client id without @@@": func() error { _, err := c.RegisterDeviceCredential(ctx, "GID_test-dev1"); return err },
		"short group id":        func() error { _, err := c.GetDeviceCredential(ctx, "GID_a@@@dev1"); return err },
		"group id without GID_": func() error { _, err := c.RefreshDeviceCredential(ctx, "group01@@@dev1"); return err },
		"client id over 64": func() error {
			return c.UnRegisterDeviceCredential(ctx, "GID_test@@@"+strings.Repeat("d", 54))
		},
		"device id with a wildcard": func() error { _, err := c.DeviceCredential(ctx, "GID_test@@@dev/#"); return err },
		"source lifetime":           func() error { _, err := c.TokenSource([]string{"t"}, "R", 0).Token(ctx); return err },
	}
	for name, call := range cases {
		err := call()
		assert.ErrorIs(t, err, iotauth.ErrBadRequest, name)
	}
	assert.Zero(t, mt.TotalCalls())
}
