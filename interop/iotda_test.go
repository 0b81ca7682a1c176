package interop

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/iotauthtest"
)

// Huawei's own IAM client obtains a token from the IAM emulator with the
// emulated user, and IoTDA accepts it as X-Auth-Token.
func TestIoTDA_HuaweiSDK_IAMClientGetsATokenIoTDAAccepts(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	// The SDK signs every call with an access key, even this one, which
	// IAM does not check; the emulated key serves.
	cred, err := global.NewCredentialsBuilder().WithAk(iotauthtest.IoTDAAccessKey).WithSk(iotauthtest.IoTDASecretKey).
		WithDomainId("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf").SafeBuild()
	require.NoError(t, err)
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{srv.URL}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(10 * time.Second)).SafeBuild()
	require.NoError(t, err)
	client := iam.NewIamClient(hc)

	project := iotauthtest.IoTDAProjectName
	res, err := client.KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods: []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{
					Name: iotauthtest.IoTDAUserName, Password: iotauthtest.IoTDAPassword,
					Domain: &iammodel.PwdPasswordUserDomain{Name: iotauthtest.IoTDADomainName},
				}},
			},
			Scope: &iammodel.AuthScope{Project: &iammodel.AuthScopeProject{Name: &project}},
		}},
	})
	require.NoError(t, err)
	require.NotNil(t, res.XSubjectToken)
	require.NotNil(t, res.Token)
	exp, err := time.Parse(time.RFC3339Nano, res.Token.ExpiresAt)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), exp, time.Minute)
	assert.True(t, srv.IAM.ValidToken(*res.XSubjectToken))

	// A wrong password: the SDK sees IAM's 401.
	res2, err := client.KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods: []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{
					Name: iotauthtest.IoTDAUserName, Password: "wrong",
					Domain: &iammodel.PwdPasswordUserDomain{Name: iotauthtest.IoTDADomainName},
				}},
			},
		}},
	})
	assert.Error(t, err, "%v", res2)
	assert.Contains(t, err.Error(), "401")
}

// The IoTDA emulator accepts requests signed by Huawei's own signer (which
// signs no host), and refuses them with a wrong secret key.
func TestIoTDA_HuaweiSDK_SignedRequestsAccepted(t *testing.T) {
	srv := iotauthtest.NewServer()
	t.Cleanup(srv.Close)
	send := func(method, body, sk string) int {
		b := request.NewHttpRequestBuilder().WithEndpoint(srv.URL).WithPath("/v5/iot/"+iotauthtest.IoTDAProjectID+"/devices").
			WithMethod(method).AddHeaderParam("X-Sdk-Date", time.Now().UTC().Format("20060102T150405Z"))
		if body != "" {
			b.AddHeaderParam("Content-Type", "application/json").WithBody("body", body)
		}
		req := b.Build()
		headers, err := signer.Sign(req, iotauthtest.IoTDAAccessKey, sk)
		require.NoError(t, err)
		for k, v := range headers {
			req.AddHeaderParam(k, v)
		}
		hr, err := req.ConvertRequest()
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(hr)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusOK, send(http.MethodGet, "", iotauthtest.IoTDASecretKey))
	assert.Equal(t, http.StatusCreated, send(http.MethodPost, `{"product_id":"p","node_id":"n","auth_info":{"secret":"s-1"}}`, iotauthtest.IoTDASecretKey))
	assert.Equal(t, http.StatusUnauthorized, send(http.MethodGet, "", "not-the-secret-key"))
}
