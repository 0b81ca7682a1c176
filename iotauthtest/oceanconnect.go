package iotauthtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The OceanConnect application the emulator knows. Log in with these; any
// other pair is refused with 100208.
const (
	OceanConnectAppID  = "oc-app-7f3a2c"
	OceanConnectSecret = "oc-secret-4e9d1b86"
)

// The OceanConnect paths the emulator serves.
const (
	ocLoginPath   = "/iocm/app/sec/v1.1.0/login"
	ocRefreshPath = "/iocm/app/sec/v1.1.0/refreshToken"
	ocLogoutPath  = "/iocm/app/sec/v1.1.0/logout"
	ocDevicesPath = "/iocm/app/dm/v1.4.0/devices"
)

// The documents the emulated OceanConnect follows.
const (
	ocSDKDoc  = "OceanConnect, Authentication (SDK view, getAuthToken), Error Codes"
	ocRESTDoc = "OceanConnect, Authentication (REST view, POST /iocm/app/sec/v1.1.0/login), Error Code"
	ocAPIDoc  = "OceanConnect northbound API reference, error codes"
	ocCapture = "real-server capture: refreshToken answered to a bad refresh token"
)

// ocErrorList is every error the emulator answers: the documented ones with
// their documented HTTP status and description.
var ocErrorList = []DocumentedError{
	{"100247", http.StatusBadRequest, "Operation not allowed. The application has been frozen.", ocSDKDoc},
	{"100449", http.StatusBadRequest, "The device is freezed cant operate.", ocRESTDoc},
	{"102202", http.StatusBadRequest, "Required Parameter is null or empty.", ocRESTDoc},
	{"100208", http.StatusUnauthorized, "AppId or secret is not right.", ocRESTDoc},
	{"50252", http.StatusInternalServerError, "Internal server error.", ocRESTDoc},
	{"1010005", http.StatusForbidden, "Invalid access token.", ocAPIDoc},
	{"100006", http.StatusUnauthorized, "Refresh token is invalid.", ocCapture},
	{"100203", http.StatusForbidden, "The application is not existed.", ocAPIDoc},
	{"100217", http.StatusForbidden, "The application hasn't been authorized.", ocAPIDoc},
	{"50400", http.StatusBadRequest, "The input is invalid.", ocAPIDoc},
	{"1010009", http.StatusTooManyRequests, "App throttle exceed.", ocAPIDoc},
}

// ocFailBody is the body of an injected 5xx.
const ocFailBody = `{"error_code":"50252","error_desc":"Internal server error."}`

// OceanConnectShape is how the emulator writes a token answer. The zero
// value is the REST document's example, as most real servers answer:
// "expiresIn" a string of seconds, "tokenType" "Bearer " with a trailing
// space, and a refreshToken.
type OceanConnectShape struct {
	// Name names the shape in test names.
	Name string
	// NumericExpiresIn sends "expiresIn" as a JSON number (the SDK view's
	// Number type) instead of a string.
	NumericExpiresIn bool
	// TokenType is sent as "tokenType"; "Bearer " when empty.
	TokenType string
	// RefreshToken is "" to send a refresh token, "null" to send
	// "refreshToken": null, "absent" to leave the field out.
	RefreshToken string
}

// OceanConnectShapes are the token answers seen from real servers: the
// document's example first, then the captured variations. Providers' tests
// run against each (OceanConnect.SetShape).
func OceanConnectShapes() []OceanConnectShape {
	return []OceanConnectShape{
		{Name: "document"},
		{Name: "numeric-expiresIn-lowercase", NumericExpiresIn: true, TokenType: "bearer"},
		{Name: "uppercase-type", TokenType: "BEARER"},
		{Name: "null-refreshToken", RefreshToken: "null"},
		{Name: "no-refreshToken", NumericExpiresIn: true, RefreshToken: "absent"},
	}
}

// ocDefaultTTL is the documented access token lifetime; refresh tokens live
// a month.
const (
	ocDefaultTTL        = 3600 * time.Second
	ocDefaultRefreshTTL = 30 * 24 * time.Hour
)

// OceanConnect emulates Huawei OceanConnect's application authentication
// (https://server:8743/iocm/app/sec/v1.1.0/...):
//
//   - POST /iocm/app/sec/v1.1.0/login, form appId and secret;
//   - POST /iocm/app/sec/v1.1.0/refreshToken, JSON appId, secret, refreshToken;
//   - POST /iocm/app/sec/v1.1.0/logout, JSON accessToken (204);
//   - GET /iocm/app/dm/v1.4.0/devices, a protected call for tests: it wants
//     "app_key: <appId>" and "Authorization: Bearer <token>", and answers
//     200 {"totalCount":0,"devices":[]}, 403 error_code 1010005 for a stale,
//     expired or unknown token, and 401 when either header is missing.
//
// Tokens are answered as the REST document's example ("tokenType": "Bearer "
// with a trailing space, "expiresIn" as a string of seconds) or in another
// shape seen from real servers (SetShape). Only the last token issued is
// valid: every login and refresh makes the earlier access tokens invalid
// and the earlier refresh token stale (a refresh with it is refused with
// 401 100006; a wrong appId or secret with 401 100208). Errors are
// {"error_code","error_desc"} with their documented HTTP status.
type OceanConnect struct {
	Faults
	Counters
	cfg *config

	mu            sync.Mutex
	shape         OceanConnectShape
	ttl           time.Duration
	refreshTTL    time.Duration
	access        string
	accessExpiry  time.Time
	refresh       string
	refreshExpiry time.Time
	frozen        bool

	logouts atomic.Int64
}

func newOceanConnect(cfg *config) *OceanConnect {
	return &OceanConnect{cfg: cfg, refreshTTL: ocDefaultRefreshTTL}
}

func (e *OceanConnect) register(mux *http.ServeMux) {
	pe := platformErrors{failBody: ocFailBody, answer: func(w http.ResponseWriter, code string) { ocError(w, 0, code) }}
	h := func(fn http.HandlerFunc) http.Handler { return guard(&e.Faults, &e.Counters, pe, fn) }
	mux.Handle("POST "+ocLoginPath, h(e.login))
	mux.Handle("POST "+ocRefreshPath, h(e.refreshToken))
	mux.Handle("POST "+ocLogoutPath, h(e.logout))
	mux.Handle("GET "+ocDevicesPath, h(e.devices))
}

// SetTokenTTL sets the lifetime of the access tokens issued from now on
// (WithTokenTTL, else 3600 s, when d is 0).
func (e *OceanConnect) SetTokenTTL(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ttl = d
}

// SetRefreshTTL sets the lifetime of the refresh tokens issued from now on
// (30 days when d is 0).
func (e *OceanConnect) SetRefreshTTL(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d == 0 {
		d = ocDefaultRefreshTTL
	}
	e.refreshTTL = d
}

// SetFrozen freezes the application (or thaws it): while frozen, logins and
// refreshes are refused with 400 100247.
func (e *OceanConnect) SetFrozen(frozen bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.frozen = frozen
}

// Errors returns the errors the emulator answers ErrorNext with, each with
// its documented HTTP status; an unknown code is answered with HTTP 500.
func (e *OceanConnect) Errors() []DocumentedError {
	return append([]DocumentedError(nil), ocErrorList...)
}

// SetShape sets how token answers are written from now on (see
// OceanConnectShapes); the zero shape is the document's example.
func (e *OceanConnect) SetShape(s OceanConnectShape) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shape = s
}

// Revoke makes the current access and refresh tokens invalid, as a login
// from another process does.
func (e *OceanConnect) Revoke() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.access, e.refresh = "", ""
}

// Logouts is the number of logouts that ended the current token.
func (e *OceanConnect) Logouts() int64 { return e.logouts.Load() }

// ValidToken reports whether token is the access token the platform
// currently accepts.
func (e *OceanConnect) ValidToken(token string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.validLocked(token)
}

func (e *OceanConnect) validLocked(token string) bool {
	return token != "" && token == e.access && e.cfg.clock.Now().Before(e.accessExpiry)
}

// login answers POST /iocm/app/sec/v1.1.0/login.
func (e *OceanConnect) login(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		ocError(w, http.StatusBadRequest, "102202")
		return
	}
	appID, secret := r.PostForm.Get("appId"), r.PostForm.Get("secret")
	if appID == "" || secret == "" {
		ocError(w, http.StatusBadRequest, "102202")
		return
	}
	e.grant(w, &e.logins, func() string {
		if appID != OceanConnectAppID || secret != OceanConnectSecret {
			return "100208"
		}
		return ""
	})
}

// refreshToken answers POST /iocm/app/sec/v1.1.0/refreshToken.
func (e *OceanConnect) refreshToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID        string `json:"appId"`
		Secret       string `json:"secret"`
		RefreshToken string `json:"refreshToken"`
	}
	if !decodeOCJSON(w, r, &req) || req.AppID == "" || req.Secret == "" || req.RefreshToken == "" {
		ocError(w, http.StatusBadRequest, "102202")
		return
	}
	e.grant(w, &e.refreshes, func() string {
		switch {
		case req.AppID != OceanConnectAppID || req.Secret != OceanConnectSecret:
			return "100208"
		case req.RefreshToken != e.refresh || !e.cfg.clock.Now().Before(e.refreshExpiry):
			return "100006"
		}
		return ""
	})
}

// grant answers a well-formed login or refresh: the code refused (called
// with e.mu held) returns, 100247 when the application is frozen, else a new
// token pair, counted in n.
func (e *OceanConnect) grant(w http.ResponseWriter, n *atomic.Int64, refused func() string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	code := refused()
	switch {
	case code != "":
		ocError(w, 0, code)
	case e.frozen:
		ocError(w, http.StatusBadRequest, "100247")
	default:
		e.issueLocked(w)
		n.Add(1)
	}
}

// logout answers POST /iocm/app/sec/v1.1.0/logout. Logging out a token that
// is not the current one succeeds and changes nothing.
func (e *OceanConnect) logout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken string `json:"accessToken"`
	}
	if !decodeOCJSON(w, r, &req) || req.AccessToken == "" {
		ocError(w, http.StatusBadRequest, "102202")
		return
	}
	e.mu.Lock()
	if req.AccessToken == e.access {
		e.access, e.refresh = "", ""
		e.logouts.Add(1)
	}
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// devices answers GET /iocm/app/dm/v1.4.0/devices, the protected test call.
func (e *OceanConnect) devices(w http.ResponseWriter, r *http.Request) {
	appKey := r.Header.Get("app_key")
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if appKey == "" || token == "" || !strings.EqualFold(scheme, "Bearer") {
		e.rejected.Add(1)
		ocError(w, http.StatusUnauthorized, "102202")
		return
	}
	e.mu.Lock()
	ok := appKey == OceanConnectAppID && e.validLocked(token)
	e.mu.Unlock()
	if !ok {
		e.rejected.Add(1)
		ocError(w, http.StatusForbidden, "1010005")
		return
	}
	writeRaw(w, http.StatusOK, "application/json", `{"totalCount":0,"devices":[]}`)
}

// issueLocked makes a new token pair the only valid one and answers with it
// the way real servers do.
func (e *OceanConnect) issueLocked(w http.ResponseWriter) {
	ttl := e.ttl
	if ttl <= 0 {
		ttl = e.cfg.ttl
	}
	if ttl <= 0 {
		ttl = ocDefaultTTL
	}
	secs := max(int64(ttl/time.Second), 1)
	now := e.cfg.clock.Now()
	e.access, e.accessExpiry = ocRandomToken(), now.Add(time.Duration(secs)*time.Second)
	e.refresh, e.refreshExpiry = ocRandomToken(), now.Add(e.refreshTTL)
	answer := map[string]any{"scope": "default", "tokenType": "Bearer ", "accessToken": e.access,
		"expiresIn": strconv.FormatInt(secs, 10), "refreshToken": e.refresh}
	if e.shape.NumericExpiresIn {
		answer["expiresIn"] = secs
	}
	if e.shape.TokenType != "" {
		answer["tokenType"] = e.shape.TokenType
	}
	switch e.shape.RefreshToken {
	case "null":
		answer["refreshToken"], e.refresh = nil, ""
	case "absent":
		delete(answer, "refreshToken")
		e.refresh = ""
	}
	body, _ := json.Marshal(answer)
	writeRaw(w, http.StatusOK, "application/json", string(body))
}

// decodeOCJSON decodes a JSON request body of at most 64 KiB.
func decodeOCJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return false
	}
	return json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v) == nil
}

// ocError answers with the platform's error body, with status, or with
// the code's documented status when status is 0 (HTTP 500 for a code the
// emulator does not know).
func ocError(w http.ResponseWriter, status int, code string) {
	d, ok := documented(ocErrorList, code)
	if !ok {
		d = DocumentedError{Code: code, Status: http.StatusInternalServerError, Message: "Emulated undocumented failure."}
	}
	if status == 0 {
		status = d.Status
	}
	body, _ := json.Marshal(map[string]string{"error_code": code, "error_desc": d.Message})
	writeRaw(w, status, "application/json", string(body))
}

// ocRandomToken returns 32 random hex digits.
func ocRandomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
