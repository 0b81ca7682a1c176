package alimqtt_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// wantKind is the deliberate kind of every error the emulator documents.
var wantKind = map[string]error{
	"ApplyTokenOverFlow":                         iotauth.ErrRateLimited,
	"SystemOverFlow":                             iotauth.ErrRateLimited,
	"Throttling":                                 iotauth.ErrRateLimited,
	"Throttling.User":                            iotauth.ErrRateLimited,
	"InvalidAccessKeyId.NotFound":                iotauth.ErrInvalidCredentials,
	"SignatureDoesNotMatch":                      iotauth.ErrInvalidCredentials,
	"CheckAccountInfoFailed":                     iotauth.ErrInvalidCredentials,
	"InvalidSecurityToken.Expired":               iotauth.ErrInvalidCredentials,
	"InvalidSecurityToken.MismatchWithAccessKey": iotauth.ErrInvalidCredentials,
	"MissingSecurityToken":                       iotauth.ErrInvalidCredentials,
	"InstancePermissionCheckFailed":              iotauth.ErrForbidden,
	"PermissionCheckFailed":                      iotauth.ErrForbidden,
	"Forbidden":                                  iotauth.ErrForbidden,
	"Forbidden.RiskControl":                      iotauth.ErrForbidden,
	"ParameterCheckFailed":                       iotauth.ErrBadRequest,
	"InvalidParameter.Actions":                   iotauth.ErrBadRequest,
	"InvalidParameter.Resources":                 iotauth.ErrBadRequest,
	"InvalidParameter.ExpireTime":                iotauth.ErrBadRequest,
	"InvalidParameter.Token":                     iotauth.ErrBadRequest,
	"MissingParameter":                           iotauth.ErrBadRequest,
	"ApiNotSupport":                              iotauth.ErrBadRequest,
	"DeviceCredentialNumExceed":                  iotauth.ErrQuotaExceeded,
	"DeviceCredentialExsit":                      iotauth.ErrBadRequest,
	"DeviceCredentialNotFound":                   iotauth.ErrBadRequest,
	"InternalError":                              iotauth.ErrServer,
	"ServiceUnavailable":                         iotauth.ErrServer,
	// Clock skew, a reused nonce, a client bug: not in the table, so
	// transient and never latched.
	"IncompleteSignature":       iotauth.ErrServer,
	"InvalidSignatureMethod":    iotauth.ErrServer,
	"InvalidTimeStamp.Format":   iotauth.ErrServer,
	"InvalidTimeStamp.Expired":  iotauth.ErrServer,
	"SignatureNonceUsed":        iotauth.ErrServer,
	"InvalidVersion":            iotauth.ErrServer,
	"UnsupportedHTTPMethod":     iotauth.ErrServer,
	"SomethingNew.Undocumented": iotauth.ErrServer,
}

// TestErrors_EveryDocumentedCode_MapsToItsKind answers every error the
// emulator documents, with its documented status and body, and checks the
// kind, the code, the status and the RequestId, and that no secret leaks.
func TestErrors_EveryDocumentedCode_MapsToItsKind(t *testing.T) {
	c, srv := emulated(t)
	documented := append(srv.Alibaba.Errors(), iotauthtest.DocumentedError{Code: "SomethingNew.Undocumented", Status: 400})
	require.Len(t, wantKind, len(documented), "every documented code has a deliberate kind")
	for _, d := range documented {
		t.Run(d.Code, func(t *testing.T) {
			kind, ok := wantKind[d.Code]
			require.True(t, ok)
			srv.Alibaba.ErrorNext(1, d.Code)
			_, err := c.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
			require.ErrorIs(t, err, kind)
			e := platformError(t, err)
			assert.Equal(t, d.Code, e.Code)
			assert.Equal(t, d.Status, e.HTTPStatus)
			assert.NotEmpty(t, e.RequestID, "RequestId kept")
			assert.NotEmpty(t, e.Message)
			assertNoSecrets(t, err, iotauthtest.AlibabaAccessKeySecret)
		})
	}
}

// TestErrors_RealRefusals_MapToKinds provokes the refusals the emulator
// computes itself: a wrong key, secret, instance or STS token.
func TestErrors_RealRefusals_MapToKinds(t *testing.T) {
	cases := []struct {
		code string
		edit func(*alimqtt.Config)
		kind error
	}{
		{"InvalidAccessKeyId.NotFound", func(c *alimqtt.Config) { c.AccessKeyID = "LTAIunknown" }, iotauth.ErrInvalidCredentials},
		{"SignatureDoesNotMatch", func(c *alimqtt.Config) { c.AccessKeySecret = "wrong-secret-value" }, iotauth.ErrInvalidCredentials},
		{"InstancePermissionCheckFailed", func(c *alimqtt.Config) { c.InstanceID = "post-cn-other" }, iotauth.ErrForbidden},
		{"MissingSecurityToken", func(c *alimqtt.Config) {
			c.AccessKeyID, c.AccessKeySecret = iotauthtest.AlibabaSTSAccessKeyID, iotauthtest.AlibabaSTSAccessKeySecret
		}, iotauth.ErrInvalidCredentials},
		{"InvalidSecurityToken.MismatchWithAccessKey", func(c *alimqtt.Config) {
			c.AccessKeyID, c.AccessKeySecret = iotauthtest.AlibabaSTSAccessKeyID, iotauthtest.AlibabaSTSAccessKeySecret
			c.SecurityToken = "wrong-sts-token"
		}, iotauth.ErrInvalidCredentials},
		{"", func(c *alimqtt.Config) {
			c.AccessKeyID, c.AccessKeySecret = iotauthtest.AlibabaSTSAccessKeyID, iotauthtest.AlibabaSTSAccessKeySecret
			c.SecurityToken = iotauthtest.AlibabaSTSSecurityToken
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			srv := iotauthtest.NewServer()
			t.Cleanup(srv.Close)
			c := emulatedWith(t, srv, tc.edit)
			_, err := c.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
			if tc.kind == nil {
				require.NoError(t, err, "an STS key with its SecurityToken is accepted")
				return
			}
			require.ErrorIs(t, err, tc.kind)
			assert.Equal(t, tc.code, platformError(t, err).Code)
			assertNoSecrets(t, err, "wrong-secret-value", "wrong-sts-token", iotauthtest.AlibabaSTSAccessKeySecret)
		})
	}
}

func TestErrors_CredentialFailuresAreLatched_ThrottlingIsRetryable(t *testing.T) {
	assert.True(t, iotauth.IsCredentialFailure(&iotauth.Error{Kind: iotauth.ErrInvalidCredentials}))
	c, srv := emulated(t)
	srv.Alibaba.ErrorNext(1, "Throttling.User")
	_, err := c.GetDeviceCredential(context.Background(), "GID_test@@@dev1")
	assert.True(t, iotauth.IsRetryable(err))
	assert.False(t, iotauth.IsCredentialFailure(err))
}

func TestErrors_TransportFaults_AreTyped(t *testing.T) {
	cases := []struct {
		name   string
		inject func(*iotauthtest.Alibaba)
		kind   error
	}{
		{"html gateway page", func(a *iotauthtest.Alibaba) { a.HTMLNext(1) }, iotauth.ErrServer},
		{"truncated json", func(a *iotauthtest.Alibaba) { a.MalformedNext(1) }, iotauth.ErrMalformedResponse},
		{"body over 10 MiB", func(a *iotauthtest.Alibaba) { a.HugeNext(1) }, iotauth.ErrMalformedResponse},
		{"connection reset", func(a *iotauthtest.Alibaba) { a.ResetNext(1) }, iotauth.ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := emulated(t)
			tc.inject(srv.Alibaba)
			_, err := c.ApplyToken(context.Background(), []string{"parent/a"}, "R", time.Now().Add(time.Hour))
			require.ErrorIs(t, err, tc.kind)
			platformError(t, err)
			assertNoSecrets(t, err, iotauthtest.AlibabaAccessKeySecret, "Signature=")
			// The next call succeeds: the fault was one-off.
			_, err = c.ApplyToken(context.Background(), []string{"parent/a"}, "R", time.Now().Add(time.Hour))
			require.NoError(t, err)
		})
	}
}

func TestErrors_MalformedSuccessAnswers_AreMalformedResponse(t *testing.T) {
	cases := map[string]string{
		"no credential":    `{"RequestId":"r"}`,
		"no key id":        `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@1","DeviceAccessKeySecret":"s"}}`,
		"no secret":        `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@1","DeviceAccessKeyId":"k"}}`,
		"other client":     `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@2","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s"}}`,
		"negative time":    `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":-1}}`,
		"time not numeric": `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":"soon"}}`,
		"empty body":       ``,
		"array":            `[]`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			c, mt := mocked(t, func(*alimqtt.Config) {})
			mt.Register(http.MethodPost, defaultEndpoint, stubhttp.StringResponder(200, body))
			_, err := c.GetDeviceCredential(context.Background(), "GID_test@@@1")
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
		})
	}
}

func TestErrors_TimesAsStrings_AreParsed(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	mt.Register(http.MethodPost, defaultEndpoint, stubhttp.StringResponder(200,
		`{"RequestId":"r","DeviceCredential":{"ClientId":"GID_test@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":"1605541382000","UpdateTime":1605541382001}}`))
	cred, err := c.GetDeviceCredential(context.Background(), "GID_test@@@1")
	require.NoError(t, err)
	assert.Equal(t, int64(1605541382000), cred.CreateTime.UnixMilli())
	assert.Equal(t, int64(1605541382001), cred.UpdateTime.UnixMilli())
}

func TestErrors_NonJSONErrorAnswer_IsTransient(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	mt.Register(http.MethodPost, defaultEndpoint, stubhttp.StringResponder(429, `Too Many Requests`))
	_, err := c.GetDeviceCredential(context.Background(), "GID_test@@@1")
	require.ErrorIs(t, err, iotauth.ErrRateLimited)
	assert.Equal(t, 429, platformError(t, err).HTTPStatus)

	for _, status := range []int{401, 403} {
		c, mt := mocked(t, func(*alimqtt.Config) {})
		mt.Register(http.MethodPost, defaultEndpoint, stubhttp.StringResponder(status, `<html>denied</html>`))
		_, err := c.GetDeviceCredential(context.Background(), "GID_test@@@1")
		require.ErrorIs(t, err, iotauth.ErrServer, "a page without the platform's code is never a credential failure")
		assert.False(t, iotauth.IsCredentialFailure(err))
	}
}
