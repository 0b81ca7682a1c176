package iotauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The Huawei Cloud account the IAM and IoTDA emulators know. Obtain tokens
// with the IAM user, or sign with the access key; any other is refused.
const (
	IoTDADomainName  = "iotauth-domain"
	IoTDAUserName    = "iotauth-user"
	IoTDAPassword    = "iotauth-Passw0rd-7c1e"
	IoTDAProjectName = "cn-north-4"
	IoTDAProjectID   = "0f5a1c2b3d4e5f60718293a4b5c6d7e8"
	IoTDAAccessKey   = "HPUAIOTAUTHTESTKEY01"
	IoTDASecretKey   = "iotauth-test-secret-key-0123456789abcdef"
)

// The IAM path the emulator serves.
const iamTokensPath = "/v3/auth/tokens"

// The documents the emulated IAM follows.
const (
	iamTokenDoc = "Huawei Cloud IAM API Reference, Obtaining an IAM User Token (Using a Password)"
	iamLockDoc  = "Huawei Cloud IAM FAQ, What Should I Do If My Account Is Locked?"
)

// IAM's documented token lifetime, and its lockout: after iamLockAfter
// wrong passwords in a row, the account is locked for iamLockFor.
const (
	iamDefaultTTL = 24 * time.Hour
	iamLockAfter  = 5
	iamLockFor    = 15 * time.Minute
)

// iamErrorList is every error the IAM emulator answers ErrorNext with.
// IAM's token errors carry the HTTP status as their code.
var iamErrorList = []DocumentedError{
	{"400", http.StatusBadRequest, "The request body is invalid.", iamTokenDoc + ", Status Codes: 400"},
	{"401", http.StatusUnauthorized, "The username or password is wrong.", iamTokenDoc + ", Status Codes: 401"},
	{"403", http.StatusForbidden, "The user is disabled.", iamTokenDoc + ", Status Codes: 403"},
	{"429", http.StatusTooManyRequests, "The throttling threshold has been reached.", iamTokenDoc + ", Status Codes: 429"},
}

// iamFailBody is the body of an injected 5xx.
const iamFailBody = `{"error":{"code":500,"message":"Internal server error.","title":"Internal Server Error"}}`

// IAM emulates Huawei Cloud IAM's token API, POST /v3/auth/tokens with a
// password identity ({"auth":{"identity":{"methods":["password"],
// "password":{"user":{"name","password","domain":{"name"}}}},
// "scope":{"project":{"name"}}}}, application/json): it answers 201 with the
// token in the X-Subject-Token header and token.expires_at (24 hours
// later) in the body. Tokens are independent: a new one leaves the earlier
// ones valid. Errors are {"error":{"code":<status>,"message","title"}}: 400
// for a request outside the documented shape, 401 for a wrong user, password
// or domain (five in a row lock the account for 15 minutes, "The account
// is locked."), 403 for a disabled user (SetUserDisabled).
type IAM struct {
	Faults
	Counters
	cfg *config

	mu          sync.Mutex
	ttl         time.Duration
	tokens      map[string]iamToken
	failures    int // wrong passwords in a row
	lockedUntil time.Time
	disabled    bool
}

// iamToken is what the emulator knows of a token it issued.
type iamToken struct {
	project string // project id, "" for a token without a project scope
	expiry  time.Time
}

func newIAM(cfg *config) *IAM { return &IAM{cfg: cfg, tokens: map[string]iamToken{}} }

func (e *IAM) register(mux *http.ServeMux) {
	pe := platformErrors{failBody: iamFailBody, answer: func(w http.ResponseWriter, code string) { iamError(w, code, "") }}
	mux.Handle("POST "+iamTokensPath, guard(&e.Faults, &e.Counters, pe, http.HandlerFunc(e.token)))
}

// SetTokenTTL sets the lifetime of the tokens issued from now on
// (WithTokenTTL, else 24 hours, when d is 0).
func (e *IAM) SetTokenTTL(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ttl = d
}

// SetUserDisabled disables the IAM user (or enables it): its tokens stop
// working and new ones are refused with 403.
func (e *IAM) SetUserDisabled(disabled bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.disabled = disabled
	if disabled {
		clear(e.tokens)
	}
}

// RevokeTokens makes every token issued so far invalid, as changing the
// user's password does.
func (e *IAM) RevokeTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}

// Errors returns the errors the emulator answers ErrorNext with, each with
// its documented HTTP status; an unknown code is answered with HTTP 500.
func (e *IAM) Errors() []DocumentedError { return append([]DocumentedError(nil), iamErrorList...) }

// ValidToken reports whether IoTDA would accept token for the emulated
// project.
func (e *IAM) ValidToken(token string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.validLocked(token)
}

func (e *IAM) validLocked(token string) bool {
	t, ok := e.tokens[token]
	return ok && t.project == IoTDAProjectID && e.cfg.clock.Now().Before(t.expiry)
}

// iamTokenRequest is the documented request body.
type iamTokenRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *struct {
					Name     string  `json:"name"`
					Password string  `json:"password"`
					Domain   *iamRef `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope *struct {
			Project *iamRef `json:"project"`
			Domain  *iamRef `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

type iamRef struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// token answers POST /v3/auth/tokens.
func (e *IAM) token(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var req iamTokenRequest
	if ct != "application/json" || json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req) != nil {
		iamError(w, "400", "")
		return
	}
	a := req.Auth
	if a == nil || a.Identity == nil || !slices.Contains(a.Identity.Methods, "password") || a.Identity.Password == nil ||
		a.Identity.Password.User == nil || a.Identity.Password.User.Name == "" || a.Identity.Password.User.Password == "" ||
		a.Identity.Password.User.Domain == nil || (a.Identity.Password.User.Domain.Name == "" && a.Identity.Password.User.Domain.ID == "") {
		iamError(w, "400", "")
		return
	}
	u := a.Identity.Password.User
	project := ""
	if a.Scope != nil && a.Scope.Project != nil {
		p := a.Scope.Project
		if (p.Name == "" && p.ID == "") || (p.Name != "" && p.Name != IoTDAProjectName) || (p.ID != "" && p.ID != IoTDAProjectID) {
			iamError(w, "401", "The request you have made requires authentication.")
			return
		}
		project = IoTDAProjectID
	}
	now := e.cfg.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case now.Before(e.lockedUntil):
		iamError(w, "401", "The account is locked.")
		return
	case u.Name != IoTDAUserName || u.Password != IoTDAPassword || (u.Domain.Name != "" && u.Domain.Name != IoTDADomainName):
		e.failures++
		if e.failures >= iamLockAfter {
			e.failures, e.lockedUntil = 0, now.Add(iamLockFor)
		}
		iamError(w, "401", "")
		return
	case e.disabled:
		iamError(w, "403", "")
		return
	}
	e.failures = 0
	ttl := e.ttl
	if ttl <= 0 {
		ttl = e.cfg.ttl
	}
	if ttl <= 0 {
		ttl = iamDefaultTTL
	}
	tok := iamRandomToken()
	exp := now.Add(ttl)
	e.tokens[tok] = iamToken{project: project, expiry: exp}
	e.logins.Add(1)
	body := map[string]any{"token": map[string]any{
		"methods":    []string{"password"},
		"expires_at": exp.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"issued_at":  now.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"user": map[string]any{"name": IoTDAUserName, "id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
			"domain": map[string]string{"name": IoTDADomainName, "id": "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"}},
	}}
	if project != "" {
		body["token"].(map[string]any)["project"] = map[string]any{"name": IoTDAProjectName, "id": IoTDAProjectID,
			"domain": map[string]string{"name": IoTDADomainName, "id": "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"}}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("X-Subject-Token", tok)
	w.Header().Set("X-Request-Id", iamRandomID())
	writeRaw(w, http.StatusCreated, "application/json;charset=UTF-8", string(b))
}

// iamError answers with IAM's token error body for code, its documented
// status and message (message, when not empty, instead); a code the
// emulator does not document is answered with HTTP 500 in API Gateway's
// {"error_code","error_msg"} shape, so that tests can send unknown codes.
func iamError(w http.ResponseWriter, code, message string) {
	w.Header().Set("X-Request-Id", iamRandomID())
	d, ok := documented(iamErrorList, code)
	if !ok {
		b, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": "Emulated undocumented failure."})
		writeRaw(w, http.StatusInternalServerError, "application/json", string(b))
		return
	}
	if message == "" {
		message = d.Message
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": d.Status, "message": message, "title": http.StatusText(d.Status)}})
	writeRaw(w, d.Status, "application/json;charset=UTF-8", string(b))
}

// iamRandomToken returns a token shaped like IAM's: "MII" and base64.
func iamRandomToken() string {
	b := make([]byte, 96)
	_, _ = rand.Read(b)
	return "MII" + base64.RawURLEncoding.EncodeToString(b)
}

// iamRandomID returns a request id.
func iamRandomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
