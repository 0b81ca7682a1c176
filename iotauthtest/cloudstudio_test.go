package iotauthtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type csResult struct {
	AccessToken         string
	ClientAccessTokenID int
	ClientID            int
	Description         string
	DateTimeCreated     csDateTime
	ExpirationDateTime  csDateTime
}

type csDateTime struct {
	Date struct{ Day, Month, Year int }
	Time struct{ Hour, Minute, Second, Millisecond int }
}

func (d csDateTime) time() time.Time {
	return time.Date(d.Date.Year, time.Month(d.Date.Month), d.Date.Day, d.Time.Hour, d.Time.Minute,
		d.Time.Second, d.Time.Millisecond*int(time.Millisecond), time.UTC)
}

type csException struct {
	Exception *struct{ ClassName, FaultCode, FaultData, Message string }
}

func csPost(t *testing.T, url string, body any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, out
}

func csCreateBody(desc, password string, expiration ...int) map[string]any {
	m := map[string]any{
		"clientAccessToken": map[string]any{"Description": desc, "ClientID": CloudStudioClientID},
		"login":             map[string]any{"LoginType": 1, "Email": CloudStudioEmail, "Password": password},
	}
	if len(expiration) > 0 {
		m["expiration"] = expiration[0]
	}
	return m
}

func csCreate(t *testing.T, s *Server, body any) (int, csResult, csException) {
	t.Helper()
	status, raw := csPost(t, s.URL+cloudStudioCreatePath, body)
	var ok struct{ CreateClientAccessTokenAllIntegrationsResult csResult }
	var exc csException
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, &ok))
	} else {
		require.NoError(t, json.Unmarshal(raw, &exc))
		require.NotNil(t, exc.Exception, "error answers carry an Exception object")
	}
	return status, ok.CreateClientAccessTokenAllIntegrationsResult, exc
}

func TestCloudStudio_CreateWithoutExpiration_ExpiresIn2099(t *testing.T) {
	s := NewServer()
	defer s.Close()
	status, res, _ := csCreate(t, s, csCreateBody("Testing 10", CloudStudioPassword))
	require.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, res.AccessToken)
	assert.Positive(t, res.ClientAccessTokenID)
	assert.Equal(t, CloudStudioClientID, res.ClientID)
	assert.Equal(t, "Testing 10", res.Description)
	assert.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), res.ExpirationDateTime.time())
	assert.WithinDuration(t, time.Now(), res.DateTimeCreated.time(), time.Minute)
	assert.Equal(t, int64(1), s.CloudStudio.Logins())
	assert.Equal(t, 1, s.CloudStudio.ActiveTokens())
}

func TestCloudStudio_CreateWithExpirationMinutes_ExpiresThatLaterOnTheClock(t *testing.T) {
	clk := NewClock()
	clk.Advance(48 * time.Hour)
	s := NewServer(WithClock(clk))
	defer s.Close()
	status, res, _ := csCreate(t, s, csCreateBody("Testing 10", CloudStudioPassword, 60))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, time.Hour, res.ExpirationDateTime.time().Sub(res.DateTimeCreated.time()))
	assert.WithinDuration(t, clk.Now(), res.DateTimeCreated.time(), time.Minute)

	clk.Advance(time.Hour)
	assert.Equal(t, 0, s.CloudStudio.ActiveTokens(), "the token has expired on the emulated clock")
}

func TestCloudStudio_SameDescriptionTwiceInARow_SecondFails(t *testing.T) {
	s := NewServer()
	defer s.Close()
	status, _, _ := csCreate(t, s, csCreateBody("Testing 10", CloudStudioPassword))
	require.Equal(t, http.StatusOK, status)
	status, _, exc := csCreate(t, s, csCreateBody("Testing 10", CloudStudioPassword))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, exc.Exception.Message, "same description")

	status, _, _ = csCreate(t, s, csCreateBody("Testing 11", CloudStudioPassword))
	assert.Equal(t, http.StatusOK, status, "another description is accepted")
}

func TestCloudStudio_ThreeBadLogins_LockEveryCreateUntilClearCaptcha(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for i := 0; i < 2; i++ {
		status, _, exc := csCreate(t, s, csCreateBody("d", "wrong"))
		require.Equal(t, http.StatusInternalServerError, status)
		assert.Equal(t, "Invalid login credentials", exc.Exception.Message)
		assert.False(t, s.CloudStudio.CaptchaLocked())
	}
	_, _, exc := csCreate(t, s, csCreateBody("d", "wrong"))
	assert.Equal(t, "Please complete the captcha", exc.Exception.Message)
	assert.True(t, s.CloudStudio.CaptchaLocked())

	status, _, exc := csCreate(t, s, csCreateBody("d", CloudStudioPassword))
	assert.Equal(t, http.StatusInternalServerError, status, "the right password does not unlock the account")
	assert.Equal(t, "Please complete the captcha", exc.Exception.Message)

	s.CloudStudio.ClearCaptcha()
	status, _, _ = csCreate(t, s, csCreateBody("d", CloudStudioPassword))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, int64(5), s.CloudStudio.CreateCalls())
}

func TestCloudStudio_GoodLoginBeforeTheLock_ResetsTheBadLoginCount(t *testing.T) {
	s := NewServer()
	defer s.Close()
	csCreate(t, s, csCreateBody("a", "wrong"))
	csCreate(t, s, csCreateBody("a", "wrong"))
	status, _, _ := csCreate(t, s, csCreateBody("a", CloudStudioPassword))
	require.Equal(t, http.StatusOK, status)
	csCreate(t, s, csCreateBody("b", "wrong"))
	csCreate(t, s, csCreateBody("b", "wrong"))
	assert.False(t, s.CloudStudio.CaptchaLocked())
}

func TestCloudStudio_BadPasswordMessage_IsConfigurable(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.CloudStudio.SetBadPasswordMessage("User or password incorrect")
	_, _, exc := csCreate(t, s, csCreateBody("a", "wrong"))
	assert.Equal(t, "User or password incorrect", exc.Exception.Message)
}

func TestCloudStudio_CreateRefusesBadShapes(t *testing.T) {
	s := NewServer()
	defer s.Close()
	long := strings.Repeat("é", 256)
	cases := map[string]any{
		"login type 2":         map[string]any{"clientAccessToken": map[string]any{"Description": "x", "ClientID": 79}, "login": map[string]any{"LoginType": 2, "Email": CloudStudioEmail, "Password": CloudStudioPassword}},
		"no login":             map[string]any{"clientAccessToken": map[string]any{"Description": "x", "ClientID": 79}},
		"256-rune description": csCreateBody(long, CloudStudioPassword),
		"zero expiration":      csCreateBody("x", CloudStudioPassword, 0),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			status, _, _ := csCreate(t, s, body)
			assert.Equal(t, http.StatusInternalServerError, status)
		})
	}
	status, _, _ := csCreate(t, s, csCreateBody(strings.Repeat("é", 255), CloudStudioPassword))
	assert.Equal(t, http.StatusOK, status, "255 runes of Unicode are accepted")
	assert.Equal(t, int64(1), s.CloudStudio.Logins())
}

func TestCloudStudio_Delete_SucceedsOnceThenAnswers8001(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, res, _ := csCreate(t, s, csCreateBody("a", CloudStudioPassword))
	del := map[string]any{"accessToken": res.AccessToken, "clientAccessTokenID": res.ClientAccessTokenID}

	status, body := csPost(t, s.URL+cloudStudioDeletePath, del)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{}`, string(body))
	assert.Equal(t, 0, s.CloudStudio.ActiveTokens())

	status, body = csPost(t, s.URL+cloudStudioDeletePath, del)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.JSONEq(t, `{"Exception":{"ClassName":"ServiceException","FaultCode":"8001","FaultData":"",
		"Message":"The access token is invalid or it doesn't have sufficient permissions to execute the requested operation"}}`, string(body))
}

func TestCloudStudio_DeleteWithWrongID_Answers8001AndKeepsTheToken(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, res, _ := csCreate(t, s, csCreateBody("a", CloudStudioPassword))
	status, _ := csPost(t, s.URL+cloudStudioDeletePath, map[string]any{"accessToken": res.AccessToken, "clientAccessTokenID": res.ClientAccessTokenID + 1})
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, 1, s.CloudStudio.ActiveTokens())
}

func TestCloudStudio_TokenCarrier_IsTheDocumentedOnePerEndpoint(t *testing.T) {
	clk := NewClock()
	s := NewServer(WithClock(clk))
	defer s.Close()
	_, res, _ := csCreate(t, s, csCreateBody("a", CloudStudioPassword, 10))
	tok := res.AccessToken
	svc, geo, api := s.URL+cloudStudioDashboardPath, s.URL+cloudStudioGeolocationPath, s.URL+"/api/v2/devices/7/data"

	call := func(method, url, body string, edit func(*http.Request)) (int, string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if edit != nil {
			edit(req)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }

	accepted := map[string]func() (int, string){
		"service, JSON body": func() (int, string) { return call("POST", svc, `{"accessToken":"`+tok+`"}`, nil) },
		"service GET, query": func() (int, string) { return call("GET", svc+"?accessToken="+tok, "", nil) },
		"geolocation, JSON body": func() (int, string) {
			return call("POST", geo, `{"accessToken":"`+tok+`","deviceID":1,"latitude":40.4,"longitude":-3.8}`, nil)
		},
		"HTTP API, Bearer header":   func() (int, string) { return call("POST", api, "", bearer) },
		"HTTP API, query parameter": func() (int, string) { return call("POST", api+"?accessToken="+tok, "", nil) },
	}
	for name, do := range accepted {
		status, out := do()
		assert.Equal(t, http.StatusOK, status, name+": "+out)
	}
	assert.Zero(t, s.CloudStudio.Rejected())

	refused := map[string]func() (int, string){
		"service, Bearer header only": func() (int, string) { return call("POST", svc, "", bearer) },
		"service POST, query only":    func() (int, string) { return call("POST", svc+"?accessToken="+tok, "", nil) },
		"geolocation, header, body no token": func() (int, string) {
			return call("POST", geo, `{"deviceID":1,"latitude":40.4,"longitude":-3.8}`, bearer)
		},
		"HTTP API, body only": func() (int, string) { return call("POST", api, `{"accessToken":"`+tok+`"}`, nil) },
	}
	for name, do := range refused {
		status, out := do()
		if strings.HasPrefix(name, "HTTP API") {
			assert.Equal(t, http.StatusUnauthorized, status, name)
			continue
		}
		assert.Equal(t, http.StatusInternalServerError, status, name)
		assert.Contains(t, out, `"FaultCode":"8001"`, name)
	}
	assert.Equal(t, int64(len(refused)), s.CloudStudio.Rejected())
	assert.Equal(t, int64(len(refused)), s.CloudStudio.WrongCarrier())

	status, _ := call("POST", geo, `{"accessToken":"`+tok+`","deviceID":1,"latitude":"40.4","longitude":-3.8}`, nil)
	assert.Equal(t, http.StatusBadRequest, status, "latitude is a number, not a string")

	clk.Advance(10 * time.Minute)
	status, _ = call("POST", svc, `{"accessToken":"`+tok+`"}`, nil)
	assert.Equal(t, http.StatusInternalServerError, status, "an expired token is rejected")
}

func TestCloudStudio_ErrorNext_AnswersAnExceptionWithHTTP500(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for _, code := range []string{"8001", "4711"} {
		s.CloudStudio.ErrorNext(1, code)
		status, _, exc := csCreate(t, s, csCreateBody("a"+code, CloudStudioPassword))
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Equal(t, code, exc.Exception.FaultCode)
		assert.NotEmpty(t, exc.Exception.Message)
	}
	assert.Equal(t, cloudStudioInvalid, s.CloudStudio.Errors()[0].Message)
}

func TestCloudStudio_RefuseDeletes_Answers8001(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, res, _ := csCreate(t, s, csCreateBody("a", CloudStudioPassword))
	s.CloudStudio.RefuseDeletes(true)
	status, raw := csPost(t, s.URL+cloudStudioDeletePath, map[string]any{"accessToken": res.AccessToken, "clientAccessTokenID": res.ClientAccessTokenID})
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, string(raw), "8001")
	assert.Equal(t, 1, s.CloudStudio.ActiveTokens())
}

func TestCloudStudio_InjectedFailure_HasNoExceptionBody(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.CloudStudio.FailNext(1, http.StatusServiceUnavailable)
	status, raw := csPost(t, s.URL+cloudStudioCreatePath, csCreateBody("a", CloudStudioPassword))
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.NotContains(t, string(raw), `"Exception"`)
	assert.Equal(t, int64(0), s.CloudStudio.Logins())
}

func TestCloudStudio_RevokeAll_InvalidatesEveryToken(t *testing.T) {
	s := NewServer()
	defer s.Close()
	csCreate(t, s, csCreateBody("a", CloudStudioPassword))
	csCreate(t, s, csCreateBody("b", CloudStudioPassword))
	require.Len(t, s.CloudStudio.Tokens(), 2)
	s.CloudStudio.RevokeAll()
	assert.Empty(t, s.CloudStudio.Tokens())
}

func TestCloudStudio_Create_RefusesMissingMembersAndWrongTypes(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for name, body := range map[string]string{
		"ClientID as a string":   `{"clientAccessToken":{"Description":"a","ClientID":"79"},"login":{"LoginType":1,"Email":"` + CloudStudioEmail + `","Password":"` + CloudStudioPassword + `"}}`,
		"expiration as a string": `{"clientAccessToken":{"Description":"a","ClientID":79},"login":{"LoginType":1,"Email":"` + CloudStudioEmail + `","Password":"` + CloudStudioPassword + `"},"expiration":"60"}`,
		"no LoginType":           `{"clientAccessToken":{"Description":"a","ClientID":79},"login":{"Email":"` + CloudStudioEmail + `","Password":"` + CloudStudioPassword + `"}}`,
		"no Description":         `{"clientAccessToken":{"ClientID":79},"login":{"LoginType":1,"Email":"` + CloudStudioEmail + `","Password":"` + CloudStudioPassword + `"}}`,
		"LoginType 2":            `{"clientAccessToken":{"Description":"a","ClientID":79},"login":{"LoginType":2,"Email":"` + CloudStudioEmail + `","Password":"` + CloudStudioPassword + `"}}`,
	} {
		res, err := http.Post(s.URL+cloudStudioCreatePath, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		res.Body.Close()
		assert.NotEqual(t, http.StatusOK, res.StatusCode, name)
	}
	assert.Zero(t, s.CloudStudio.Logins())
}
