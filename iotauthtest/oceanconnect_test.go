package iotauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ocCall sends one raw request to the OceanConnect emulator and returns the
// status and decoded JSON body (nil when empty).
func ocCall(t *testing.T, s *Server, method, path, contentType, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "body %s", raw)
	return resp.StatusCode, m
}

func ocLogin(t *testing.T, s *Server, appID, secret string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"appId": {appID}, "secret": {secret}}
	return ocCall(t, s, http.MethodPost, ocLoginPath, "application/x-www-form-urlencoded", form.Encode(), nil)
}

func ocDevices(t *testing.T, s *Server, token string) (int, map[string]any) {
	t.Helper()
	h := http.Header{"app_key": {OceanConnectAppID}, "Authorization": {"Bearer " + token}}
	return ocCall(t, s, http.MethodGet, ocDevicesPath, "", "", h)
}

func TestOceanConnect_Login_AnswersLikeTheDocumentExample(t *testing.T) {
	s := NewServer()
	defer s.Close()
	status, body := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "default", body["scope"])
	assert.Equal(t, "Bearer ", body["tokenType"], "real servers send a trailing space")
	assert.Equal(t, "3600", body["expiresIn"], "real servers send the lifetime as a string")
	assert.NotEmpty(t, body["accessToken"])
	assert.NotEmpty(t, body["refreshToken"])
	assert.EqualValues(t, 1, s.OceanConnect.Logins())
}

func TestOceanConnect_WithTokenTTL_SetsExpiresIn(t *testing.T) {
	s := NewServer(WithTokenTTL(90 * time.Second))
	defer s.Close()
	_, body := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	assert.Equal(t, "90", body["expiresIn"])
	s.OceanConnect.SetTokenTTL(10 * time.Second)
	_, body = ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	assert.Equal(t, "10", body["expiresIn"])
}

func TestOceanConnect_Login_RefusesBadInput(t *testing.T) {
	s := NewServer()
	defer s.Close()
	status, body := ocLogin(t, s, OceanConnectAppID, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "102202", body["error_code"])

	status, body = ocLogin(t, s, OceanConnectAppID, "wrong")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "100208", body["error_code"])
	assert.Equal(t, "AppId or secret is not right.", body["error_desc"])

	status, body = ocCall(t, s, http.MethodPost, ocLoginPath, "application/json",
		`{"appId":"`+OceanConnectAppID+`","secret":"`+OceanConnectSecret+`"}`, nil)
	assert.Equal(t, http.StatusBadRequest, status, "the login is form-encoded, not JSON")
	assert.Equal(t, "102202", body["error_code"])
	assert.Zero(t, s.OceanConnect.Logins())
}

func TestOceanConnect_OnlyTheLastTokenIsValid(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, first := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	status, body := ocDevices(t, s, first["accessToken"].(string))
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 0, body["totalCount"])

	_, second := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	status, body = ocDevices(t, s, first["accessToken"].(string))
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "1010005", body["error_code"])
	assert.Equal(t, "Invalid access token.", body["error_desc"])
	status, _ = ocDevices(t, s, second["accessToken"].(string))
	assert.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 1, s.OceanConnect.Rejected())
}

func TestOceanConnect_Devices_WithoutHeaders_Is401(t *testing.T) {
	s := NewServer()
	defer s.Close()
	status, _ := ocCall(t, s, http.MethodGet, ocDevicesPath, "", "", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	_, login := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	status, _ = ocCall(t, s, http.MethodGet, ocDevicesPath, "", "",
		http.Header{"Authorization": {"Bearer " + login["accessToken"].(string)}})
	assert.Equal(t, http.StatusUnauthorized, status, "app_key is required too")
}

func TestOceanConnect_TokenExpiresWhenTheClockPassesItsTTL(t *testing.T) {
	clk := NewClock()
	s := NewServer(WithClock(clk))
	defer s.Close()
	_, login := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	token := login["accessToken"].(string)
	clk.Advance(3599 * time.Second)
	status, _ := ocDevices(t, s, token)
	assert.Equal(t, http.StatusOK, status)
	clk.Advance(time.Second)
	status, body := ocDevices(t, s, token)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "1010005", body["error_code"])
}

func ocRefresh(t *testing.T, s *Server, refreshToken string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"appId": OceanConnectAppID, "secret": OceanConnectSecret, "refreshToken": refreshToken})
	return ocCall(t, s, http.MethodPost, ocRefreshPath, "application/json", string(b), nil)
}

func TestOceanConnect_Refresh_IssuesANewPairAndStalesTheOld(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, login := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	status, refreshed := ocRefresh(t, s, login["refreshToken"].(string))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Bearer ", refreshed["tokenType"])
	assert.EqualValues(t, 1, s.OceanConnect.Refreshes())

	status, _ = ocDevices(t, s, login["accessToken"].(string))
	assert.Equal(t, http.StatusForbidden, status, "the refresh invalidates the old access token")
	status, body := ocRefresh(t, s, login["refreshToken"].(string))
	assert.Equal(t, http.StatusUnauthorized, status, "the old refresh token is stale")
	assert.Equal(t, "100006", body["error_code"])

	ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	status, _ = ocRefresh(t, s, refreshed["refreshToken"].(string))
	assert.Equal(t, http.StatusUnauthorized, status, "a login stales the refresh token too")
}

func TestOceanConnect_RefreshToken_ExpiresAfterRefreshTTL(t *testing.T) {
	clk := NewClock()
	s := NewServer(WithClock(clk))
	defer s.Close()
	s.OceanConnect.SetRefreshTTL(time.Hour)
	_, login := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	clk.Advance(time.Hour)
	status, body := ocRefresh(t, s, login["refreshToken"].(string))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "100006", body["error_code"])
}

func TestOceanConnect_Logout_EndsTheCurrentToken(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, login := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	token := login["accessToken"].(string)
	status, _ := ocCall(t, s, http.MethodPost, ocLogoutPath, "application/json", `{"accessToken":"`+token+`"}`, nil)
	assert.Equal(t, http.StatusNoContent, status)
	assert.EqualValues(t, 1, s.OceanConnect.Logouts())
	assert.False(t, s.OceanConnect.ValidToken(token))
	status, _ = ocDevices(t, s, token)
	assert.Equal(t, http.StatusForbidden, status)

	status, body := ocCall(t, s, http.MethodPost, ocLogoutPath, "application/json", `{}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "102202", body["error_code"])
}

func TestOceanConnect_FrozenAndErrorNext_AnswerTheDocumentedCodes(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.OceanConnect.SetFrozen(true)
	status, body := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "100247", body["error_code"])
	s.OceanConnect.SetFrozen(false)

	for _, d := range s.OceanConnect.Errors() {
		s.OceanConnect.ErrorNext(1, d.Code)
		status, body = ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
		assert.Equal(t, d.Status, status, d.Code)
		assert.Equal(t, d.Code, body["error_code"])
		assert.Equal(t, d.Message, body["error_desc"])
	}
	status, _ = ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	assert.Equal(t, http.StatusOK, status, "ErrorNext(1) refuses one call only")
}

func TestOceanConnect_FailNext_AnswersThePlatformErrorBody(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.OceanConnect.FailNext(1, http.StatusInternalServerError)
	status, body := ocLogin(t, s, OceanConnectAppID, OceanConnectSecret)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "50252", body["error_code"])
	assert.Equal(t, "Internal server error.", body["error_desc"])
	assert.EqualValues(t, 1, s.OceanConnect.Requests())
}

func TestOceanConnect_Shapes_AreServedAsSelected(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for _, shape := range OceanConnectShapes() {
		s.OceanConnect.SetShape(shape)
		res, err := http.PostForm(s.URL+ocLoginPath, url.Values{"appId": {OceanConnectAppID}, "secret": {OceanConnectSecret}})
		require.NoError(t, err)
		var raw map[string]json.RawMessage
		require.NoError(t, json.NewDecoder(res.Body).Decode(&raw))
		res.Body.Close()
		assert.Equal(t, shape.NumericExpiresIn, raw["expiresIn"][0] != '"', shape.Name)
		want := shape.TokenType
		if want == "" {
			want = "Bearer "
		}
		assert.Equal(t, `"`+want+`"`, string(raw["tokenType"]), shape.Name)
		rt, present := raw["refreshToken"]
		switch shape.RefreshToken {
		case "absent":
			assert.False(t, present, shape.Name)
		case "null":
			assert.Equal(t, "null", string(rt), shape.Name)
		default:
			assert.NotEqual(t, "null", string(rt), shape.Name)
		}
	}
}
