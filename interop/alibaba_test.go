package interop

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/onsmqtt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

// sent is one request an independent client sent, as the emulator saw it:
// its method, where its parameters travelled, and their names.
type sent struct {
	Method string
	Params string // "query", "form" or "query+form"
	Names  []string
}

// recorder is an http.RoundTripper that notes what a client sends before
// passing it on.
type recorder struct {
	mu   sync.Mutex
	seen map[string]sent // by Action
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	where := "query"
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0 {
		where = "query+form"
		if len(q) == 0 {
			where = "form"
		}
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]sent{}
	}
	r.seen[q.Get("Action")] = sent{Method: req.Method, Params: where, Names: names}
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// alibabaSDK is Alibaba Cloud's own onsmqtt client, pointed at srv and
// recording what it sends into rec.
func alibabaSDK(t *testing.T, keyID, secret string, rec *recorder) *onsmqtt.Client {
	t.Helper()
	c, err := onsmqtt.NewClientWithAccessKey(iotauthtest.EmulatorRegion, keyID, secret)
	require.NoError(t, err)
	if rec != nil {
		c.SetTransport(rec)
	}
	return c
}

// at points an SDK request at the emulator.
func at(srv *iotauthtest.Server, r interface {
	SetScheme(string)
	SetDomain(string)
}) {
	u, _ := url.Parse(srv.URL)
	r.SetScheme(u.Scheme)
	r.SetDomain(u.Host)
}

// TestAlibabaSDK_TheSevenCalls_AreAcceptedAsThePlatformWould drives the
// seven onsmqtt calls iotauth's alimqtt provider makes through Alibaba
// Cloud's official SDK, and checks both what the emulator answered and what
// the SDK sent (the table every emulator change must keep accepting).
func TestAlibabaSDK_TheSevenCalls_AreAcceptedAsThePlatformWould(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	rec := &recorder{}
	c := alibabaSDK(t, iotauthtest.AlibabaAccessKeyID, iotauthtest.AlibabaAccessKeySecret, rec)
	inst, client := iotauthtest.AlibabaInstanceID, "GID_interop@@@device-1"

	reg := onsmqtt.CreateRegisterDeviceCredentialRequest()
	at(srv, reg)
	reg.ClientId, reg.InstanceId = client, inst
	r, err := c.RegisterDeviceCredential(reg)
	require.NoError(t, err)
	assert.NotEmpty(t, r.RequestId)
	assert.Equal(t, client, r.DeviceCredential.ClientId)
	assert.True(t, strings.HasPrefix(r.DeviceCredential.DeviceAccessKeyId, "DC."))
	assert.Positive(t, r.DeviceCredential.CreateTime)

	get := onsmqtt.CreateGetDeviceCredentialRequest()
	at(srv, get)
	get.ClientId, get.InstanceId = client, inst
	g, err := c.GetDeviceCredential(get)
	require.NoError(t, err)
	assert.Equal(t, r.DeviceCredential.DeviceAccessKeySecret, g.DeviceCredential.DeviceAccessKeySecret)

	ref := onsmqtt.CreateRefreshDeviceCredentialRequest()
	at(srv, ref)
	ref.ClientId, ref.InstanceId = client, inst
	f, err := c.RefreshDeviceCredential(ref)
	require.NoError(t, err)
	assert.Equal(t, r.DeviceCredential.DeviceAccessKeyId, f.DeviceCredential.DeviceAccessKeyId, "same key id")
	assert.NotEqual(t, r.DeviceCredential.DeviceAccessKeySecret, f.DeviceCredential.DeviceAccessKeySecret, "new secret")

	unreg := onsmqtt.CreateUnRegisterDeviceCredentialRequest()
	at(srv, unreg)
	unreg.ClientId, unreg.InstanceId = client, inst
	u, err := c.UnRegisterDeviceCredential(unreg)
	require.NoError(t, err)
	assert.NotEmpty(t, u.RequestId)
	assert.Zero(t, srv.Alibaba.DeviceCredentials())

	apply := onsmqtt.CreateApplyTokenRequest()
	at(srv, apply)
	apply.InstanceId, apply.Resources, apply.Actions = inst, "parent/a,parent/b/#", "R,W"
	apply.ExpireTime = requests.NewInteger64(time.Now().Add(time.Hour).UnixMilli())
	a, err := c.ApplyToken(apply)
	require.NoError(t, err)
	require.NotEmpty(t, a.Token)

	query := onsmqtt.CreateQueryTokenRequest()
	at(srv, query)
	query.InstanceId, query.Token = inst, a.Token
	q, err := c.QueryToken(query)
	require.NoError(t, err)
	assert.True(t, q.TokenStatus)

	revoke := onsmqtt.CreateRevokeTokenRequest()
	at(srv, revoke)
	revoke.InstanceId, revoke.Token = inst, a.Token
	_, err = c.RevokeToken(revoke)
	require.NoError(t, err)
	query = onsmqtt.CreateQueryTokenRequest()
	at(srv, query)
	query.InstanceId, query.Token = inst, a.Token
	q, err = c.QueryToken(query)
	require.NoError(t, err)
	assert.False(t, q.TokenStatus, "revoked")

	// What Alibaba's SDK sent, which the emulator must keep accepting:
	// POST, every parameter in the query string, signed (HMAC-SHA1, 1.0).
	common := []string{"AccessKeyId", "Action", "Format", "InstanceId", "RegionId", "Signature",
		"SignatureMethod", "SignatureNonce", "SignatureType", "SignatureVersion", "Timestamp", "Version"}
	want := map[string][]string{
		"RegisterDeviceCredential":   {"ClientId"},
		"GetDeviceCredential":        {"ClientId"},
		"RefreshDeviceCredential":    {"ClientId"},
		"UnRegisterDeviceCredential": {"ClientId"},
		"ApplyToken":                 {"Actions", "ExpireTime", "Resources"},
		"QueryToken":                 {"Token"},
		"RevokeToken":                {"Token"},
	}
	require.Len(t, rec.seen, len(want))
	for action, extra := range want {
		got := rec.seen[action]
		assert.Equal(t, http.MethodPost, got.Method, action)
		assert.Equal(t, "query", got.Params, action)
		for _, name := range append(append([]string(nil), common...), extra...) {
			if name == "SignatureType" {
				continue // sent empty by some SDK versions
			}
			assert.Contains(t, got.Names, name, action)
		}
	}
}

// TestAlibabaSDK_WrongSecret_IsSignatureDoesNotMatch: the SDK sees the
// documented error code and status, and the emulator registers nothing.
func TestAlibabaSDK_WrongSecret_IsSignatureDoesNotMatch(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	c := alibabaSDK(t, iotauthtest.AlibabaAccessKeyID, "not-the-secret", nil)
	reg := onsmqtt.CreateRegisterDeviceCredentialRequest()
	at(srv, reg)
	reg.ClientId, reg.InstanceId = "GID_interop@@@device-1", iotauthtest.AlibabaInstanceID
	_, err := c.RegisterDeviceCredential(reg)
	var se *sdkerrors.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "SignatureDoesNotMatch", se.ErrorCode())
	assert.Equal(t, http.StatusForbidden, se.HttpStatus(), "403, as the OpenAPI error-code table says")
	assert.NotEmpty(t, se.RequestId())
	assert.Zero(t, srv.Alibaba.Registers())
}

// TestAlibabaSDK_STSToken_IsCheckedLikeThePlatform: the SDK's STS client
// sends SecurityToken, which the emulator requires of an STS AccessKey.
func TestAlibabaSDK_STSToken_IsCheckedLikeThePlatform(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	for token, code := range map[string]string{
		iotauthtest.AlibabaSTSSecurityToken: "",
		"someone-elses-token":               "InvalidSecurityToken.MismatchWithAccessKey",
	} {
		c, err := onsmqtt.NewClientWithStsToken(iotauthtest.EmulatorRegion, iotauthtest.AlibabaSTSAccessKeyID,
			iotauthtest.AlibabaSTSAccessKeySecret, token)
		require.NoError(t, err)
		get := onsmqtt.CreateGetDeviceCredentialRequest()
		at(srv, get)
		get.ClientId, get.InstanceId = "GID_interop@@@device-2", iotauthtest.AlibabaInstanceID
		_, err = c.GetDeviceCredential(get)
		var se *sdkerrors.ServerError
		require.ErrorAs(t, err, &se)
		if code == "" {
			assert.Equal(t, "DeviceCredentialNotFound", se.ErrorCode(), "authenticated: the call itself answers")
			continue
		}
		assert.Equal(t, code, se.ErrorCode())
	}
}
