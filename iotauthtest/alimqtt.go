package iotauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
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

	// alibabaMinTokenLife and alibabaMaxTokenLife bound ApplyToken's
	// ExpireTime; alibabaMaxResources bounds its Resources.
	alibabaMinTokenLife = 60 * time.Second
	alibabaMaxTokenLife = 30 * 24 * time.Hour
	alibabaMaxResources = 100
)

// The STS credential the emulator accepts: its AccessKey works only with
// AlibabaSTSSecurityToken as SecurityToken.
const (
	AlibabaSTSAccessKeyID     = "STS.iotauthTestKey"
	AlibabaSTSAccessKeySecret = "iotauth-test-sts-secret"
	AlibabaSTSSecurityToken   = "iotauth-test-sts-security-token"
)

// Documents the emulated Alibaba Cloud MQTT follows.
const (
	alibabaCredDoc   = "Alibaba Cloud MQTT, RegisterDeviceCredential (一机一密), 错误码"
	alibabaCommonDoc = "Alibaba Cloud OpenAPI, 错误代码表 (common error codes)"
	alibabaTokenDoc  = "ApsaraMQ for MQTT:ApplyToken, request parameters"
	alibabaSTSDoc    = "Alibaba Cloud STS, error codes"
)

// alibabaErrorList is every error the emulator answers, with the HTTP status
// and message its documents give.
var alibabaErrorList = []DocumentedError{
	{"ApplyTokenOverFlow", 400, "You have applied for tokens too many times. Please try again later.", alibabaCredDoc},
	{"CheckAccountInfoFailed", 400, "An error occurred while checking the account information by the STS token.", alibabaCredDoc},
	{"InstancePermissionCheckFailed", 400, "An error occurred while validating the permissions of the instance. Please verify the account that created the instance and its permissions settings.", alibabaCredDoc},
	{"ParameterCheckFailed", 400, "An error occurred while validating the parameters. The parameters may be missing or invalid.", alibabaCredDoc},
	{"PermissionCheckFailed", 400, "An error occurred while validating the resource permissions. Please check the account that created the instance, topic, and GroupId, and check their permission settings.", alibabaCredDoc},
	{"InvalidParameter.Actions", 400, "An error occurred while validating the parameter. The parameter may be missing or invalid.", alibabaCredDoc},
	{"InvalidParameter.Resources", 400, "An error occurred while validating the parameter. The parameter may be missing or invalid.", alibabaTokenDoc},
	{"InvalidParameter.ExpireTime", 400, "An error occurred while validating the parameter. The parameter may be missing or invalid.", alibabaTokenDoc},
	{"InvalidParameter.Token", 400, "An error occurred while validating the parameter. The parameter may be missing or invalid.", alibabaCredDoc},
	{"DeviceCredentialNumExceed", 400, "The number of device credentia exceeds the limit. Please revoke unused device certificates", alibabaCredDoc},
	{"DeviceCredentialExsit", 400, "Device Credential Exsit", alibabaCredDoc},
	{"DeviceCredentialNotFound", 400, "Device Credential Not Found. Check if the device certificate is registered", alibabaCredDoc},
	{"ApiNotSupport", 404, "The specified API is not supported.", alibabaCredDoc},
	{"InternalError", 500, "An error occurred while processing your request. Try again later.", alibabaCredDoc},
	{"SystemOverFlow", 500, "An error occurred while processing your request. Please try again.", alibabaCredDoc},
	{"MissingParameter", 400, "The input parameter that is mandatory for processing this request is not supplied.", alibabaCommonDoc},
	{"Throttling", 400, "Request was denied due to request throttling.", alibabaCommonDoc},
	{"Throttling.User", 400, "Request was denied due to user flow control.", alibabaCommonDoc},
	{"InvalidAccessKeyId.NotFound", 400, "Specified access key is not found.", alibabaCommonDoc},
	{"SignatureDoesNotMatch", 403, "Specified signature is not matched with our calculation.", alibabaCommonDoc},
	{"Forbidden", 403, "User not authorized to operate on the specified resource.", alibabaCommonDoc},
	{"Forbidden.RiskControl", 403, "This operation is forbidden by Aliyun Risk Control system.", alibabaCommonDoc},
	{"ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server.", alibabaCommonDoc},
	{"IncompleteSignature", 400, "The request signature does not conform to Aliyun standards.", alibabaCommonDoc},
	{"InvalidSignatureMethod", 400, "Specified signature method or version is not supported.", alibabaCommonDoc},
	{"InvalidTimeStamp.Format", 400, "Specified time stamp or date value is not well formatted.", alibabaCommonDoc},
	{"InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.", alibabaCommonDoc},
	{"SignatureNonceUsed", 400, "Specified signature nonce was used already.", alibabaCommonDoc},
	{"InvalidVersion", 400, "Specified parameter Version is not valid.", alibabaCommonDoc},
	{"UnsupportedHTTPMethod", 403, "This http method not supported.", alibabaCommonDoc},
	{"InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.", alibabaSTSDoc},
	{"InvalidSecurityToken.MismatchWithAccessKey", 400, "Specified SecurityToken mismatch with the AccessKey.", alibabaSTSDoc},
	{"MissingSecurityToken", 400, "SecurityToken is mandatory for this action.", alibabaSTSDoc},
}

// Alibaba emulates the Alibaba Cloud MQTT (onsmqtt) OpenAPI: one RPC
// endpoint at "/" that dispatches on Action, with parameters from the query
// string or the form body. It verifies the request signature (and the
// SecurityToken of the STS AccessKey), refuses stale timestamps and reused
// nonces, checks ClientIds (GroupID@@@DeviceID, at most 64 characters, a
// documented Group ID) and ApplyToken's rules (Actions R, W or R,W; at most
// 100 sorted Resources; ExpireTime at least 60 s ahead, cut to 30 days),
// and keeps the device credentials and tokens of AlibabaInstanceID in
// memory. Tokens expire at their ExpireTime on the emulator clock. Errors
// are the documented Code/Message/RequestId/HostId bodies with their
// documented HTTP status (Errors).
//
// Logins counts ApplyToken and RegisterDeviceCredential successes,
// Refreshes counts RefreshDeviceCredential successes.
type Alibaba struct {
	Faults
	Counters
	cfg *config

	registers atomic.Int64
	calls     sync.Map // action → *atomic.Int64

	mu     sync.Mutex
	nonces map[string]time.Time // nonce → when it was used
	creds  map[string]alibabaCredential
	tokens map[string]alibabaToken
	quota  int // device credentials allowed per instance; 0 = no limit
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

func newAlibaba(cfg *config) *Alibaba {
	return &Alibaba{
		cfg:    cfg,
		nonces: map[string]time.Time{},
		creds:  map[string]alibabaCredential{},
		tokens: map[string]alibabaToken{},
	}
}

func (e *Alibaba) register(mux *http.ServeMux) {
	pe := platformErrors{failBody: alibabaInternalBody, answer: func(w http.ResponseWriter, code string) { alibabaFail(w, code) }}
	mux.Handle("/{$}", guard(&e.Faults, &e.Counters, pe, http.HandlerFunc(e.serve)))
}

// SetCredentialQuota limits the instance to n device credentials (0: no
// limit); a RegisterDeviceCredential beyond it is answered with
// DeviceCredentialNumExceed.
func (e *Alibaba) SetCredentialQuota(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.quota = n
}

// Errors returns the errors the emulator answers, ErrorNext included, with
// their documented HTTP status; an unknown code is answered with HTTP 400.
func (e *Alibaba) Errors() []DocumentedError {
	return append([]DocumentedError(nil), alibabaErrorList...)
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
		alibabaFail(w, "UnsupportedHTTPMethod")
		return
	}
	if err := r.ParseForm(); err != nil {
		alibabaFail(w, "MissingParameter")
		return
	}
	p := r.Form
	if code := e.authenticate(r.Method, p); code != "" {
		alibabaFail(w, code)
		return
	}
	action := p.Get("Action")
	c, _ := e.calls.LoadOrStore(action, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	h, ok := map[string]func(url.Values) (any, string){
		"RegisterDeviceCredential":   e.registerCredential,
		"GetDeviceCredential":        e.getCredential,
		"RefreshDeviceCredential":    e.refreshCredential,
		"UnRegisterDeviceCredential": e.unregisterCredential,
		"ApplyToken":                 e.applyToken,
		"QueryToken":                 e.queryToken,
		"RevokeToken":                e.revokeToken,
	}[action]
	if !ok {
		alibabaFail(w, "ApiNotSupport")
		return
	}
	if p.Get("InstanceId") != AlibabaInstanceID {
		alibabaFail(w, "InstancePermissionCheckFailed")
		return
	}
	out, code := h(p)
	if code != "" {
		alibabaFail(w, code)
		return
	}
	alibabaWrite(w, http.StatusOK, out)
}

// authenticate checks the common parameters, the AccessKey (and the STS
// SecurityToken of an STS AccessKey), the signature, the timestamp and the
// nonce, returning the error code to answer with, if any.
func (e *Alibaba) authenticate(method string, p url.Values) string {
	for _, name := range []string{"AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Action", "Version"} {
		if p.Get(name) == "" {
			return "MissingParameter"
		}
	}
	if p.Get("SignatureMethod") != alisign.Method || p.Get("SignatureVersion") != alisign.Version {
		return "InvalidSignatureMethod"
	}
	secret := ""
	switch p.Get("AccessKeyId") {
	case AlibabaAccessKeyID:
		secret = AlibabaAccessKeySecret
	case AlibabaSTSAccessKeyID:
		secret = AlibabaSTSAccessKeySecret
	default:
		return "InvalidAccessKeyId.NotFound"
	}
	if !alisign.Verify(method, p, secret) {
		return "SignatureDoesNotMatch"
	}
	if secret == AlibabaSTSAccessKeySecret {
		switch tok := p.Get("SecurityToken"); {
		case tok == "":
			return "MissingSecurityToken"
		case tok != AlibabaSTSSecurityToken:
			return "InvalidSecurityToken.MismatchWithAccessKey"
		}
	}
	ts, err := time.Parse(alisign.TimeFormat, p.Get("Timestamp"))
	if err != nil {
		return "InvalidTimeStamp.Format"
	}
	now := e.cfg.clock.Now()
	if d := now.Sub(ts); d > alibabaMaxSkew || d < -alibabaMaxSkew {
		return "InvalidTimeStamp.Expired"
	}
	if p.Get("Version") != alibabaAPIVersion {
		return "InvalidVersion"
	}
	if f := p.Get("Format"); f != "" && !strings.EqualFold(f, "JSON") {
		return "InvalidParameter.Format"
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
		return "SignatureNonceUsed"
	}
	e.nonces[nonce] = now
	return ""
}

func (e *Alibaba) registerCredential(p url.Values) (any, string) {
	id := p.Get("ClientId")
	if !alibabaValidClientID(id) {
		return nil, "ParameterCheckFailed"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.creds[id]; ok {
		return nil, "DeviceCredentialExsit"
	}
	if e.quota > 0 && len(e.creds) >= e.quota {
		return nil, "DeviceCredentialNumExceed"
	}
	now := e.cfg.clock.Now().UnixMilli()
	c := alibabaCredential{ClientID: id, InstanceID: AlibabaInstanceID, KeyID: "DC." + alibabaRandom(),
		Secret: "DC." + alibabaRandom(), CreateTime: now, UpdateTime: now}
	e.creds[id] = c
	e.registers.Add(1)
	e.logins.Add(1)
	return map[string]any{"DeviceCredential": c}, ""
}

func (e *Alibaba) getCredential(p url.Values) (any, string) {
	if !alibabaValidClientID(p.Get("ClientId")) {
		return nil, "ParameterCheckFailed"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.creds[p.Get("ClientId")]
	if !ok {
		return nil, "DeviceCredentialNotFound"
	}
	return map[string]any{"DeviceCredential": c}, ""
}

func (e *Alibaba) refreshCredential(p url.Values) (any, string) {
	if !alibabaValidClientID(p.Get("ClientId")) {
		return nil, "ParameterCheckFailed"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.creds[p.Get("ClientId")]
	if !ok {
		return nil, "DeviceCredentialNotFound"
	}
	c.Secret = "DC." + alibabaRandom()
	c.UpdateTime = e.cfg.clock.Now().UnixMilli()
	e.creds[c.ClientID] = c
	e.refreshes.Add(1)
	return map[string]any{"DeviceCredential": c}, ""
}

func (e *Alibaba) unregisterCredential(p url.Values) (any, string) {
	if !alibabaValidClientID(p.Get("ClientId")) {
		return nil, "ParameterCheckFailed"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id := p.Get("ClientId")
	if _, ok := e.creds[id]; !ok {
		return nil, "DeviceCredentialNotFound"
	}
	delete(e.creds, id)
	return map[string]any{}, ""
}

// applyToken answers ApplyToken as documented: Actions R, W or R,W;
// Resources comma-separated, sorted and at most 100; ExpireTime in
// milliseconds at least 60 s ahead, a later one than 30 days silently cut
// to 30 days.
func (e *Alibaba) applyToken(p url.Values) (any, string) {
	actions := p.Get("Actions")
	if actions != "R" && actions != "W" && actions != "R,W" {
		return nil, "InvalidParameter.Actions"
	}
	resources := strings.Split(p.Get("Resources"), ",")
	for _, r := range resources {
		if strings.TrimSpace(r) == "" {
			return nil, "InvalidParameter.Resources"
		}
	}
	if len(resources) > alibabaMaxResources || !sort.StringsAreSorted(resources) {
		return nil, "InvalidParameter.Resources"
	}
	ms, err := strconv.ParseInt(p.Get("ExpireTime"), 10, 64)
	now := e.cfg.clock.Now()
	if err != nil || time.UnixMilli(ms).Before(now.Add(alibabaMinTokenLife)) {
		return nil, "InvalidParameter.ExpireTime"
	}
	expire := time.UnixMilli(ms)
	if limit := now.Add(alibabaMaxTokenLife); expire.After(limit) {
		expire = limit
	}
	tok := "LzMT+XLFl5s/" + alibabaRandom() + "=="
	e.mu.Lock()
	e.tokens[tok] = alibabaToken{actions: actions, resources: resources, expire: expire}
	e.mu.Unlock()
	e.logins.Add(1)
	return map[string]any{"Token": tok}, ""
}

// TokenExpiry returns when the platform ends token (the zero time for a
// token it never issued), after the 30-day cut.
func (e *Alibaba) TokenExpiry(token string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokens[token].expire
}

func (e *Alibaba) queryToken(p url.Values) (any, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[p.Get("Token")]
	live := ok && !t.revoked && e.cfg.clock.Now().Before(t.expire)
	if ok && !live {
		e.rejected.Add(1)
	}
	return map[string]any{"TokenStatus": live}, ""
}

func (e *Alibaba) revokeToken(p url.Values) (any, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tok := p.Get("Token")
	t, ok := e.tokens[tok]
	if !ok {
		return nil, "InvalidParameter.Token"
	}
	t.revoked = true
	e.tokens[tok] = t
	return map[string]any{}, ""
}

// alibabaGroupID is the documented Group ID: GID_ or GID-, then letters,
// digits, - and _, 7 to 64 characters in all ("CreateGroupId - 创建 Group ID").
var alibabaGroupID = regexp.MustCompile(`^GID[_-][A-Za-z0-9_-]{3,60}$`)

// alibabaDeviceID is a Device ID: printable ASCII without spaces, MQTT
// wildcards or the topic separator.
var alibabaDeviceID = regexp.MustCompile(`^[!-~]+$`)

// alibabaValidClientID accepts the documented GroupID@@@DeviceID form of at
// most 64 characters.
func alibabaValidClientID(id string) bool {
	group, device, ok := strings.Cut(id, "@@@")
	return ok && len(id) <= 64 && alibabaGroupID.MatchString(group) && alibabaDeviceID.MatchString(device) &&
		!strings.ContainsAny(device, "/+#") && !strings.Contains(device, "@@@")
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

// alibabaFail answers code with its documented HTTP status and body:
// Code, Message, RequestId, HostId (and Recommend). A code the emulator does
// not document is answered with HTTP 400.
func alibabaFail(w http.ResponseWriter, code string) {
	d, ok := documented(alibabaErrorList, code)
	if !ok {
		d = DocumentedError{Code: code, Status: http.StatusBadRequest, Message: "The request was refused: " + code + "."}
	}
	alibabaWrite(w, d.Status, map[string]string{
		"HostId":    alibabaHostID,
		"Code":      code,
		"Message":   d.Message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code),
	})
}

func alibabaRandom() string { return strings.ReplaceAll(alisign.Nonce(), "-", "")[:22] }
