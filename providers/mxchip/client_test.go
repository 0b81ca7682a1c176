package mxchip

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

const (
	docMQTTClient = `{"meta":{"message":"mqtt info","code":0},"data":{"loginname":"81579cea3a1811e7a554...","sslport":1884,"clientid":"ce74f1686dde11e7a5...","endpoint":"81579cea3a1811e...","mqttport":1883,"password":"qNHS14x4/5Cseu2Ar...","mqtthost":"81579cea3a1...mqtt.iot.gz.baidubce.com"}}`
	docGrant      = `{"meta":{"message":"create permission ok","code":0},"data":{"client_id":"077254806...","device_id":"83e134fa42bd11..."}}`
	docRevoke     = `{"meta":{"message":"delete permission ok","code":0},"data":{"client_id":"077254806d1a...","device_id":"83e134fa42bd..."}}`
	docProducts   = `{"meta":{"message":"product id list","code":0},"data":[{"productid":"f164aaf856f...","pname":"test101702"},{"productid":"b67741acb2f...","pname":"test101701"}]}`
)

func TestClient_Requests_HaveTheDocumentedShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer string
		call   func(c *Client) error
		method string
		path   string
		form   url.Values
	}{
		{"CreateMQTTClient", docMQTTClient, func(c *Client) error {
			_, err := c.CreateMQTTClient(context.Background(), "app-1")
			return err
		}, http.MethodPost, "/v3/open_api/mqtt/client/", url.Values{"app_id": {"app-1"}}},
		{"GrantPermission", docGrant, func(c *Client) error {
			return c.GrantPermission(context.Background(), "client-1", "device-1")
		}, http.MethodPost, "/v3/open_api/mqtt/permission/", url.Values{"client_id": {"client-1"}, "device_id": {"device-1"}}},
		{"RevokePermission sends its parameters in the body", docRevoke, func(c *Client) error {
			return c.RevokePermission(context.Background(), "client-1", "device-1")
		}, http.MethodDelete, "/v3/open_api/mqtt/permission/", url.Values{"client_id": {"client-1"}, "device_id": {"device-1"}}},
		{"ProductIDs", docProducts, func(c *Client) error {
			_, err := c.ProductIDs(context.Background())
			return err
		}, http.MethodGet, "/v3/open_api/product/ids/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, answer(http.StatusOK, tc.answer))
			require.NoError(t, tc.call(m.p.NewClient(staticToken("access-1"))))
			reqs := m.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, "api.fogcloud.io", r.URL.Host)
			assert.Equal(t, tc.path, r.URL.Path)
			assert.Empty(t, r.URL.RawQuery, "parameters travel in the body")
			assert.Equal(t, "Bearer access-1", r.Header.Get("Authorization"))
			if tc.form == nil {
				assert.Empty(t, r.body)
				return
			}
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			form, err := url.ParseQuery(r.body)
			require.NoError(t, err)
			assert.Equal(t, tc.form, form)
		})
	}
}

func TestClient_DocExamples_AreParsed(t *testing.T) {
	c := newMock(t, answer(http.StatusOK, docMQTTClient)).p.NewClient(staticToken("a"))
	mc, err := c.CreateMQTTClient(context.Background(), "app-1")
	require.NoError(t, err)
	assert.Equal(t, MQTTClient{
		LoginName: "81579cea3a1811e7a554...",
		Password:  "qNHS14x4/5Cseu2Ar...",
		ClientID:  "ce74f1686dde11e7a5...",
		Host:      "81579cea3a1...mqtt.iot.gz.baidubce.com",
		Port:      1883,
		TLSPort:   1884,
		Endpoint:  "81579cea3a1811e...",
	}, *mc)
	login := mc.MQTTLogin()
	assert.Equal(t, iotauth.MQTTLogin{
		Host: mc.Host, Port: 1883, TLSPort: 1884, ClientID: mc.ClientID,
		Username: mc.LoginName, Password: "qNHS14x4/5Cseu2Ar...",
	}, login)
	assert.Equal(t, "ssl://81579cea3a1...mqtt.iot.gz.baidubce.com:1884", login.BrokerURL())
	for _, f := range []string{"%v", "%+v", "%#v"} {
		assert.NotContains(t, fmt.Sprintf(f, mc), "qNHS14x4", f)
		assert.NotContains(t, fmt.Sprintf(f, login), "qNHS14x4", f)
	}

	c = newMock(t, answer(http.StatusOK, docProducts)).p.NewClient(staticToken("a"))
	ps, err := c.ProductIDs(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Product{{ID: "f164aaf856f...", Name: "test101702"}, {ID: "b67741acb2f...", Name: "test101701"}}, ps)
}

func TestClient_BadAnswers_AreMalformedResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		call       func(c *Client) error
	}{
		{"MQTT client without password", `{"meta":{"code":0},"data":{"loginname":"l","clientid":"c","mqtthost":"h","mqttport":1883}}`, createApp},
		{"MQTT client without host", `{"meta":{"code":0},"data":{"loginname":"l","password":"p","clientid":"c","mqttport":1883}}`, createApp},
		{"MQTT client without ports", `{"meta":{"code":0},"data":{"loginname":"l","password":"p","clientid":"c","mqtthost":"h"}}`, createApp},
		{"MQTT client with port out of range", `{"meta":{"code":0},"data":{"loginname":"l","password":"p","clientid":"c","mqtthost":"h","mqttport":70000,"sslport":1884}}`, createApp},
		{"MQTT client as a list", `{"meta":{"code":0},"data":[]}`, createApp},
		{"products as an object", `{"meta":{"code":0},"data":{}}`, listProducts},
		{"product without id", `{"meta":{"code":0},"data":[{"pname":"x"}]}`, listProducts},
		{"products null", `{"meta":{"code":0},"data":null}`, listProducts},
		{"permission without meta", `{"data":{}}`, grant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(newMock(t, answer(http.StatusOK, tc.body)).p.NewClient(staticToken("a")))
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
		})
	}
}

func TestClient_EmptyProductList_IsNoProducts(t *testing.T) {
	c := newMock(t, answer(http.StatusOK, `{"meta":{"code":0},"data":[]}`)).p.NewClient(staticToken("a"))
	ps, err := c.ProductIDs(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ps)
	assert.NotNil(t, ps)
}

func TestClient_PermissionWithoutIDs_FailsWithoutACall(t *testing.T) {
	m := newMock(t, answer(http.StatusOK, docGrant))
	c := m.p.NewClient(staticToken("a"))
	for _, err := range []error{c.GrantPermission(context.Background(), "", "d"), c.RevokePermission(context.Background(), "c", "")} {
		require.ErrorIs(t, err, iotauth.ErrBadRequest)
		require.ErrorContains(t, err, "client_id (from CreateMQTTClient) and device_id are both required")
	}
	_, err := c.CreateMQTTClient(context.Background(), "")
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	require.ErrorContains(t, err, "app_id")
	assert.Empty(t, m.requests())
}

func createApp(c *Client) error {
	_, err := c.CreateMQTTClient(context.Background(), iotauthtest.MXCHIPAppID)
	return err
}

func listProducts(c *Client) error {
	_, err := c.ProductIDs(context.Background())
	return err
}

func grant(c *Client) error { return c.GrantPermission(context.Background(), "c", "d") }

// End to end, against the emulator, through iotauth.NewCache and the core Transport.

func TestClient_Emulator_CreateGrantRevokeList(t *testing.T) {
	srv, c := cachedClient(t)
	ctx := context.Background()

	mc, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
	require.NoError(t, err)
	assert.NotEmpty(t, mc.LoginName)
	assert.NotEmpty(t, mc.Password)
	assert.NotEmpty(t, mc.Endpoint)
	assert.Equal(t, 1883, mc.Port)
	assert.Equal(t, 1884, mc.TLSPort)
	assert.Equal(t, "ssl://"+mc.Host+":1884", mc.MQTTLogin().BrokerURL())
	created := srv.MXCHIP.Clients()
	require.Len(t, created, 1)
	assert.Equal(t, mc.ClientID, created[0].ClientID)
	assert.Equal(t, string(mc.Password), created[0].Password)

	require.NoError(t, c.GrantPermission(ctx, mc.ClientID, "device-7"))
	assert.True(t, srv.MXCHIP.HasPermission(mc.ClientID, "device-7"))
	require.NoError(t, c.RevokePermission(ctx, mc.ClientID, "device-7"))
	assert.False(t, srv.MXCHIP.HasPermission(mc.ClientID, "device-7"))

	ps, err := c.ProductIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Product{
		{ID: "f164aaf856f011e8a0a800163e0e2e98", Name: "test101702"},
		{ID: "b67741acb2f011e8a0a800163e0e2e98", Name: "test101701"},
	}, ps)

	assert.EqualValues(t, 1, srv.MXCHIP.Logins(), "one token serves every call")
	assert.EqualValues(t, 0, srv.MXCHIP.Rejected())
}

func TestClient_EmulatorBadParams_AreBadRequestWithCode10000(t *testing.T) {
	srv, c := cachedClient(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, message string
		call          func() error
	}{
		{"unknown app", "app_id not found", func() error { _, err := c.CreateMQTTClient(ctx, "no-such-app"); return err }},
		{"grant to unknown client", "client_id not found", func() error { return c.GrantPermission(ctx, "no-such-client", "d") }},
		{"revoke a permission never granted", "client_id not found", func() error { return c.RevokePermission(ctx, "no-such-client", "d") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, iotauth.ErrBadRequest)
			var ie *iotauth.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, "10000", ie.Code)
			assert.Equal(t, tc.message, ie.Message)
			assert.Equal(t, http.StatusOK, ie.HTTPStatus)
		})
	}
	assert.EqualValues(t, 0, srv.MXCHIP.Rejected())
}

func TestClient_EmulatorRevokeAfterRevoke_IsBadRequest(t *testing.T) {
	_, c := cachedClient(t)
	ctx := context.Background()
	mc, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
	require.NoError(t, err)
	require.NoError(t, c.GrantPermission(ctx, mc.ClientID, "d"))
	require.NoError(t, c.RevokePermission(ctx, mc.ClientID, "d"))
	require.ErrorIs(t, c.RevokePermission(ctx, mc.ClientID, "d"), iotauth.ErrBadRequest)
}

func TestClient_ExpiredTokenMidSession_IsRefreshedAndTheCallResent(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv, c := cachedClient(t, iotauthtest.WithClock(clk))
	ctx := context.Background()

	_, err := c.ProductIDs(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, srv.MXCHIP.Logins())

	clk.Advance(604800*time.Second + time.Second)
	ps, err := c.ProductIDs(ctx)
	require.NoError(t, err)
	assert.Len(t, ps, 2)
	assert.EqualValues(t, 2, srv.MXCHIP.Logins(), "exactly one more login")
	assert.EqualValues(t, 1, srv.MXCHIP.Rejected(), "the expired token was sent once")
}

func TestClient_ExpiredTokenOnAFormPost_IsResentWithItsBody(t *testing.T) {
	srv, c := cachedClient(t)
	ctx := context.Background()
	mc, err := c.CreateMQTTClient(ctx, iotauthtest.MXCHIPAppID)
	require.NoError(t, err)

	srv.MXCHIP.ExpireTokens()
	require.NoError(t, c.GrantPermission(ctx, mc.ClientID, "device-9"))
	assert.True(t, srv.MXCHIP.HasPermission(mc.ClientID, "device-9"))

	srv.MXCHIP.RevokeTokens()
	require.NoError(t, c.RevokePermission(ctx, mc.ClientID, "device-9"), "a DELETE body is resent too")
	assert.False(t, srv.MXCHIP.HasPermission(mc.ClientID, "device-9"))

	assert.EqualValues(t, 3, srv.MXCHIP.Logins())
	assert.EqualValues(t, 2, srv.MXCHIP.Rejected())
}

func TestClient_GarbageToken_IsTokenRejectedWithCode10101(t *testing.T) {
	srv, p := emulator(t)
	c := p.NewClient(staticToken("not-a-token-anyone-issued"))
	_, err := c.ProductIDs(context.Background())
	require.ErrorIs(t, err, iotauth.ErrTokenRejected)
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "10101", ie.Code)
	assert.Equal(t, http.StatusOK, ie.HTTPStatus)
	requireNoLeak(t, err, "not-a-token-anyone-issued")
	assert.EqualValues(t, 2, srv.MXCHIP.Rejected(), "sent, rejected, resent once, rejected")
}

func TestClient_TokenThatStaysExpired_IsTokenRejectedWithCode10100(t *testing.T) {
	srv, p := emulator(t)
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	srv.MXCHIP.ExpireTokens()
	c := p.NewClient(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil }))
	_, err = c.CreateMQTTClient(context.Background(), iotauthtest.MXCHIPAppID)
	require.ErrorIs(t, err, iotauth.ErrTokenRejected)
	var ie *iotauth.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "10100", ie.Code)
	assert.Equal(t, "token is expired", ie.Message)
	requireNoLeak(t, err, tok.AccessToken)
	assert.Empty(t, srv.MXCHIP.Clients())
}

func TestClient_EmulatorFaults_AreTypedErrors(t *testing.T) {
	internal := fault{"internal error with HTTP 200", func(e *iotauthtest.MXCHIP) { e.ErrorNext(1, "10050") }, iotauth.ErrServer, 200, "10050"}
	for _, tc := range append([]fault{internal}, faults...) {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := loggedInClient(t)
			tc.inject(srv.MXCHIP)
			ps, err := c.ProductIDs(context.Background())
			tc.check(t, err, "ProductIDs")
			assert.Nil(t, ps)

			ps, err = c.ProductIDs(context.Background())
			require.NoError(t, err, "the fault was for one call only")
			assert.Len(t, ps, 2)
			assert.EqualValues(t, 1, srv.MXCHIP.Logins())
		})
	}
}

func TestClient_EmulatorLatency_StopsAtTheContextDeadline(t *testing.T) {
	srv, c := loggedInClient(t)
	ps, err := c.ProductIDs(slowed(t, srv.MXCHIP))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, ps)
}

func TestClient_1000ConcurrentCalls_ShareOneLogin(t *testing.T) {
	clk := iotauthtest.NewClock()
	srv, c := cachedClient(t, iotauthtest.WithClock(clk))

	run := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for range 1000 {
			wg.Go(func() {
				if _, err := c.ProductIDs(context.Background()); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	run()
	assert.EqualValues(t, 1, srv.MXCHIP.Logins())

	// Every call now carries an expired token: still one login among them.
	clk.Advance(604800*time.Second + time.Second)
	run()
	assert.EqualValues(t, 2, srv.MXCHIP.Logins())
}

func TestClient_OverTLS_UsesTheConfiguredHTTPClient(t *testing.T) {
	srv, c := cachedClient(t, iotauthtest.WithTLS())
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	ps, err := c.ProductIDs(context.Background())
	require.NoError(t, err, "the emulator's certificate is trusted only by Config.HTTPClient")
	assert.Len(t, ps, 2)

	// Without it, the certificate is refused: the setting is what made the difference.
	p, err := New(Config{BaseURL: srv.URL, ClientID: iotauthtest.MXCHIPClientID, ClientSecret: iotauthtest.MXCHIPClientSecret})
	require.NoError(t, err)
	_, err = p.NewClient(iotauth.NewCache(p)).ProductIDs(context.Background())
	require.Error(t, err)
}
