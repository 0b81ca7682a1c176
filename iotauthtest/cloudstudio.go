package iotauthtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
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

// Paths of the emulated Cloud Studio services.
const (
	cloudStudioCreatePath    = "/services/gear/AuthorizationService.svc/CreateClientAccessTokenAllIntegrations"
	cloudStudioDeletePath    = "/services/gear/AuthorizationService.svc/DeleteClientAccessToken"
	cloudStudioDashboardPath = "/services/gear/DashboardService.svc/GetDashboards"
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
)

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
// errors as HTTP 500 with an {"Exception":{...}} body, and a protected
// service (GetDashboards) that takes the token in the Authorization header,
// the accessToken query parameter or the accessToken JSON field.
type CloudStudio struct {
	Faults
	Counters
	cfg *config

	creates atomic.Int64

	mu          sync.Mutex
	tokens      map[string]*CloudStudioToken // by access token
	nextID      int
	lastDesc    string
	badLogins   int
	captcha     bool
	badPassword string
}

func newCloudStudio(cfg *config) *CloudStudio {
	return &CloudStudio{cfg: cfg, tokens: map[string]*CloudStudioToken{}, nextID: 214, badPassword: cloudStudioBadPassword}
}

func (e *CloudStudio) register(mux *http.ServeMux) {
	mux.Handle("POST "+cloudStudioCreatePath, guard(&e.Faults, &e.Counters, cloudStudioFailBody, http.HandlerFunc(e.create)))
	mux.Handle("POST "+cloudStudioDeletePath, guard(&e.Faults, &e.Counters, cloudStudioFailBody, http.HandlerFunc(e.delete)))
	mux.Handle(cloudStudioDashboardPath, guard(&e.Faults, &e.Counters, cloudStudioFailBody, http.HandlerFunc(e.dashboards)))
}

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
		Description string
		ClientID    int
	} `json:"clientAccessToken"`
	Login *struct {
		LoginType int
		Email     string
		Password  string
	} `json:"login"`
	Expiration *int64 `json:"expiration"`
}

func (e *CloudStudio) create(w http.ResponseWriter, r *http.Request) {
	e.creates.Add(1)
	var req cloudStudioCreateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ClientAccessToken == nil || req.Login == nil {
		cloudStudioException(w, "400", "The request body is not a valid access token creation request")
		return
	}
	if req.Login.LoginType != 1 {
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
	if req.Login.Email != CloudStudioEmail || req.Login.Password != CloudStudioPassword {
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
	cat := req.ClientAccessToken
	switch {
	case cat.ClientID != CloudStudioClientID:
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	case strings.TrimSpace(cat.Description) == "" || utf8.RuneCountInString(cat.Description) > 255:
		cloudStudioException(w, "400", "The description must have between 1 and 255 characters")
		return
	case cat.Description == e.lastDesc:
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
	t := &CloudStudioToken{ID: e.nextID, AccessToken: cloudStudioUUID(), ClientID: cat.ClientID,
		Description: cat.Description, Created: now, Expires: expires}
	e.nextID++
	e.lastDesc = cat.Description
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

func (e *CloudStudio) delete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken         string `json:"accessToken"`
		ClientAccessTokenID int    `json:"clientAccessTokenID"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[req.AccessToken]
	if !ok || t.ID != req.ClientAccessTokenID {
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	}
	delete(e.tokens, req.AccessToken)
	cloudStudioJSON(w, http.StatusOK, struct{}{})
}

// dashboards is a protected service: it answers an empty dashboard list to
// a valid token, and FaultCode 8001 with HTTP 500 to any other.
func (e *CloudStudio) dashboards(w http.ResponseWriter, r *http.Request) {
	tok := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(rest)
		}
	}
	if tok == "" {
		tok = r.URL.Query().Get("accessToken")
	}
	if tok == "" && r.Body != nil {
		var body struct {
			AccessToken string `json:"accessToken"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		tok = body.AccessToken
	}
	now := e.cfg.clock.Now()
	e.mu.Lock()
	t, ok := e.tokens[tok]
	valid := ok && now.Before(t.Expires)
	e.mu.Unlock()
	if !valid {
		e.rejected.Add(1)
		cloudStudioException(w, "8001", cloudStudioInvalid)
		return
	}
	cloudStudioJSON(w, http.StatusOK, map[string]any{"GetDashboardsResult": []any{}})
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
