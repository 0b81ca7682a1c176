package alimqtt_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

const testRegion = "cn-hangzhou"

// emulated returns a client of the emulated account and the emulator.
func emulated(t *testing.T, opts ...iotauthtest.Option) (*alimqtt.Provider, *iotauthtest.Server) {
	t.Helper()
	srv := iotauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return emulatedWith(t, srv, func(*alimqtt.Config) {}), srv
}

// emulatedWith returns a client of srv with cfg changed by edit.
func emulatedWith(t *testing.T, srv *iotauthtest.Server, edit func(*alimqtt.Config)) *alimqtt.Provider {
	t.Helper()
	cfg := alimqtt.Config{
		RegionID:        testRegion,
		Endpoint:        srv.URL,
		AccessKeyID:     iotauthtest.AlibabaAccessKeyID,
		AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID:      iotauthtest.AlibabaInstanceID,
		HTTPClient:      srv.Client(),
	}
	edit(&cfg)
	c, err := alimqtt.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// mocked returns a client whose calls go to a mock transport at the
// default endpoint.
func mocked(t *testing.T, edit func(*alimqtt.Config)) (*alimqtt.Provider, *stubhttp.Transport) {
	t.Helper()
	mt := stubhttp.New()
	cfg := alimqtt.Config{
		RegionID:        testRegion,
		AccessKeyID:     "LTAIexample",
		AccessKeySecret: "example-secret",
		InstanceID:      "post-cn-0pp12gl0000",
		HTTPClient:      &http.Client{Transport: mt},
	}
	edit(&cfg)
	c, err := alimqtt.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, mt
}

const defaultEndpoint = "https://onsmqtt.cn-hangzhou.aliyuncs.com/"

// assertNoSecrets checks that err, formatted every way, holds none of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(f, err)
		for _, secret := range secrets {
			assert.NotContains(t, s, secret, "format %s", f)
		}
	}
}

// platformError asserts err is an *iotauth.Error and returns it.
func platformError(t *testing.T, err error) *iotauth.Error {
	t.Helper()
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "alimqtt", e.Platform)
	return e
}
