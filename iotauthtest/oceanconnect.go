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

// OceanConnect error codes and the descriptions the platform sends with them.
var ocErrors = map[string]string{
	"100208":  "AppId or secret is not right.",
	"100247":  "Operation not allowed. The application has been frozen.",
	"100449":  "The device is freezed cant operate.",
	"100203":  "The application is not existed.",
	"100217":  "The application hasn't been authorized.",
	"102202":  "Required Parameter is null or empty.",
	"50400":   "The input is invalid.",
	"1010009": "App throttle exceed.",
	"50252":   "Internal server error.",
	"1010005": "Invalid access token.",
}

// ocFailBody is the body of an injected 5xx.
const ocFailBody = `{"error_code":"50252","error_desc":"Internal server error."}`

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
// Tokens are answered as real servers send them: "tokenType": "Bearer "
// with a trailing space and "expiresIn" as a string of seconds. Only the
// last token issued is valid: every login and refresh makes the earlier
// access tokens invalid and the earlier refresh token stale (a refresh with
// it is refused with 401 100208). Errors are {"error_code","error_desc"}.
type OceanConnect struct {
	Faults
	Counters
	cfg *config

	mu            sync.Mutex
	ttl           time.Duration
	refreshTTL    time.Duration
	access        string
	accessExpiry  time.Time
	refresh       string
	refreshExpiry time.Time
	refuse        []ocRefusal
	frozen        bool

	logouts atomic.Int64
}

// ocRefusal is an error answer queued by RefuseNext.
type ocRefusal struct {
	status int
	code   string
}

func newOceanConnect(cfg *config) *OceanConnect {
	return &OceanConnect{cfg: cfg, refreshTTL: ocDefaultRefreshTTL}
}

func (e *OceanConnect) register(mux *http.ServeMux) {
	h := func(fn http.HandlerFunc) http.Handler { return guard(&e.Faults, &e.Counters, ocFailBody, fn) }
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

// RefuseNext answers the next n logins or refreshes with the platform error
// code and HTTP status, such as (1, 429, "1010009") for throttling. The
// description is the platform's for known codes.
func (e *OceanConnect) RefuseNext(n, status int, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.refuse = append(e.refuse, ocRefusal{status: status, code: code})
	}
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
	e.grant(w, &e.logins, func() bool { return appID == OceanConnectAppID && secret == OceanConnectSecret })
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
	e.grant(w, &e.refreshes, func() bool {
		return req.AppID == OceanConnectAppID && req.Secret == OceanConnectSecret &&
			req.RefreshToken == e.refresh && e.cfg.clock.Now().Before(e.refreshExpiry)
	})
}

// grant answers a well-formed login or refresh: a queued refusal, 100208
// when allowed (called with e.mu held) says no, 100247 when the application
// is frozen, else a new token pair, counted in n.
func (e *OceanConnect) grant(w http.ResponseWriter, n *atomic.Int64, allowed func() bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.refusedLocked(w):
	case !allowed():
		ocError(w, http.StatusUnauthorized, "100208")
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

// refusedLocked answers with the next queued refusal, if any.
func (e *OceanConnect) refusedLocked(w http.ResponseWriter) bool {
	if len(e.refuse) == 0 {
		return false
	}
	r := e.refuse[0]
	e.refuse = e.refuse[1:]
	ocError(w, r.status, r.code)
	return true
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
	body, _ := json.Marshal(map[string]string{
		"scope":        "default",
		"tokenType":    "Bearer ",
		"expiresIn":    strconv.FormatInt(secs, 10),
		"accessToken":  e.access,
		"refreshToken": e.refresh,
	})
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

// ocError answers with the platform's error body.
func ocError(w http.ResponseWriter, status int, code string) {
	body, _ := json.Marshal(map[string]string{"error_code": code, "error_desc": ocErrors[code]})
	writeRaw(w, status, "application/json", string(body))
}

// ocRandomToken returns 32 random hex digits.
func ocRandomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
