package iotauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/onsmqtt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/iotauthtest"
)

// alibabaParams are correctly signed-for common parameters for action.
func alibabaParams(action string, now time.Time) url.Values {
	return url.Values{
		"Action":           {action},
		"Version":          {"2020-04-20"},
		"Format":           {"JSON"},
		"RegionId":         {"cn-hangzhou"},
		"AccessKeyId":      {iotauthtest.AlibabaAccessKeyID},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"SignatureNonce":   {alisign.Nonce()},
		"Timestamp":        {now.UTC().Format(alisign.TimeFormat)},
		"InstanceId":       {iotauthtest.AlibabaInstanceID},
	}
}

type alibabaAnswer struct {
	Status           int
	RequestID        string `json:"RequestId"`
	Code             string
	Message          string
	Token            string
	TokenStatus      bool
	DeviceCredential struct {
		ClientID              string `json:"ClientId"`
		DeviceAccessKeyID     string `json:"DeviceAccessKeyId"`
		DeviceAccessKeySecret string `json:"DeviceAccessKeySecret"`
		UpdateTime            int64
	}
}

// alibabaDo signs p with secret and sends it as method (GET: query, POST: form).
func alibabaDo(t *testing.T, srv *iotauthtest.Server, method string, p url.Values, secret string) alibabaAnswer {
	t.Helper()
	p.Set("Signature", alisign.Sign(method, p, secret))
	return alibabaSend(t, srv, method, p)
}

func alibabaSend(t *testing.T, srv *iotauthtest.Server, method string, p url.Values) alibabaAnswer {
	t.Helper()
	var res *http.Response
	var err error
	if method == http.MethodGet {
		res, err = srv.Client().Get(srv.URL + "/?" + p.Encode())
	} else {
		res, err = srv.Client().PostForm(srv.URL+"/", p)
	}
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var a alibabaAnswer
	require.NoError(t, json.Unmarshal(body, &a), string(body))
	a.Status = res.StatusCode
	require.NotEmpty(t, a.RequestID, "every answer carries a RequestId")
	return a
}

func registerParams(clientID string) url.Values {
	p := alibabaParams("RegisterDeviceCredential", time.Now())
	p.Set("ClientId", clientID)
	return p
}

func TestAlibaba_SignedGETWithQuery_And_SignedPOSTWithForm_AreAccepted(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	a := alibabaDo(t, srv, http.MethodGet, registerParams("GID_a@@@get"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, http.StatusOK, a.Status, a.Code)
	assert.Equal(t, "GID_a@@@get", a.DeviceCredential.ClientID)
	a = alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@post"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, http.StatusOK, a.Status, a.Code)
	assert.Equal(t, int64(2), srv.Alibaba.Registers())
	assert.Equal(t, int64(2), srv.Alibaba.Logins())
}

func TestAlibaba_RefusesBadRequests_WithDocumentedCodes(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	secret := iotauthtest.AlibabaAccessKeySecret
	cases := []struct {
		name   string
		mutate func(p url.Values) string // returns the secret to sign with
		status int
		code   string
	}{
		{"wrong secret", func(url.Values) string { return "not-the-secret" }, 400, "SignatureDoesNotMatch"},
		{"unknown key", func(p url.Values) string { p.Set("AccessKeyId", "LTAIunknown"); return secret }, 404, "InvalidAccessKeyId.NotFound"},
		{"stale timestamp", func(p url.Values) string {
			p.Set("Timestamp", time.Now().Add(-16*time.Minute).UTC().Format(alisign.TimeFormat))
			return secret
		}, 400, "InvalidTimeStamp.Expired"},
		{"future timestamp", func(p url.Values) string {
			p.Set("Timestamp", time.Now().Add(16*time.Minute).UTC().Format(alisign.TimeFormat))
			return secret
		}, 400, "InvalidTimeStamp.Expired"},
		{"unknown action", func(p url.Values) string { p.Set("Action", "DescribeRegions"); return secret }, 404, "ApiNotSupport"},
		{"other instance", func(p url.Values) string { p.Set("InstanceId", "post-cn-other"); return secret }, 400, "InstancePermissionCheckFailed"},
		{"bad client id", func(p url.Values) string { p.Set("ClientId", "no-separator"); return secret }, 400, "ParameterCheckFailed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := registerParams("GID_a@@@dev")
			a := alibabaDo(t, srv, http.MethodPost, p, tc.mutate(p))
			assert.Equal(t, tc.status, a.Status)
			assert.Equal(t, tc.code, a.Code)
			assert.NotEmpty(t, a.Message)
		})
	}
	assert.Zero(t, srv.Alibaba.Registers())
}

func TestAlibaba_ReusedNonce_IsRefused(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := registerParams("GID_a@@@dev")
	p.Set("Signature", alisign.Sign(http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret))
	assert.Equal(t, http.StatusOK, alibabaSend(t, srv, http.MethodPost, p).Status)
	a := alibabaSend(t, srv, http.MethodPost, p)
	assert.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, "SignatureNonceUsed", a.Code)
}

func TestAlibaba_TimestampIsCheckedAgainstTheEmulatorClock(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := iotauthtest.NewServer(iotauthtest.WithClock(clk))
	defer srv.Close()
	clk.Advance(20 * time.Minute)
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@dev"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, "InvalidTimeStamp.Expired", a.Code)
	p := alibabaParams("RegisterDeviceCredential", time.Now().Add(20*time.Minute))
	p.Set("ClientId", "GID_a@@@dev")
	assert.Equal(t, http.StatusOK, alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret).Status)
}

func TestAlibaba_DeviceCredentialRegistry_FollowsTheSeedErrorCodes(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	do := func(action, clientID string) alibabaAnswer {
		p := alibabaParams(action, time.Now())
		p.Set("ClientId", clientID)
		return alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret)
	}
	assert.Equal(t, "DeviceCredentialNotFound", do("GetDeviceCredential", "GID_a@@@1").Code)
	reg := do("RegisterDeviceCredential", "GID_a@@@1")
	require.Equal(t, http.StatusOK, reg.Status)
	assert.Equal(t, "DeviceCredentialExsit", do("RegisterDeviceCredential", "GID_a@@@1").Code)
	got := do("GetDeviceCredential", "GID_a@@@1")
	assert.Equal(t, reg.DeviceCredential, got.DeviceCredential)

	ref := do("RefreshDeviceCredential", "GID_a@@@1")
	assert.Equal(t, reg.DeviceCredential.DeviceAccessKeyID, ref.DeviceCredential.DeviceAccessKeyID, "same id")
	assert.NotEqual(t, reg.DeviceCredential.DeviceAccessKeySecret, ref.DeviceCredential.DeviceAccessKeySecret, "new secret")
	assert.Equal(t, int64(1), srv.Alibaba.Refreshes())

	srv.Alibaba.SetCredentialQuota(1)
	a := do("RegisterDeviceCredential", "GID_a@@@2")
	assert.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, "DeviceCredentialNumExceed", a.Code)
	assert.Equal(t, http.StatusOK, do("UnRegisterDeviceCredential", "GID_a@@@1").Status)
	assert.Equal(t, "DeviceCredentialNotFound", do("UnRegisterDeviceCredential", "GID_a@@@1").Code)
	assert.Equal(t, http.StatusOK, do("RegisterDeviceCredential", "GID_a@@@2").Status, "quota released")
}

func TestAlibaba_Tokens_ExpireOnTheEmulatorClock_AndCanBeRevoked(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := iotauthtest.NewServer(iotauthtest.WithClock(clk))
	defer srv.Close()
	apply := func(expire time.Time) alibabaAnswer {
		p := alibabaParams("ApplyToken", clk.Now())
		p.Set("Resources", "parent/a,parent/b/#")
		p.Set("Actions", "R,W")
		p.Set("ExpireTime", strconv.FormatInt(expire.UnixMilli(), 10))
		return alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret)
	}
	query := func(tok string) bool {
		p := alibabaParams("QueryToken", clk.Now())
		p.Set("Token", tok)
		a := alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret)
		require.Equal(t, http.StatusOK, a.Status, a.Code)
		return a.TokenStatus
	}
	assert.Equal(t, "InvalidParameter.ExpireTime", apply(clk.Now().Add(-time.Second)).Code)
	short, long := apply(clk.Now().Add(5*time.Minute)), apply(clk.Now().Add(time.Hour))
	require.NotEmpty(t, short.Token)
	assert.True(t, query(short.Token))
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("GID_a@@@1", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+iotauthtest.AlibabaInstanceID,
		"RW|"+short.Token))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("GID_a@@@1", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+iotauthtest.AlibabaInstanceID,
		"R|"+short.Token+"|W|"+short.Token), "an R,W token goes as RW, not as R and W")
	clk.Advance(6 * time.Minute)
	assert.False(t, query(short.Token), "expired on the emulator clock")
	assert.True(t, query(long.Token))

	p := alibabaParams("RevokeToken", clk.Now())
	p.Set("Token", long.Token)
	require.Equal(t, http.StatusOK, alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret).Status)
	assert.False(t, query(long.Token), "revoked")
	assert.Equal(t, int64(2), srv.Alibaba.Logins())
}

func TestAlibaba_ThrottleNext_AnswersTheThrottlingCodes(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	srv.Alibaba.ThrottleNext(2)
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@1"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, "Throttling.User", a.Code)
	p := alibabaParams("ApplyToken", time.Now())
	p.Set("Resources", "t")
	p.Set("Actions", "R")
	p.Set("ExpireTime", strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10))
	assert.Equal(t, "ApplyTokenOverFlow", alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret).Code)
	assert.Equal(t, http.StatusOK, alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@1"), iotauthtest.AlibabaAccessKeySecret).Status)
}

func TestAlibaba_InjectedServerError_IsTheInternalErrorBody(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	srv.Alibaba.FailNext(1, http.StatusInternalServerError)
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@1"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, http.StatusInternalServerError, a.Status)
	assert.Equal(t, "InternalError", a.Code)
	assert.Equal(t, int64(1), srv.Alibaba.Requests())
}

func TestAlibaba_AcceptsMQTTLogin_ChecksEveryMode(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_a@@@1"), iotauthtest.AlibabaAccessKeySecret)
	d := a.DeviceCredential
	inst := iotauthtest.AlibabaInstanceID
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("GID_a@@@1", "DeviceCredential|"+d.DeviceAccessKeyID+"|"+inst,
		alisign.HMACSHA1(d.DeviceAccessKeySecret, "GID_a@@@1")))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("GID_a@@@2", "DeviceCredential|"+d.DeviceAccessKeyID+"|"+inst,
		alisign.HMACSHA1(d.DeviceAccessKeySecret, "GID_a@@@2")), "credential of another device")
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("c", "Signature|"+iotauthtest.AlibabaAccessKeyID+"|"+inst,
		alisign.HMACSHA1(iotauthtest.AlibabaAccessKeySecret, "c")))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("c", "Signature|"+iotauthtest.AlibabaAccessKeyID+"|"+inst, "wrong"))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("c", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+inst, "R|unknown"))
}

// sdkClient is Alibaba Cloud's own SDK, pointed at the emulator.
func sdkClient(t *testing.T, secret string) *onsmqtt.Client {
	t.Helper()
	c, err := onsmqtt.NewClientWithAccessKey("cn-hangzhou", iotauthtest.AlibabaAccessKeyID, secret)
	require.NoError(t, err)
	return c
}

func sdkDomain(srv *iotauthtest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

func TestAlibaba_AcceptsRequestsSignedByAlibabaSDK(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	c := sdkClient(t, iotauthtest.AlibabaAccessKeySecret)

	reg := onsmqtt.CreateRegisterDeviceCredentialRequest()
	reg.Scheme, reg.Domain = "http", sdkDomain(srv)
	reg.ClientId, reg.InstanceId = "GID_sdk@@@dev1", iotauthtest.AlibabaInstanceID
	r, err := c.RegisterDeviceCredential(reg)
	require.NoError(t, err)
	assert.NotEmpty(t, r.RequestId)
	assert.Equal(t, "GID_sdk@@@dev1", r.DeviceCredential.ClientId)
	assert.True(t, strings.HasPrefix(r.DeviceCredential.DeviceAccessKeyId, "DC."))
	assert.Positive(t, r.DeviceCredential.CreateTime)

	get := onsmqtt.CreateGetDeviceCredentialRequest()
	get.Scheme, get.Domain = "http", sdkDomain(srv)
	get.ClientId, get.InstanceId = "GID_sdk@@@dev1", iotauthtest.AlibabaInstanceID
	g, err := c.GetDeviceCredential(get)
	require.NoError(t, err)
	assert.Equal(t, r.DeviceCredential.DeviceAccessKeySecret, g.DeviceCredential.DeviceAccessKeySecret)

	apply := onsmqtt.CreateApplyTokenRequest()
	apply.Scheme, apply.Domain = "http", sdkDomain(srv)
	apply.InstanceId, apply.Resources, apply.Actions = iotauthtest.AlibabaInstanceID, "parent/sub", "R"
	apply.ExpireTime = requests.NewInteger64(time.Now().Add(time.Hour).UnixMilli())
	a, err := c.ApplyToken(apply)
	require.NoError(t, err)
	require.NotEmpty(t, a.Token)

	q := onsmqtt.CreateQueryTokenRequest()
	q.Scheme, q.Domain = "http", sdkDomain(srv)
	q.InstanceId, q.Token = iotauthtest.AlibabaInstanceID, a.Token
	qr, err := c.QueryToken(q)
	require.NoError(t, err)
	assert.True(t, qr.TokenStatus)
	assert.Equal(t, int64(2), srv.Alibaba.Logins())
}

func TestAlibaba_RefusesAlibabaSDKWithWrongSecret(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	c := sdkClient(t, "not-the-secret")
	reg := onsmqtt.CreateRegisterDeviceCredentialRequest()
	reg.Scheme, reg.Domain = "http", sdkDomain(srv)
	reg.ClientId, reg.InstanceId = "GID_sdk@@@dev1", iotauthtest.AlibabaInstanceID
	_, err := c.RegisterDeviceCredential(reg)
	var se *sdkerrors.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "SignatureDoesNotMatch", se.ErrorCode())
	assert.Equal(t, http.StatusBadRequest, se.HttpStatus())
	assert.Zero(t, srv.Alibaba.Registers())
}
