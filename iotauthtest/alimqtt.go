package iotauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iotauth/iotauth/internal/alisign"
)

// Credentials and ids the Alibaba Cloud MQTT emulator accepts.
const (
	// AlibabaAccessKeyID is the AccessKey ID of the emulated account.
	AlibabaAccessKeyID = "LTAI5tIotauthTestKey"
	// AlibabaAccessKeySecret is the AccessKey secret of the emulated account.
	AlibabaAccessKeySecret = "iotauth-test-access-key-secret"
	// AlibabaInstanceID is the MQTT instance of the emulated account.
	AlibabaInstanceID = "post-cn-iotauth01"
)

const (
	alibabaAPIVersion = "2020-04-20"
	alibabaMaxSkew    = 15 * time.Minute
	alibabaHostID     = "onsmqtt.aliyuncs.com"

	alibabaInternalBody = `{"RequestId":"00000000-0000-4000-8000-000000000000","HostId":"onsmqtt.aliyuncs.com",` +
		`"Code":"InternalError","Message":"An error occurred while processing your request. Try again later."}`
)

// Alibaba emulates the Alibaba Cloud MQTT (onsmqtt) OpenAPI: one RPC
// endpoint at "/" that dispatches on Action, with parameters from the query
// string or the form body. It verifies the request signature, refuses stale
// timestamps and reused nonces, and keeps the device credentials and tokens
// of AlibabaInstanceID in memory. Tokens expire at the ExpireTime they were
// applied for, read against the emulator clock.
//
// Logins counts ApplyToken and RegisterDeviceCredential successes,
// Refreshes counts RefreshDeviceCredential successes.
type Alibaba struct {
	Faults
	Counters
	cfg *config

	registers atomic.Int64
	calls     sync.Map // action → *atomic.Int64

	mu       sync.Mutex
	nonces   map[string]time.Time // nonce → when it was used
	creds    map[string]alibabaCredential
	tokens   map[string]alibabaToken
	quota    int // device credentials allowed per instance; 0 = no limit
	throttle int // requests still to throttle
	errs     []alibabaError
}

type alibabaCredential struct {
	ClientID   string `json:"ClientId"`
	InstanceID string `json:"InstanceId"`
	KeyID      string `json:"DeviceAccessKeyId"`
	Secret     string `json:"DeviceAccessKeySecret"`
	CreateTime int64  `json:"CreateTime"`
	UpdateTime int64  `json:"UpdateTime"`
}

type alibabaToken struct {
	actions   string
	resources []string
	expire    time.Time
	revoked   bool
}

type alibabaError struct {
	status int
	code   string
}

func newAlibaba(cfg *config) *Alibaba {
	return &Alibaba{
		cfg:    cfg,
		nonces: map[string]time.Time{},
		creds:  map[string]alibabaCredential{},
		tokens: map[string]alibabaToken{},
	}
}

func (e *Alibaba) register(mux *http.ServeMux) {
	mux.Handle("/{$}", guard(&e.Faults, &e.Counters, alibabaInternalBody, http.HandlerFunc(e.serve)))
}

// SetCredentialQuota limits the instance to n device credentials (0: no
// limit); a RegisterDeviceCredential beyond it is answered with
// DeviceCredentialNumExceed.
func (e *Alibaba) SetCredentialQuota(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.quota = n
}

// ThrottleNext throttles the next n signed requests: ApplyToken is answered
// with ApplyTokenOverFlow, every other action with Throttling.User.
func (e *Alibaba) ThrottleNext(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.throttle = n
}

// ErrorNext answers the next n correctly signed requests with the
// documented error code and HTTP status, such as SystemOverFlow (500),
// CheckAccountInfoFailed or PermissionCheckFailed (400).
func (e *Alibaba) ErrorNext(n, status int, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.errs = append(e.errs, alibabaError{status, code})
	}
}

// Registers is the number of successful RegisterDeviceCredential calls.
func (e *Alibaba) Registers() int64 { return e.registers.Load() }

// Calls is the number of correctly signed requests for action, answered
// successfully or not.
func (e *Alibaba) Calls(action string) int64 {
	if c, ok := e.calls.Load(action); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// DeviceCredentials is the number of device credentials registered.
func (e *Alibaba) DeviceCredentials() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.creds)
}

// AcceptsMQTTLogin reports whether the MQTT broker of AlibabaInstanceID
// would accept a CONNECT with this client id, username and password, in any
// of the three modes: DeviceCredential|…, Signature|… and Token|….
func (e *Alibaba) AcceptsMQTTLogin(clientID, username, password string) bool {
	parts := strings.Split(username, "|")
	if len(parts) != 3 || parts[2] != AlibabaInstanceID {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch parts[0] {
	case "DeviceCredential":
		c, ok := e.creds[clientID]
		return ok && c.KeyID == parts[1] && password == alisign.HMACSHA1(c.Secret, clientID)
	case "Signature":
		return parts[1] == AlibabaAccessKeyID && password == alisign.HMACSHA1(AlibabaAccessKeySecret, clientID)
	case "Token":
		return parts[1] == AlibabaAccessKeyID && e.tokenPasswordValid(password)
	}
	return false
}

// tokenPasswordValid checks a token mode password: "R|tok", "W|tok",
// "RW|tok" or several of them ("R|t1|W|t2"), at most one token per type,
// each live and of the type it was applied for (Actions "R", "W", "R,W").
func (e *Alibaba) tokenPasswordValid(password string) bool {
	f := strings.Split(password, "|")
	if len(f) == 0 || len(f)%2 != 0 {
		return false
	}
	now := e.cfg.clock.Now()
	seen := map[string]bool{}
	for i := 0; i < len(f); i += 2 {
		t, ok := e.tokens[f[i+1]]
		if !ok || t.revoked || !now.Before(t.expire) || seen[f[i]] || alibabaTokenType(t.actions) != f[i] {
			return false
		}
		seen[f[i]] = true
	}
	return true
}

// alibabaTokenType is the password type of a token applied for with actions.
func alibabaTokenType(actions string) string {
	switch actions {
	case "R,W", "W,R":
		return "RW"
	}
	return actions
}

func (e *Alibaba) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		alibabaFail(w, http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "The specified HTTP method is not supported.")
		return
	}
	if err := r.ParseForm(); err != nil {
		alibabaFail(w, http.StatusBadRequest, "InvalidParameter", "The request body could not be parsed.")
		return
	}
	p := r.Form
	if status, code, msg := e.authenticate(r.Method, p); code != "" {
		alibabaFail(w, status, code, msg)
		return
	}
	action := p.Get("Action")
	c, _ := e.calls.LoadOrStore(action, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	if status, code := e.injected(action); code != "" {
		alibabaFail(w, status, code, "The request was throttled or refused on purpose by the emulator.")
		return
	}
	h, ok := map[string]func(url.Values) (any, int, string){
		"RegisterDeviceCredential":   e.registerCredential,
		"GetDeviceCredential":        e.getCredential,
		"RefreshDeviceCredential":    e.refreshCredential,
		"UnRegisterDeviceCredential": e.unregisterCredential,
		"ApplyToken":                 e.applyToken,
		"QueryToken":                 e.queryToken,
		"RevokeToken":                e.revokeToken,
	}[action]
	if !ok {
		alibabaFail(w, http.StatusNotFound, "ApiNotSupport", "The specified API is not supported.")
		return
	}
	if p.Get("InstanceId") != AlibabaInstanceID {
		alibabaFail(w, http.StatusBadRequest, "InstancePermissionCheckFailed",
			"An error occurred while validating the permissions of the instance. Please verify the account that created the instance and its permissions settings.")
		return
	}
	out, status, code := h(p)
	if code != "" {
		alibabaFail(w, status, code, alibabaMessages[code])
		return
	}
	alibabaWrite(w, http.StatusOK, out)
}

// authenticate checks the common parameters, the signature, the timestamp
// and the nonce, returning the error to answer with, if any.
func (e *Alibaba) authenticate(method string, p url.Values) (int, string, string) {
	for _, name := range []string{"AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Action", "Version"} {
		if p.Get(name) == "" {
			return http.StatusBadRequest, "Missing" + name, name + " is mandatory for this action."
		}
	}
	if p.Get("SignatureMethod") != alisign.Method || p.Get("SignatureVersion") != alisign.Version {
		return http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method or version is not supported."
	}
	if p.Get("AccessKeyId") != AlibabaAccessKeyID {
		return http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
	}
	if !alisign.Verify(method, p, AlibabaAccessKeySecret) {
		return http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
	}
	ts, err := time.Parse(alisign.TimeFormat, p.Get("Timestamp"))
	if err != nil {
		return http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
	}
	now := e.cfg.clock.Now()
	if d := now.Sub(ts); d > alibabaMaxSkew || d < -alibabaMaxSkew {
		return http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
	}
	if p.Get("Version") != alibabaAPIVersion {
		return http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid."
	}
	if f := p.Get("Format"); f != "" && !strings.EqualFold(f, "JSON") {
		return http.StatusBadRequest, "InvalidParameter.Format", "The emulator answers in JSON only."
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for n, at := range e.nonces {
		if now.Sub(at) > 2*alibabaMaxSkew {
			delete(e.nonces, n)
		}
	}
	nonce := p.Get("SignatureNonce")
	if _, used := e.nonces[nonce]; used {
		return http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already."
	}
	e.nonces[nonce] = now
	return 0, "", ""
}

// injected consumes a pending throttle or ErrorNext error.
func (e *Alibaba) injected(action string) (int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.throttle > 0:
		e.throttle--
		if action == "ApplyToken" {
			return http.StatusBadRequest, "ApplyTokenOverFlow"
		}
		return http.StatusBadRequest, "Throttling.User"
	case len(e.errs) > 0:
		err := e.errs[0]
		e.errs = e.errs[1:]
		return err.status, err.code
	}
	return 0, ""
}

func (e *Alibaba) registerCredential(p url.Values) (any, int, string) {
	id := p.Get("ClientId")
	if !alibabaValidClientID(id) {
		return nil, http.StatusBadRequest, "ParameterCheckFailed"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.creds[id]; ok {
		return nil, http.StatusBadRequest, "DeviceCredentialExsit"
	}
	if e.quota > 0 && len(e.creds) >= e.quota {
		return nil, http.StatusBadRequest, "DeviceCredentialNumExceed"
	}
	now := e.cfg.clock.Now().UnixMilli()
	c := alibabaCredential{ClientID: id, InstanceID: AlibabaInstanceID, KeyID: "DC." + alibabaRandom(),
		Secret: "DC." + alibabaRandom(), CreateTime: now, UpdateTime: now}
	e.creds[id] = c
	e.registers.Add(1)
	e.logins.Add(1)
	return map[string]any{"DeviceCredential": c}, 0, ""
}

func (e *Alibaba) getCredential(p url.Values) (any, int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.creds[p.Get("ClientId")]
	if !ok {
		return nil, http.StatusBadRequest, "DeviceCredentialNotFound"
	}
	return map[string]any{"DeviceCredential": c}, 0, ""
}

func (e *Alibaba) refreshCredential(p url.Values) (any, int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.creds[p.Get("ClientId")]
	if !ok {
		return nil, http.StatusBadRequest, "DeviceCredentialNotFound"
	}
	c.Secret = "DC." + alibabaRandom()
	c.UpdateTime = e.cfg.clock.Now().UnixMilli()
	e.creds[c.ClientID] = c
	e.refreshes.Add(1)
	return map[string]any{"DeviceCredential": c}, 0, ""
}

func (e *Alibaba) unregisterCredential(p url.Values) (any, int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := p.Get("ClientId")
	if _, ok := e.creds[id]; !ok {
		return nil, http.StatusBadRequest, "DeviceCredentialNotFound"
	}
	delete(e.creds, id)
	return map[string]any{}, 0, ""
}

func (e *Alibaba) applyToken(p url.Values) (any, int, string) {
	actions := p.Get("Actions")
	if actions != "R" && actions != "W" && actions != "R,W" && actions != "W,R" {
		return nil, http.StatusBadRequest, "InvalidParameter.Actions"
	}
	var resources []string
	for _, r := range strings.Split(p.Get("Resources"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			resources = append(resources, r)
		}
	}
	if len(resources) == 0 {
		return nil, http.StatusBadRequest, "InvalidParameter.Resources"
	}
	ms, err := strconv.ParseInt(p.Get("ExpireTime"), 10, 64)
	now := e.cfg.clock.Now()
	if err != nil || !time.UnixMilli(ms).After(now) {
		return nil, http.StatusBadRequest, "InvalidParameter.ExpireTime"
	}
	tok := "LzMT+XLFl5s/" + alibabaRandom() + "=="
	e.mu.Lock()
	e.tokens[tok] = alibabaToken{actions: actions, resources: resources, expire: time.UnixMilli(ms)}
	e.mu.Unlock()
	e.logins.Add(1)
	return map[string]any{"Token": tok}, 0, ""
}

func (e *Alibaba) queryToken(p url.Values) (any, int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[p.Get("Token")]
	live := ok && !t.revoked && e.cfg.clock.Now().Before(t.expire)
	if ok && !live {
		e.rejected.Add(1)
	}
	return map[string]any{"TokenStatus": live}, 0, ""
}

func (e *Alibaba) revokeToken(p url.Values) (any, int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tok := p.Get("Token")
	t, ok := e.tokens[tok]
	if !ok {
		return nil, http.StatusBadRequest, "InvalidParameter.Token"
	}
	t.revoked = true
	e.tokens[tok] = t
	return map[string]any{}, 0, ""
}

// alibabaValidClientID accepts the documented GroupID@@@DeviceID form.
func alibabaValidClientID(id string) bool {
	group, device, ok := strings.Cut(id, "@@@")
	return ok && group != "" && device != "" && len(id) <= 64
}

var alibabaMessages = map[string]string{
	"ParameterCheckFailed":        "An error occurred while validating the parameters. The parameters may be missing or invalid.",
	"DeviceCredentialNumExceed":   "The number of device credentia exceeds the limit. Please revoke unused device certificates",
	"DeviceCredentialExsit":       "Device Credential Exsit",
	"DeviceCredentialNotFound":    "Device Credential Not Found. Check if the device certificate is registered",
	"InvalidParameter.Actions":    "An error occurred while validating the parameter. The parameter may be missing or invalid.",
	"InvalidParameter.Resources":  "An error occurred while validating the parameter. The parameter may be missing or invalid.",
	"InvalidParameter.ExpireTime": "An error occurred while validating the parameter. The parameter may be missing or invalid.",
	"InvalidParameter.Token":      "An error occurred while validating the parameter. The parameter may be missing or invalid.",
}

// alibabaWrite answers v, an object, with a fresh RequestId added.
func alibabaWrite(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	rid, _ := json.Marshal(alisign.Nonce())
	if len(body) > 2 {
		body = append([]byte(`{"RequestId":`+string(rid)+`,`), body[1:]...)
	} else {
		body = []byte(`{"RequestId":` + string(rid) + `}`)
	}
	writeRaw(w, status, "application/json;charset=utf-8", string(body))
}

// alibabaFail answers the documented error body.
func alibabaFail(w http.ResponseWriter, status int, code, message string) {
	alibabaWrite(w, status, map[string]string{
		"HostId":    alibabaHostID,
		"Code":      code,
		"Message":   message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code),
	})
}

func alibabaRandom() string { return strings.ReplaceAll(alisign.Nonce(), "-", "")[:22] }
