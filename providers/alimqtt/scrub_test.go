package alimqtt_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// Alibaba answers a bad signature by quoting the string it signed, which
// holds the STS SecurityToken percent-encoded twice: the error the user
// gets must not.
func TestCall_SignatureMismatchQuotingTheStringToSign_HidesTheSecurityToken(t *testing.T) {
	const sts = "CAIS+sts/token=with&chars"
	c, mt := mocked(t, func(cfg *alimqtt.Config) { cfg.SecurityToken = sts })
	mt.Register(http.MethodPost, defaultEndpoint, func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		form, err := url.ParseQuery(string(b))
		require.NoError(t, err)
		form.Del("Signature")
		body, _ := json.Marshal(map[string]string{"RequestId": "r1", "Code": "SignatureDoesNotMatch",
			"Message": "Specified signature is not matched with our calculation. server string to sign is:" +
				alisign.StringToSign(http.MethodPost, form)})
		res := stubhttp.BytesResponse(http.StatusBadRequest, body)
		res.Header.Set("Content-Type", "application/json")
		return res, nil
	})
	_, err := c.GetDeviceCredential(t.Context(), "GID_test@@@test")
	require.Error(t, err)
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "SignatureDoesNotMatch", e.Code)
	assert.Contains(t, e.Message, "[REDACTED]")
	once := alisign.Encode(sts)
	assertNoSecrets(t, err, sts, once, alisign.Encode(once), url.QueryEscape(sts))
}
