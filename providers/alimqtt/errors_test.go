package alimqtt_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// TestErrors_EmulatorCodes_MapToKinds drives every documented error code
// through the emulator and checks its kind, its code and its RequestId, and
// that no secret or token leaks into the error text.
func TestErrors_EmulatorCodes_MapToKinds(t *testing.T) {
	type setup func(srv *iotauthtest.Server) func(*alimqtt.Config)
	none := func(*alimqtt.Config) {}
	inject := func(status int, code string) setup {
		return func(srv *iotauthtest.Server) func(*alimqtt.Config) {
			srv.Alibaba.ErrorNext(1, status, code)
			return none
		}
	}
	cases := []struct {
		code  string
		setup setup
		apply bool // call ApplyToken instead of RegisterDeviceCredential
		kind  error
	}{
		{"ApplyTokenOverFlow", func(srv *iotauthtest.Server) func(*alimqtt.Config) { srv.Alibaba.ThrottleNext(1); return none }, true, iotauth.ErrRateLimited},
		{"Throttling.User", func(srv *iotauthtest.Server) func(*alimqtt.Config) { srv.Alibaba.ThrottleNext(1); return none }, false, iotauth.ErrRateLimited},
		{"SystemOverFlow", inject(500, "SystemOverFlow"), false, iotauth.ErrRateLimited},
		{"InvalidAccessKeyId.NotFound", func(*iotauthtest.Server) func(*alimqtt.Config) {
			return func(c *alimqtt.Config) { c.AccessKeyID = "LTAIunknown" }
		}, false, iotauth.ErrInvalidCredentials},
		{"SignatureDoesNotMatch", func(*iotauthtest.Server) func(*alimqtt.Config) {
			return func(c *alimqtt.Config) { c.AccessKeySecret = "wrong-secret-value" }
		}, false, iotauth.ErrInvalidCredentials},
		{"CheckAccountInfoFailed", inject(400, "CheckAccountInfoFailed"), false, iotauth.ErrInvalidCredentials},
		{"InstancePermissionCheckFailed", func(*iotauthtest.Server) func(*alimqtt.Config) {
			return func(c *alimqtt.Config) { c.InstanceID = "post-cn-other" }
		}, false, iotauth.ErrForbidden},
		{"PermissionCheckFailed", inject(400, "PermissionCheckFailed"), true, iotauth.ErrForbidden},
		{"ParameterCheckFailed", inject(400, "ParameterCheckFailed"), false, iotauth.ErrBadRequest},
		{"InvalidParameter.Resources", inject(400, "InvalidParameter.Resources"), true, iotauth.ErrBadRequest},
		// The quota itself is exercised in TestDeviceCredentialNumExceed_IsQuotaExceeded.
		{"DeviceCredentialNumExceed", inject(400, "DeviceCredentialNumExceed"), false, iotauth.ErrQuotaExceeded},
		{"InternalError", func(srv *iotauthtest.Server) func(*alimqtt.Config) { srv.Alibaba.FailNext(1, 500); return none }, false, iotauth.ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			srv := iotauthtest.NewServer()
			t.Cleanup(srv.Close)
			c := emulatedWith(t, srv, tc.setup(srv))
			var err error
			if tc.apply {
				_, err = c.ApplyToken(context.Background(), []string{"parent/a"}, "R", time.Now().Add(time.Hour))
			} else {
				_, err = c.RegisterDeviceCredential(context.Background(), "GID_test@@@dev1")
			}
			require.ErrorIs(t, err, tc.kind)
			e := platformError(t, err)
			assert.Equal(t, tc.code, e.Code)
			assert.NotEmpty(t, e.RequestID, "RequestId kept")
			assert.NotEmpty(t, e.Message)
			assert.NotZero(t, e.HTTPStatus)
			assertNoSecrets(t, err, iotauthtest.AlibabaAccessKeySecret, "wrong-secret-value")
		})
	}
}

func TestErrors_CredentialFailuresAreLatched_ThrottlingIsRetryable(t *testing.T) {
	assert.True(t, iotauth.IsCredentialFailure(&iotauth.Error{Kind: iotauth.ErrInvalidCredentials}))
	c, srv := emulated(t)
	srv.Alibaba.ThrottleNext(1)
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
		"no key id":        `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@1","DeviceAccessKeySecret":"s"}}`,
		"no secret":        `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@1","DeviceAccessKeyId":"k"}}`,
		"other client":     `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@2","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s"}}`,
		"negative time":    `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":-1}}`,
		"time not numeric": `{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":"soon"}}`,
		"empty body":       ``,
		"array":            `[]`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			c, mt := mocked(t, func(*alimqtt.Config) {})
			mt.RegisterResponder(http.MethodPost, defaultEndpoint, httpmock.NewStringResponder(200, body))
			_, err := c.GetDeviceCredential(context.Background(), "GID_a@@@1")
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
		})
	}
}

func TestErrors_TimesAsStrings_AreParsed(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	mt.RegisterResponder(http.MethodPost, defaultEndpoint, httpmock.NewStringResponder(200,
		`{"RequestId":"r","DeviceCredential":{"ClientId":"GID_a@@@1","DeviceAccessKeyId":"k","DeviceAccessKeySecret":"s","CreateTime":"1605541382000","UpdateTime":1605541382001}}`))
	cred, err := c.GetDeviceCredential(context.Background(), "GID_a@@@1")
	require.NoError(t, err)
	assert.Equal(t, int64(1605541382000), cred.CreateTime.UnixMilli())
	assert.Equal(t, int64(1605541382001), cred.UpdateTime.UnixMilli())
}

func TestErrors_NonJSONErrorAnswer_IsMappedByStatus(t *testing.T) {
	c, mt := mocked(t, func(*alimqtt.Config) {})
	mt.RegisterResponder(http.MethodPost, defaultEndpoint, httpmock.NewStringResponder(429, `Too Many Requests`))
	_, err := c.GetDeviceCredential(context.Background(), "GID_a@@@1")
	require.ErrorIs(t, err, iotauth.ErrRateLimited)
	assert.Equal(t, 429, platformError(t, err).HTTPStatus)
}
