package cloudstudio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/stubhttp"
)

const (
	mockBase      = "https://gear.example.test"
	mockCreateURL = mockBase + createPath
	mockDeleteURL = mockBase + deletePath
	docCreateOK   = `{"CreateClientAccessTokenAllIntegrationsResult":{"AccessToken":"8e15e6d1-821a-4b71-a78d-8338e3307d2b",
		"ClientAccessTokenID":214,"ClientID":79,
		"DateTimeCreated":{"Date":{"Day":16,"Month":12,"Year":2022},"Time":{"Hour":18,"Millisecond":660,"Minute":38,"Second":33}},
		"Description":"German Prueba 1",
		"ExpirationDateTime":{"Date":{"Day":1,"Month":1,"Year":2099},"Time":{"Hour":0,"Millisecond":0,"Minute":0,"Second":0}}}}`
	docException8001 = `{"Exception":{"ClassName":"ServiceException","FaultCode":"8001","FaultData":"",
		"Message":"The access token is invalid or it doesn't have sufficient permissions to execute the requested operation"}}`
)

// mockProvider returns a provider whose calls go to a stub transport.
func mockProvider(t *testing.T, edit func(*Config)) (*Provider, *stubhttp.Transport) {
	t.Helper()
	mt := stubhttp.New()
	cfg := testConfig(mockBase)
	cfg.HTTPClient = &http.Client{Transport: mt}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	return p, mt
}

// recorded is one request a responder saw.
type recorded struct {
	method, path, contentType string
	body                      map[string]any
}

// recordAnd returns a responder that records each request into *got and
// answers status and body.
func recordAnd(t *testing.T, got *[]recorded, status int, body string) stubhttp.Responder {
	return func(req *http.Request) (*http.Response, error) {
		raw, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		*got = append(*got, recorded{req.Method, req.URL.Path, req.Header.Get("Content-Type"), m})
		return stubhttp.StringResponse(status, body), nil
	}
}

func TestCreate_Request_HasTheDocumentedShape(t *testing.T) {
	p, mt := mockProvider(t, nil)
	var got []recorded
	mt.Register(http.MethodPost, mockCreateURL, recordAnd(t, &got, 200, docCreateOK))

	_, err := p.Token(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Equal(t, createPath, r.path)
	assert.Equal(t, "application/json", r.contentType)

	cat := r.body["clientAccessToken"].(map[string]any)
	assert.Equal(t, float64(79), cat["ClientID"])
	assert.True(t, strings.HasPrefix(cat["Description"].(string), "iotauth tests "), cat["Description"])
	login := r.body["login"].(map[string]any)
	assert.Equal(t, map[string]any{"LoginType": float64(1), "Email": "integrations@cloud.studio",
		"Password": "cloud-studio-test-password"}, login, "the password is sent in clear, not redacted")
	assert.NotContains(t, r.body, "expiration", "no expiration asks for the platform default")
}

func TestCreate_Expiration_IsSentInMinutes(t *testing.T) {
	p, mt := mockProvider(t, func(c *Config) { c.Expiration = 90 * time.Minute })
	var got []recorded
	mt.Register(http.MethodPost, mockCreateURL, recordAnd(t, &got, 200, docCreateOK))
	_, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, float64(90), got[0].body["expiration"])
}

func TestCreate_DocumentResponse_BecomesTheToken(t *testing.T) {
	p, mt := mockProvider(t, nil)
	mt.Register(http.MethodPost, mockCreateURL, stubhttp.StringResponder(200, docCreateOK))
	p.now = func() time.Time { return time.Date(2022, 12, 16, 18, 40, 0, 0, time.UTC) }
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "8e15e6d1-821a-4b71-a78d-8338e3307d2b", tok.AccessToken)
	assert.Equal(t, "Bearer", tok.Type())
	assert.Equal(t, "214", tok.ID)
	assert.Equal(t, time.Date(2022, 12, 16, 18, 38, 33, 660e6, time.UTC), tok.IssuedAt)
	assert.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), tok.Expiry)
}

func TestCreate_DuplicateDescription_IsBadRequest_AndTheNextCreationUsesAFreshOne(t *testing.T) {
	p, mt := mockProvider(t, nil)
	dup := `{"Exception":{"ClassName":"ServiceException","FaultCode":"1","FaultData":"","Message":"A token with the same description already exists"}}`
	var got []recorded
	calls := 0
	mt.Register(http.MethodPost, mockCreateURL, func(req *http.Request) (*http.Response, error) {
		calls++
		if calls == 1 {
			return recordAnd(t, &got, 500, dup)(req)
		}
		return recordAnd(t, &got, 200, docCreateOK)(req)
	})
	_, err := p.Token(context.Background())
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.False(t, iotauth.IsCredentialFailure(err), "not latched")
	assert.Equal(t, 1, mt.TotalCalls(), "no retry in the provider: the Cache decides")
	tok, err := p.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "214", tok.ID)
	require.Len(t, got, 2)
	d1 := got[0].body["clientAccessToken"].(map[string]any)["Description"]
	d2 := got[1].body["clientAccessToken"].(map[string]any)["Description"]
	assert.NotEqual(t, d1, d2, "every creation has its own description")
}

func TestCreate_MalformedAnswers_AreErrMalformedResponse(t *testing.T) {
	date := func(d, m, y int) string {
		return `{"Date":{"Day":` + strconv.Itoa(d) + `,"Month":` + strconv.Itoa(m) + `,"Year":` + strconv.Itoa(y) + `},"Time":{"Hour":0,"Minute":0,"Second":0,"Millisecond":0}}`
	}
	result := func(fields string) string {
		return `{"CreateClientAccessTokenAllIntegrationsResult":{` + fields + `}}`
	}
	ok := `"AccessToken":"tok-123","ClientAccessTokenID":5,`
	cases := map[string]string{
		"empty object":          `{}`,
		"result null":           `{"CreateClientAccessTokenAllIntegrationsResult":null}`,
		"no access token":       result(`"ClientAccessTokenID":5,"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"blank access token":    result(`"AccessToken":"  ","ClientAccessTokenID":5,"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"no token id":           result(`"AccessToken":"tok-123","DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"negative token id":     result(`"AccessToken":"tok-123","ClientAccessTokenID":-5,"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"no creation date":      result(ok + `"ExpirationDateTime":` + date(1, 1, 2099)),
		"February 30 creation":  result(ok + `"DateTimeCreated":` + date(30, 2, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"month 13 expiry":       result(ok + `"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 13, 2099)),
		"expiry before created": result(ok + `"DateTimeCreated":` + date(2, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2024)),
		"expiry equal created":  result(ok + `"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2024)),
		"access token a number": result(`"AccessToken":42,"ClientAccessTokenID":5,"DateTimeCreated":` + date(1, 1, 2024) + `,"ExpirationDateTime":` + date(1, 1, 2099)),
		"truncated JSON":        `{"CreateClientAccessTokenAllIntegrationsResult":{"AccessToken":"tok`,
		"array":                 `[]`,
		"empty body":            ``,
		"HTML with 200":         `<html><body>Maintenance</body></html>`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p, mt := mockProvider(t, nil)
			mt.Register(http.MethodPost, mockCreateURL, stubhttp.StringResponder(200, body))
			tok, err := p.Token(context.Background())
			assert.Nil(t, tok)
			require.ErrorIs(t, err, iotauth.ErrMalformedResponse)
			assertNoSecrets(t, err, "tok-123", "cloud-studio-test-password")
		})
	}
}

func TestDelete_Request_HasTheDocumentedShape(t *testing.T) {
	p, mt := mockProvider(t, nil)
	var got []recorded
	mt.Register(http.MethodPost, mockDeleteURL, recordAnd(t, &got, 200, `{}`))
	err := p.delete(context.Background(), &iotauth.Token{AccessToken: "99a4d0a4-932d-468b-9c17-49b5afdffb0d", ID: "14"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, deletePath, got[0].path)
	assert.Equal(t, "application/json", got[0].contentType)
	assert.Equal(t, map[string]any{"accessToken": "99a4d0a4-932d-468b-9c17-49b5afdffb0d", "clientAccessTokenID": float64(14)}, got[0].body)
}

func TestDelete_Answers_AreMappedByStatusAndException(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   error // nil: success
	}{
		{"200 with {}", 200, `{}`, nil},
		{"200 with an empty body", 200, ``, nil},
		{"500 with FaultCode 8001", 500, docException8001, iotauth.ErrRevokeRefused},
		{"500 with a numeric FaultCode 8001", 500, `{"Exception":{"FaultCode":8001,"Message":"invalid"}}`, iotauth.ErrRevokeRefused},
		{"500 with another FaultCode", 500, `{"Exception":{"FaultCode":"9","Message":"boom"}}`, iotauth.ErrServer},
		{"500 without an Exception", 500, `{"Message":"The server encountered an error"}`, iotauth.ErrServer},
		{"502 HTML page", 502, `<html>Bad Gateway</html>`, iotauth.ErrServer},
		{"200 with an Exception", 200, docException8001, iotauth.ErrRevokeRefused},
		{"200 with an HTML page", 200, `<html>hello</html>`, iotauth.ErrMalformedResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, mt := mockProvider(t, nil)
			mt.Register(http.MethodPost, mockDeleteURL, stubhttp.StringResponder(tc.status, tc.body))
			err := p.delete(context.Background(), &iotauth.Token{AccessToken: "tok-123", ID: "14"})
			if tc.kind == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.kind)
			assertNoSecrets(t, err, "tok-123")
		})
	}
}

func TestDelete_TokenWithoutID_IsRefusedWithoutACall(t *testing.T) {
	p, mt := mockProvider(t, nil)
	err := p.delete(context.Background(), &iotauth.Token{AccessToken: "tok-123", ID: "abc"})
	require.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.Contains(t, err.Error(), "ClientAccessTokenID")
	require.ErrorIs(t, p.Revoke(context.Background(), nil), iotauth.ErrBadRequest)
	assert.Zero(t, mt.TotalCalls())
}
