package iotauthtest_test

import (
	"encoding/json"
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
	a := alibabaDo(t, srv, http.MethodGet, registerParams("GID_test@@@get"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, http.StatusOK, a.Status, a.Code)
	assert.Equal(t, "GID_test@@@get", a.DeviceCredential.ClientID)
	a = alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@post"), iotauthtest.AlibabaAccessKeySecret)
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
		{"wrong secret", func(url.Values) string { return "not-the-secret" }, 403, "SignatureDoesNotMatch"},
		{"unknown key", func(p url.Values) string { p.Set("AccessKeyId", "LTAIunknown"); return secret }, 400, "InvalidAccessKeyId.NotFound"},
		{"STS key without its token", func(p url.Values) string {
			p.Set("AccessKeyId", iotauthtest.AlibabaSTSAccessKeyID)
			return iotauthtest.AlibabaSTSAccessKeySecret
		}, 400, "MissingSecurityToken"},
		{"STS key with another token", func(p url.Values) string {
			p.Set("AccessKeyId", iotauthtest.AlibabaSTSAccessKeyID)
			p.Set("SecurityToken", "stolen")
			return iotauthtest.AlibabaSTSAccessKeySecret
		}, 400, "InvalidSecurityToken.MismatchWithAccessKey"},
		{"short group id", func(p url.Values) string { p.Set("ClientId", "GID_a@@@dev"); return secret }, 400, "ParameterCheckFailed"},
		{"group id without GID_", func(p url.Values) string { p.Set("ClientId", "group01@@@dev"); return secret }, 400, "ParameterCheckFailed"},
		{"client id over 64", func(p url.Values) string { p.Set("ClientId", "GID_test@@@"+strings.Repeat("d", 54)); return secret }, 400, "ParameterCheckFailed"},
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
			p := registerParams("GID_test@@@dev")
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
	p := registerParams("GID_test@@@dev")
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
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@dev"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, "InvalidTimeStamp.Expired", a.Code)
	p := alibabaParams("RegisterDeviceCredential", time.Now().Add(20*time.Minute))
	p.Set("ClientId", "GID_test@@@dev")
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
	assert.Equal(t, "DeviceCredentialNotFound", do("GetDeviceCredential", "GID_test@@@1").Code)
	reg := do("RegisterDeviceCredential", "GID_test@@@1")
	require.Equal(t, http.StatusOK, reg.Status)
	assert.Equal(t, "DeviceCredentialExsit", do("RegisterDeviceCredential", "GID_test@@@1").Code)
	got := do("GetDeviceCredential", "GID_test@@@1")
	assert.Equal(t, reg.DeviceCredential, got.DeviceCredential)

	ref := do("RefreshDeviceCredential", "GID_test@@@1")
	assert.Equal(t, reg.DeviceCredential.DeviceAccessKeyID, ref.DeviceCredential.DeviceAccessKeyID, "same id")
	assert.NotEqual(t, reg.DeviceCredential.DeviceAccessKeySecret, ref.DeviceCredential.DeviceAccessKeySecret, "new secret")
	assert.Equal(t, int64(1), srv.Alibaba.Refreshes())

	srv.Alibaba.SetCredentialQuota(1)
	a := do("RegisterDeviceCredential", "GID_test@@@2")
	assert.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, "DeviceCredentialNumExceed", a.Code)
	assert.Equal(t, http.StatusOK, do("UnRegisterDeviceCredential", "GID_test@@@1").Status)
	assert.Equal(t, "DeviceCredentialNotFound", do("UnRegisterDeviceCredential", "GID_test@@@1").Code)
	assert.Equal(t, http.StatusOK, do("RegisterDeviceCredential", "GID_test@@@2").Status, "quota released")
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
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("GID_test@@@1", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+iotauthtest.AlibabaInstanceID,
		"RW|"+short.Token))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("GID_test@@@1", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+iotauthtest.AlibabaInstanceID,
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

func TestAlibaba_ErrorNext_AnswersEveryDocumentedCodeWithItsStatusAndBody(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	for _, d := range srv.Alibaba.Errors() {
		srv.Alibaba.ErrorNext(1, d.Code)
		a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@1"), iotauthtest.AlibabaAccessKeySecret)
		assert.Equal(t, d.Status, a.Status, d.Code)
		assert.Equal(t, d.Code, a.Code)
		assert.Equal(t, d.Message, a.Message, d.Code)
		assert.NotEmpty(t, d.Doc, d.Code)
		assert.NotContains(t, d.Doc, ".txt", "a title and section, not a file name: %s", d.Code)
	}
	assert.Equal(t, http.StatusOK, alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@1"), iotauthtest.AlibabaAccessKeySecret).Status)
}

func TestAlibaba_ApplyToken_EnforcesTheDocumentedBounds(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv := iotauthtest.NewServer(iotauthtest.WithClock(clk))
	defer srv.Close()
	apply := func(resources string, life time.Duration) alibabaAnswer {
		p := alibabaParams("ApplyToken", clk.Now())
		p.Set("Resources", resources)
		p.Set("Actions", "R")
		p.Set("ExpireTime", strconv.FormatInt(clk.Now().Add(life).UnixMilli(), 10))
		return alibabaDo(t, srv, http.MethodPost, p, iotauthtest.AlibabaAccessKeySecret)
	}
	assert.Equal(t, "InvalidParameter.ExpireTime", apply("a", 5*time.Second).Code, "less than 60 s")
	assert.Equal(t, "InvalidParameter.Resources", apply("b,a", time.Hour).Code, "unsorted")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("t/%03d", i)
	}
	assert.Equal(t, "InvalidParameter.Resources", apply(strings.Join(many, ","), time.Hour).Code, "over 100")
	assert.Equal(t, http.StatusOK, apply(strings.Join(many[:100], ","), time.Hour).Status)

	long := apply("a,b", 90*24*time.Hour)
	require.Equal(t, http.StatusOK, long.Status, long.Code)
	assert.WithinDuration(t, clk.Now().Add(30*24*time.Hour), srv.Alibaba.TokenExpiry(long.Token), time.Second,
		"90 days are silently cut to 30")
}

func TestAlibaba_InjectedServerError_IsTheInternalErrorBody(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	srv.Alibaba.FailNext(1, http.StatusInternalServerError)
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@1"), iotauthtest.AlibabaAccessKeySecret)
	assert.Equal(t, http.StatusInternalServerError, a.Status)
	assert.Equal(t, "InternalError", a.Code)
	assert.Equal(t, int64(1), srv.Alibaba.Requests())
}

func TestAlibaba_AcceptsMQTTLogin_ChecksEveryMode(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	a := alibabaDo(t, srv, http.MethodPost, registerParams("GID_test@@@1"), iotauthtest.AlibabaAccessKeySecret)
	d := a.DeviceCredential
	inst := iotauthtest.AlibabaInstanceID
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("GID_test@@@1", "DeviceCredential|"+d.DeviceAccessKeyID+"|"+inst,
		alisign.HMACSHA1(d.DeviceAccessKeySecret, "GID_test@@@1")))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("GID_test@@@2", "DeviceCredential|"+d.DeviceAccessKeyID+"|"+inst,
		alisign.HMACSHA1(d.DeviceAccessKeySecret, "GID_test@@@2")), "credential of another device")
	assert.True(t, srv.Alibaba.AcceptsMQTTLogin("c", "Signature|"+iotauthtest.AlibabaAccessKeyID+"|"+inst,
		alisign.HMACSHA1(iotauthtest.AlibabaAccessKeySecret, "c")))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("c", "Signature|"+iotauthtest.AlibabaAccessKeyID+"|"+inst, "wrong"))
	assert.False(t, srv.Alibaba.AcceptsMQTTLogin("c", "Token|"+iotauthtest.AlibabaAccessKeyID+"|"+inst, "R|unknown"))
}
