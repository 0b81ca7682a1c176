package iotauthtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Credentials the Cloud Studio emulator accepts.
const (
	// CloudStudioEmail is the login of the emulated account.
	CloudStudioEmail = "integrations@cloud.studio"
	// CloudStudioPassword is the password of the emulated account.
	CloudStudioPassword = "cloud-studio-test-password"
	// CloudStudioClientID is the client the emulated account may create
	// access tokens for (79, as in the platform's examples).
	CloudStudioClientID = 79
)

// Paths of the emulated Cloud Studio services and HTTP API.
const (
	cloudStudioCreatePath      = "/services/gear/AuthorizationService.svc/CreateClientAccessTokenAllIntegrations"
	cloudStudioDeletePath      = "/services/gear/AuthorizationService.svc/DeleteClientAccessToken"
	cloudStudioDashboardPath   = "/services/gear/DashboardService.svc/GetDashboards"
	cloudStudioGeolocationPath = "/services/gear/DeviceIntegrationService.svc/UpdateDeviceGeolocation"
	cloudStudioAPIPrefix       = "/api/v2/"
)

// Messages of the emulated platform. The wording of the bad password and
// duplicate description messages is not documented; the captcha and 8001
// messages are the documented ones.
const (
	cloudStudioBadPassword = "Invalid login credentials"
	cloudStudioCaptcha     = "Please complete the captcha"
	cloudStudioDuplicate   = "A token with the same description already exists"
	cloudStudioInvalid     = "The access token is invalid or it doesn't have sufficient permissions to execute the requested operation"
	// cloudStudioFailBody is what the platform's service host answers an
	// unhandled failure with: no Exception object.
	cloudStudioFailBody = `{"ExceptionDetail":null,"ExceptionType":null,"Message":"The server encountered an error processing the request. See server logs for more details.","StackTrace":null}`
	// cloudStudioAPIDenied is the HTTP API's answer to a missing or bad token.
	cloudStudioAPIDenied = `{"Message":"Authorization has been denied for this request."}`
)

// cloudStudioDoc is the document the emulated Cloud Studio follows.
const cloudStudioDoc = "Cloud Studio, 持久访问令牌 (persistent access tokens)"

// cloudStudioErrors are the documented Exceptions: every failure is HTTP 500
// with {"Exception":{"ClassName","FaultCode","FaultData","Message"}}.
var cloudStudioErrors = []DocumentedError{
	{Code: "8001", Status: http.StatusInternalServerError, Message: cloudStudioInvalid,
		Doc: cloudStudioDoc + ", Deleting an access token › Response"},
}

// cloudStudioBadLoginLimit is how many consecutive bad logins lock the
// account behind a captcha.
const cloudStudioBadLoginLimit = 3

// cloudStudioDefaultExpiry is the expiry of a token created without an
// expiration: 2099-01-01 00:00:00.
var cloudStudioDefaultExpiry = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

// CloudStudioToken is a persistent access token held by the emulator.
type CloudStudioToken struct {
	ID          int
	AccessToken string
	ClientID    int
	Description string
	Created     time.Time
	Expires     time.Time
}

// CloudStudio emulates Cloud Studio's persistent access tokens: creation
// with a login, deletion, the refusal of two consecutive creations with the
// same description, the captcha lock after three consecutive bad logins,
// errors as HTTP 500 with an {"Exception":{...}} body, and protected calls
// that take the token only where the platform reads it:
//
//   - service calls (/services/gear/*.svc/*: GetDashboards,
//     UpdateDeviceGeolocation) read "accessToken" from their JSON body (a
//     GET, from the accessToken query parameter); a token in the
//     Authorization header is not seen, and the call is refused with
//     FaultCode 8001 as the platform does;
//   - the HTTP API (/api/v2/…) reads "Authorization: Bearer" or the
//     accessToken query parameter, and answers 401 without one.
type CloudStudio struct {
	Faults
	Counters
	cfg *config

	creates      atomic.Int64
	wrongCarrier atomic.Int64

	mu            sync.Mutex
	tokens        map[string]*CloudStudioToken // by access token
	nextID        int
	lastDesc      string
	badLogins     int
	captcha       bool
	badPassword   string
	refuseDeletes bool
}

func newCloudStudio(cfg *config) *CloudStudio {
	return &CloudStudio{cfg: cfg, tokens: map[string]*CloudStudioToken{}, nextID: 214, badPassword: cloudStudioBadPassword}
}

func (e *CloudStudio) register(mux *http.ServeMux) {
	pe := platformErrors{failBody: cloudStudioFailBody, answer: e.errorAnswer}
	h := func(fn http.HandlerFunc) http.Handler { return guard(&e.Faults, &e.Counters, pe, fn) }
	mux.Handle("POST "+cloudStudioCreatePath, h(e.create))
	mux.Handle("POST "+cloudStudioDeletePath, h(e.delete))
	mux.Handle(cloudStudioDashboardPath, h(e.dashboards))
	mux.Handle("POST "+cloudStudioGeolocationPath, h(e.geolocation))
	mux.Handle(cloudStudioAPIPrefix, h(e.api))
}

// Errors returns the platform's documented errors, which ErrorNext answers
// with their status and message; any other code is answered as an
// Exception the documents do not describe.
func (e *CloudStudio) Errors() []DocumentedError {
	return append([]DocumentedError(nil), cloudStudioErrors...)
}

func (e *CloudStudio) errorAnswer(w http.ResponseWriter, code string) {
	msg := "Emulated undocumented failure " + code
	if d, ok := documented(cloudStudioErrors, code); ok {
		msg = d.Message
	}
	cloudStudioException(w, code, msg)
}

// RefuseDeletes makes DeleteClientAccessToken refuse every token (FaultCode
// 8001), as for an account without the permission to delete, until called
// with false.
func (e *CloudStudio) RefuseDeletes(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refuseDeletes = on
}

// WrongCarrier is the number of protected calls that carried a token only
// where the endpoint does not read it (a Bearer header on a service call,
// a body token on the HTTP API).
func (e *CloudStudio) WrongCarrier() int64 { return e.wrongCarrier.Load() }

// ClearCaptcha unlocks an account locked by three consecutive bad logins,
// as logging in once in the web console does.
func (e *CloudStudio) ClearCaptcha() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.captcha, e.badLogins = false, 0
}

// CaptchaLocked reports whether creations fail with "Please complete the
// captcha" until ClearCaptcha.
func (e *CloudStudio) CaptchaLocked() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.captcha
}

// SetBadPasswordMessage sets the Message the platform answers a bad login
// with ("Invalid login credentials" by default).
func (e *CloudStudio) SetBadPasswordMessage(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.badPassword = msg
}

// CreateCalls is the number of creation requests that reached the
// platform, whatever their outcome.
func (e *CloudStudio) CreateCalls() int64 { return e.creates.Load() }

// Tokens returns the tokens that have not been deleted, expired or not, by
// increasing id.
func (e *CloudStudio) Tokens() []CloudStudioToken {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]CloudStudioToken, 0, len(e.tokens))
	for _, t := range e.tokens {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ActiveTokens is the number of tokens the platform accepts now.
func (e *CloudStudio) ActiveTokens() int {
	now := e.cfg.clock.Now()
	n := 0
	for _, t := range e.Tokens() {
		if now.Before(t.Expires) {
			n++
		}
	}
	return n
}

// RevokeAll deletes every token, as an administrator would in the console.
func (e *CloudStudio) RevokeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}

type cloudStudioCreateRequest struct {
	ClientAccessToken *struct {
		Description *string
		ClientID    *int
	} `json:"clientAccessToken"`
	Login *struct {
		LoginType *int
		Email     *string
		Password  *string
	} `json:"login"`
	Expiration *int64 `json:"expiration"`
}

// create answers CreateClientAccessTokenAllIntegrations. The body must have
// the documented members with their documented types (numbers as numbers).
func (e *CloudStudio) create(w http.ResponseWriter, r *http.Request) {
	e.creates.Add(1)
	var req cloudStudioCreateRequest
	if !cloudStudioDecode(w, r, &req) {
		return
	}
	cat, login := req.ClientAccessToken, req.Login
	if cat == nil || login == nil || cat.Description == nil || cat.ClientID == nil ||
		login.LoginType == nil || login.Email == nil || login.Password == nil {
		cloudStudioException(w, "400", "The request body is not a valid access token creation request")
		return
	}
	if *login.LoginType != 1 {
		cloudStudioException(w, "400", "LoginType must be 1")
		return
	}
	now := e.cfg.clock.Now().UTC().Truncate(time.Millisecond)

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.captcha {
		cloudStudioException(w, "1", cloudStudioCaptcha)
		return
	}
	if *login.Email != CloudStudioEmail || *login.Password != CloudStudioPassword {
		e.badLogins++
		if e.badLogins >= cloudStudioBadLoginLimit {
			e.captcha = true
			cloudStudioException(w, "1", cloudStudioCaptcha)
			return
		}
		cloudStudioException(w, "1", e.badPassword)
		return
	}
	e.badLogins = 0
	desc := *cat.Description
	switch {
	case *cat.ClientID != CloudStudioClientID:
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	case strings.TrimSpace(desc) == "" || utf8.RuneCountInString(desc) > 255:
		cloudStudioException(w, "400", "The description must have between 1 and 255 characters")
		return
	case desc == e.lastDesc:
		cloudStudioException(w, "400", cloudStudioDuplicate)
		return
	}
	expires := cloudStudioDefaultExpiry
	switch {
	case req.Expiration != nil && *req.Expiration <= 0:
		cloudStudioException(w, "400", "The expiration must be a positive number of minutes")
		return
	case req.Expiration != nil:
		expires = now.Add(time.Duration(*req.Expiration) * time.Minute)
	case e.cfg.ttl > 0:
		expires = now.Add(e.cfg.ttl)
	}
	t := &CloudStudioToken{ID: e.nextID, AccessToken: cloudStudioUUID(), ClientID: *cat.ClientID,
		Description: desc, Created: now, Expires: expires}
	e.nextID++
	e.lastDesc = desc
	e.tokens[t.AccessToken] = t
	e.logins.Add(1)
	cloudStudioJSON(w, http.StatusOK, map[string]any{"CreateClientAccessTokenAllIntegrationsResult": map[string]any{
		"AccessToken":         t.AccessToken,
		"ClientAccessTokenID": t.ID,
		"ClientID":            t.ClientID,
		"DateTimeCreated":     cloudStudioDateTime(t.Created),
		"Description":         t.Description,
		"ExpirationDateTime":  cloudStudioDateTime(t.Expires),
	}})
}

// delete answers DeleteClientAccessToken: both documented members are
// mandatory, accessToken a string and clientAccessTokenID a number.
func (e *CloudStudio) delete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken         *string `json:"accessToken"`
		ClientAccessTokenID *int    `json:"clientAccessTokenID"`
	}
	if !cloudStudioDecode(w, r, &req) {
		return
	}
	if req.AccessToken == nil || req.ClientAccessTokenID == nil {
		cloudStudioException(w, "400", "accessToken and clientAccessTokenID are mandatory")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[*req.AccessToken]
	if e.refuseDeletes || !ok || t.ID != *req.ClientAccessTokenID {
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	}
	delete(e.tokens, *req.AccessToken)
	cloudStudioJSON(w, http.StatusOK, struct{}{})
}

// dashboards is a protected service: it answers an empty dashboard list to
// a valid token, and FaultCode 8001 with HTTP 500 to any other.
func (e *CloudStudio) dashboards(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccessToken *string `json:"accessToken"`
	}
	if !e.serviceAuthorized(w, r, &body, func() *string { return body.AccessToken }) {
		return
	}
	cloudStudioJSON(w, http.StatusOK, map[string]any{"GetDashboardsResult": []any{}})
}

// geolocation answers UpdateDeviceGeolocation: accessToken, deviceID,
// latitude and longitude, all mandatory, in the JSON body.
func (e *CloudStudio) geolocation(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccessToken *string          `json:"accessToken"`
		DeviceID    *json.RawMessage `json:"deviceID"`
		Latitude    *float64         `json:"latitude"`
		Longitude   *float64         `json:"longitude"`
	}
	if !e.serviceAuthorized(w, r, &body, func() *string { return body.AccessToken }) {
		return
	}
	if body.DeviceID == nil || body.Latitude == nil || body.Longitude == nil {
		cloudStudioException(w, "400", "deviceID, latitude and longitude are mandatory")
		return
	}
	cloudStudioJSON(w, http.StatusOK, struct{}{})
}

// serviceAuthorized reads a service call's token where the platform reads
// it (the JSON body of a POST, the query of a GET), decoding the body into
// body, and answers 8001 unless it is a live token.
func (e *CloudStudio) serviceAuthorized(w http.ResponseWriter, r *http.Request, body any, token func() *string) bool {
	var tok string
	if r.Method == http.MethodGet {
		tok = r.URL.Query().Get("accessToken")
	} else {
		if r.ContentLength != 0 && !cloudStudioDecode(w, r, body) {
			return false
		}
		if p := token(); p != nil {
			tok = *p
		}
	}
	if tok == "" && (r.Header.Get("Authorization") != "" || r.URL.Query().Get("accessToken") != "") {
		e.wrongCarrier.Add(1)
	}
	if !e.live(tok) {
		e.rejected.Add(1)
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return false
	}
	return true
}

// api is the HTTP API (/api/v2/…): it takes the token as
// "Authorization: Bearer" or the accessToken query parameter, and answers
// {} to a live one, 401 to any other.
func (e *CloudStudio) api(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("accessToken")
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(rest)
		}
	}
	if tok == "" && r.ContentLength > 0 {
		e.wrongCarrier.Add(1)
	}
	if !e.live(tok) {
		e.rejected.Add(1)
		writeRaw(w, http.StatusUnauthorized, "application/json; charset=utf-8", cloudStudioAPIDenied)
		return
	}
	cloudStudioJSON(w, http.StatusOK, struct{}{})
}

// live reports whether tok is a token the platform accepts now.
func (e *CloudStudio) live(tok string) bool {
	if tok == "" {
		return false
	}
	now := e.cfg.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[tok]
	return ok && now.Before(t.Expires)
}

// cloudStudioDecode decodes a JSON object request body of at most 1 MiB
// into v, with the documented types, or answers HTTP 400 as the service
// host does for a body it cannot read.
func cloudStudioDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v)
	if ct != "application/json" || err != nil {
		writeRaw(w, http.StatusBadRequest, "application/json; charset=utf-8",
			`{"Message":"The request body is not valid JSON for this operation."}`)
		return false
	}
	return true
}

// cloudStudioDateTime is the platform's date structure.
func cloudStudioDateTime(t time.Time) map[string]any {
	t = t.UTC()
	return map[string]any{
		"Date": map[string]int{"Day": t.Day(), "Month": int(t.Month()), "Year": t.Year()},
		"Time": map[string]int{"Hour": t.Hour(), "Millisecond": t.Nanosecond() / int(time.Millisecond),
			"Minute": t.Minute(), "Second": t.Second()},
	}
}

// cloudStudioException answers a failure the way the platform does: HTTP 500
// with an Exception object.
func cloudStudioException(w http.ResponseWriter, code, message string) {
	cloudStudioJSON(w, http.StatusInternalServerError, map[string]any{"Exception": map[string]string{
		"ClassName": "ServiceException",
		"FaultCode": code,
		"FaultData": "",
		"Message":   message,
	}})
}

func cloudStudioJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, "application/json; charset=utf-8", string(b))
}

// cloudStudioUUID returns a random version 4 UUID, the platform's token format.
func cloudStudioUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
