package httpc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

func serve(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDo_BodyOver10MiB_IsMalformedNotReadWhole(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("a", 1<<20)
		for range 12 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	_, err := httpc.New("test", nil).Do(context.Background(), httpc.Request{Op: "login", URL: url})
	require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
	assert.Contains(t, err.Error(), "10 MiB")
}

func TestDo_ConnectionRefused_IsServerErrorWithoutTheURLQuery(t *testing.T) {
	_, err := httpc.New("test", nil).Do(context.Background(), httpc.Request{Op: "login",
		URL: "http://127.0.0.1:1/path?Signature=top-secret-signature"})
	require.ErrorIs(t, err, iotauth.ErrServer)
	assert.NotContains(t, err.Error(), "top-secret-signature")
	var e *iotauth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "login", e.Op)
}

func TestDo_CancelledContext_ReturnsTheContextError(t *testing.T) {
	release := make(chan struct{})
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := httpc.New("test", nil).Do(ctx, httpc.Request{Op: "login", URL: url})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDo_SendsFormJSONQueryAndHeaders(t *testing.T) {
	var got *http.Request
	var body string
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	c := httpc.New("test", nil)
	res, err := c.Do(context.Background(), httpc.Request{Op: "x", URL: url, Query: map[string][]string{"q": {"1"}},
		Form: map[string][]string{"appId": {"a b"}}, Header: http.Header{"X-Extra": {"v"}}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusTeapot, res.Status, "an HTTP error status is returned, not turned into an error")
	assert.Equal(t, "application/x-www-form-urlencoded", got.Header.Get("Content-Type"))
	assert.Equal(t, "appId=a+b", body)
	assert.Equal(t, "1", got.URL.Query().Get("q"))
	assert.Equal(t, "v", got.Header.Get("X-Extra"))
	assert.Equal(t, http.MethodPost, got.Method)

	_, err = c.Do(context.Background(), httpc.Request{Op: "x", URL: url, JSON: map[string]string{"k": "v"}})
	require.NoError(t, err)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"k":"v"}`, body)
}

func decode(t *testing.T, ct, body string, v any) error {
	t.Helper()
	c := httpc.New("test", nil)
	return c.DecodeJSON(&httpc.Response{Op: "login", Status: 200, Header: http.Header{"Content-Type": {ct}}, Body: []byte(body)}, v)
}

func TestDecodeJSON_EverySurpriseIsMalformedAndNeverQuotesTheBody(t *testing.T) {
	for name, tc := range map[string]struct{ ct, body string }{
		"empty":        {"application/json", ""},
		"html page":    {"text/html", "<html><body>502 secret-in-page</body></html>"},
		"html as json": {"application/json", "  <!DOCTYPE html> secret-in-page"},
		"truncated":    {"application/json", `{"accessToken":"secret-in-page`},
		"wrong type":   {"application/json", `{"n":"secret-in-page"}`},
		"trailing":     {"application/json", `{"n":1} {"n":2}`},
	} {
		var v struct{ N int }
		err := decode(t, tc.ct, tc.body, &v)
		require.ErrorIs(t, err, iotauth.ErrMalformedResponse, name)
		assert.NotContains(t, err.Error(), "secret-in-page", name)
	}
}

func TestFlexInt_AcceptsNumbersAndNumericStrings(t *testing.T) {
	for in, want := range map[string]httpc.FlexInt{
		`3600`: {3600, true}, `"3600"`: {3600, true}, `" 3600 "`: {3600, true}, `3600.0`: {3600, true},
		`null`: {}, `-5`: {-5, true}, `"0"`: {0, true},
	} {
		var f httpc.FlexInt
		require.NoError(t, json.Unmarshal([]byte(in), &f), in)
		assert.Equal(t, want, f, in)
	}
	for _, bad := range []string{`"abc"`, `3600.5`, `true`, `{}`, `"1e400"`} {
		var f httpc.FlexInt
		assert.Error(t, json.Unmarshal([]byte(bad), &f), bad)
	}
	var missing struct{ E httpc.FlexInt }
	require.NoError(t, json.Unmarshal([]byte(`{}`), &missing))
	assert.False(t, missing.E.Set)
}

func TestFlexString_AcceptsStringsAndNumbers(t *testing.T) {
	for in, want := range map[string]httpc.FlexString{`"100208"`: "100208", `100208`: "100208", `null`: "", `" x "`: "x"} {
		var f httpc.FlexString
		require.NoError(t, json.Unmarshal([]byte(in), &f), in)
		assert.Equal(t, want, f, in)
	}
	var f httpc.FlexString
	assert.Error(t, json.Unmarshal([]byte(`{"a":1}`), &f))
}

func TestBuildToken_RefusesMissingOrNonPositiveLifetimes(t *testing.T) {
	c := httpc.New("test", nil)
	res := &httpc.Response{Op: "login", Status: 200}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, err := c.BuildToken(res, httpc.TokenFields{AccessToken: "a", TokenType: "Bearer ", ExpiresIn: httpc.FlexInt{V: 3600, Set: true}}, now)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, now.Add(time.Hour), tok.Expiry)
	assert.Equal(t, now, tok.IssuedAt)
	for name, f := range map[string]httpc.TokenFields{
		"no token":       {ExpiresIn: httpc.FlexInt{V: 1, Set: true}},
		"no lifetime":    {AccessToken: "a"},
		"zero":           {AccessToken: "a", ExpiresIn: httpc.FlexInt{V: 0, Set: true}},
		"negative":       {AccessToken: "a", ExpiresIn: httpc.FlexInt{V: -1, Set: true}},
		"over 100 years": {AccessToken: "a", ExpiresIn: httpc.FlexInt{V: 1 << 40, Set: true}},
	} {
		_, err := c.BuildToken(res, f, now)
		assert.ErrorIs(t, err, iotauth.ErrMalformedResponse, name)
	}
}

func TestTable_ExactThenPrefix_UnknownIsNeverACredentialFailure(t *testing.T) {
	tbl := httpc.Table{{Code: "100208", Kind: iotauth.ErrInvalidCredentials}, {Code: "Throttling*", Kind: iotauth.ErrRateLimited}}
	assert.Equal(t, iotauth.ErrInvalidCredentials, tbl.Kind("100208", 401))
	assert.Equal(t, iotauth.ErrRateLimited, tbl.Kind("Throttling.User", 400))
	assert.Equal(t, iotauth.ErrRateLimited, tbl.Kind("", 429))
	for _, status := range []int{0, 200, 400, 401, 403, 404, 500, 503} {
		kind := tbl.Kind("unknown", status)
		assert.Equal(t, iotauth.ErrServer, kind, "HTTP %d", status)
		assert.False(t, iotauth.IsCredentialFailure(kind), "HTTP %d", status)
	}
}

func TestPeekBody_LeavesTheWholeBodyForTheCaller(t *testing.T) {
	resp := &http.Response{Body: io.NopCloser(strings.NewReader("0123456789"))}
	assert.Equal(t, "0123", string(httpc.PeekBody(resp, 4)))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(b))
	assert.Nil(t, httpc.PeekBody(&http.Response{Body: http.NoBody}, 4))
}

func TestHostOf_MakesTheDefaultPortExplicit(t *testing.T) {
	assert.Equal(t, "x:443", httpc.HostOf("https://x"))
	assert.Equal(t, "x:80", httpc.HostOf("http://x"))
	assert.Equal(t, "x:8743", httpc.HostOf("https://x:8743/base"))
}

// A platform that echoes a secret back in its message (Alibaba quotes its
// "string to sign", percent-encoded twice) gets it scrubbed in every form.
func TestFail_ScrubsEchoedSecretsInEveryEncoding(t *testing.T) {
	const secret = "sts/Token+with=odd&chars~*"
	c := httpc.New("test", nil, secret, "", "abc")
	once := url.QueryEscape(secret)
	forms := []string{secret, once, url.QueryEscape(once), strings.ReplaceAll(once, "+", "%20")}
	for _, form := range forms {
		e := c.Fail(&httpc.Response{Op: "call", Status: 400}, iotauth.ErrBadRequest, "code-"+form,
			"server string to sign is:POST&%2F&SecurityToken%3D"+form, "req-"+form)
		for _, f := range forms {
			assert.NotContains(t, e.Error(), f, form)
		}
		assert.Contains(t, e.Message, "[REDACTED]")
	}
	e := c.Fail(&httpc.Response{Op: "call"}, iotauth.ErrBadRequest, "", "a abc b", "")
	assert.Equal(t, "a abc b", e.Message, "secrets shorter than 4 bytes are not scrubbed")
}

func TestRefuse_IsABadRequestNamingTheOperation(t *testing.T) {
	err := httpc.Refuse("mxchip", "CreateMQTTClient", "app_id is required")
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.Equal(t, "mxchip", err.Platform)
	assert.Equal(t, "CreateMQTTClient", err.Op)
	assert.Equal(t, "app_id is required", err.Message)
}
