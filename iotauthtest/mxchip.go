package iotauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials and ids the MXCHIP emulator accepts.
const (
	// MXCHIPClientID is the AccessKey ID of the emulated account.
	MXCHIPClientID = "mxchip-test-access-key-id"
	// MXCHIPClientSecret is the AccessKey Secret of the emulated account.
	MXCHIPClientSecret = "mxchip-test-access-key-secret"
	// MXCHIPAppID is an application registered on the emulated account,
	// for which MQTT clients can be created.
	MXCHIPAppID = "mxchip-test-app"
)

// mxchipDefaultTTL is the documented token lifetime: 604800 s, one week.
const mxchipDefaultTTL = 604800 * time.Second

// MXCHIP codes and the bodies the emulator answers with. The platform
// answers business errors with HTTP 200 and the code in meta.code.
const (
	mxchipOK           = 0
	mxchipBadParams    = 10000
	mxchipInternal     = 10050
	mxchipTokenExpired = 10100
	mxchipTokenError   = 10101

	mxchipInternalBody = `{"meta":{"message":"internal error","code":10050},"data":{}}`
)

// mxchipDoc is the document the emulated MXCHIP follows.
const mxchipDoc = "MXCHIP, v3文档 v3-open-api"

// mxchipErrors are the documented meta.code values, all answered with
// HTTP 200 in the envelope.
var mxchipErrors = []DocumentedError{
	{"10000", http.StatusOK, "参数错误", mxchipDoc + ", 错误码 (every call)"},
	{"10050", http.StatusOK, "内部错误", mxchipDoc + ", 错误码 (mqtt/client, mqtt/permission, product/ids)"},
	{"10100", http.StatusOK, "token is expired", mxchipDoc + ", 错误码 10100 token过期"},
	{"10101", http.StatusOK, "token is error", mxchipDoc + ", 错误码 10101 token错误"},
}

// MXCHIPProduct is a product of the emulated account.
type MXCHIPProduct struct {
	ID   string `json:"productid"`
	Name string `json:"pname"`
}

// MXCHIPClient is an MQTT client created on the emulated account.
type MXCHIPClient struct {
	AppID     string `json:"-"`
	LoginName string `json:"loginname"`
	SSLPort   int    `json:"sslport"`
	ClientID  string `json:"clientid"`
	Endpoint  string `json:"endpoint"`
	MQTTPort  int    `json:"mqttport"`
	Password  string `json:"password"`
	MQTTHost  string `json:"mqtthost"`
}

// MXCHIP emulates the MXCHIP (FogCloud) v3 open API: client-credentials
// tokens (several valid at once, each for the token TTL), the
// {"meta":{"message","code"},"data":...} envelope with business errors
// answered as HTTP 200, and the MQTT client, permission and product
// endpoints over in-memory state.
type MXCHIP struct {
	Faults
	Counters
	cfg *config

	mu       sync.Mutex
	ttl      time.Duration        // 0: the server's TTL, else the documented one
	tokens   map[string]time.Time // access token → expiry
	clients  map[string]*MXCHIPClient
	perms    map[[2]string]bool // {client id, device id}
	products []MXCHIPProduct
	broker   mxchipBroker // where created MQTT clients connect, when set
}

func newMXCHIP(cfg *config) *MXCHIP {
	return &MXCHIP{
		cfg:     cfg,
		tokens:  map[string]time.Time{},
		clients: map[string]*MXCHIPClient{},
		perms:   map[[2]string]bool{},
		products: []MXCHIPProduct{
			{ID: "f164aaf856f011e8a0a800163e0e2e98", Name: "test101702"},
			{ID: "b67741acb2f011e8a0a800163e0e2e98", Name: "test101701"},
		},
	}
}

func (e *MXCHIP) register(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, guard(&e.Faults, &e.Counters, platformErrors{failBody: mxchipInternalBody, answer: mxchipErrorAnswer}, h))
	}
	handle("POST /v3/open_api/token/", e.token)
	handle("POST /v3/open_api/mqtt/client/", e.authed(e.createClient))
	handle("POST /v3/open_api/mqtt/permission/", e.authed(e.grant))
	handle("DELETE /v3/open_api/mqtt/permission/", e.authed(e.revoke))
	handle("GET /v3/open_api/product/ids/", e.authed(e.productIDs))
}

// SetTokenTTL sets the lifetime of the tokens issued from now on.
func (e *MXCHIP) SetTokenTTL(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ttl = d
}

// ExpireTokens makes every token issued so far expired: requests that carry
// one are answered with code 10100.
func (e *MXCHIP) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.clock.Now()
	for tok, exp := range e.tokens {
		if exp.After(now) {
			e.tokens[tok] = now
		}
	}
}

// RevokeTokens forgets every token issued so far: requests that carry one
// are answered with code 10101, as for a token the platform never issued.
func (e *MXCHIP) RevokeTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}

// Errors returns the platform's documented codes, which ErrorNext answers
// with HTTP 200 and the envelope; an unknown code is answered the same way.
func (e *MXCHIP) Errors() []DocumentedError { return append([]DocumentedError(nil), mxchipErrors...) }

// SetProducts replaces the account's products.
func (e *MXCHIP) SetProducts(ps ...MXCHIPProduct) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.products = append([]MXCHIPProduct(nil), ps...)
}

// Clients returns the MQTT clients created so far, in no particular order.
func (e *MXCHIP) Clients() []MXCHIPClient {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]MXCHIPClient, 0, len(e.clients))
	for _, c := range e.clients {
		out = append(out, *c)
	}
	return out
}

// HasPermission reports whether the MQTT client may reach the device.
func (e *MXCHIP) HasPermission(clientID, deviceID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.perms[[2]string{clientID, deviceID}]
}

// token issues an access token for the client credentials.
func (e *MXCHIP) token(w http.ResponseWriter, r *http.Request) {
	form, ok := mxchipParams(w, r)
	if !ok {
		return
	}
	switch {
	case form.Get("grant_type") != "client_credentials":
		mxchipWrite(w, mxchipBadParams, "grant_type must be client_credentials", struct{}{})
		return
	case form.Get("client_id") == "" || form.Get("client_secret") == "":
		mxchipWrite(w, mxchipBadParams, "client_id and client_secret are required", struct{}{})
		return
	case form.Get("client_id") != MXCHIPClientID || form.Get("client_secret") != MXCHIPClientSecret:
		mxchipWrite(w, mxchipBadParams, "client_id or client_secret error", struct{}{})
		return
	}
	tok := mxchipRandomHex(20)
	e.mu.Lock()
	ttl := e.ttl
	if ttl == 0 {
		ttl = e.cfg.ttl
	}
	if ttl == 0 {
		ttl = mxchipDefaultTTL
	}
	ttl = max(ttl.Round(time.Second), time.Second)
	e.tokens[tok] = e.cfg.clock.Now().Add(ttl)
	e.mu.Unlock()
	e.logins.Add(1)
	mxchipWrite(w, mxchipOK, "token info", map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(ttl / time.Second),
		"scope":        "read write groups",
	})
}

// authed answers 10101 for a missing or unknown token and 10100 for an
// expired one, both with HTTP 200 as the platform does; else it calls h
// with the request's parameters (query and form-encoded body merged).
func (e *MXCHIP) authed(h func(w http.ResponseWriter, params url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		e.mu.Lock()
		exp, known := e.tokens[strings.TrimSpace(tok)]
		now := e.cfg.clock.Now()
		e.mu.Unlock()
		switch {
		case !strings.EqualFold(scheme, "Bearer") || !known:
			e.rejected.Add(1)
			mxchipWrite(w, mxchipTokenError, "token is error", struct{}{})
			return
		case !now.Before(exp):
			e.rejected.Add(1)
			mxchipWrite(w, mxchipTokenExpired, "token is expired", struct{}{})
			return
		}
		params, ok := mxchipParams(w, r)
		if !ok {
			return
		}
		h(w, params)
	}
}

// createClient creates an MQTT client for a registered application.
func (e *MXCHIP) createClient(w http.ResponseWriter, p url.Values) {
	app := p.Get("app_id")
	switch {
	case app == "":
		mxchipWrite(w, mxchipBadParams, "app_id is required", struct{}{})
		return
	case app != MXCHIPAppID:
		mxchipWrite(w, mxchipBadParams, "app_id not found", struct{}{})
		return
	}
	sum := sha256.Sum256([]byte(app))
	instance := hex.EncodeToString(sum[:12])
	c := &MXCHIPClient{
		AppID:     app,
		LoginName: instance + "/" + mxchipRandomHex(8),
		ClientID:  mxchipRandomHex(16),
		Password:  mxchipRandomHex(16),
		Endpoint:  instance,
		MQTTHost:  instance + ".mqtt.iot.gz.baidubce.com",
		MQTTPort:  1883,
		SSLPort:   1884,
	}
	e.mu.Lock()
	e.broker.apply(c)
	e.clients[c.ClientID] = c
	e.mu.Unlock()
	mxchipWrite(w, mxchipOK, "mqtt info", c)
}

// grant lets an MQTT client reach a device.
func (e *MXCHIP) grant(w http.ResponseWriter, p url.Values) {
	key, ok := e.permissionKey(w, p)
	if !ok {
		return
	}
	e.mu.Lock()
	e.perms[key] = true
	e.mu.Unlock()
	mxchipWrite(w, mxchipOK, "create permission ok", map[string]string{"client_id": key[0], "device_id": key[1]})
}

// revoke removes a permission granted before.
func (e *MXCHIP) revoke(w http.ResponseWriter, p url.Values) {
	key, ok := e.permissionKey(w, p)
	if !ok {
		return
	}
	e.mu.Lock()
	had := e.perms[key]
	delete(e.perms, key)
	e.mu.Unlock()
	if !had {
		mxchipWrite(w, mxchipBadParams, "permission not found", struct{}{})
		return
	}
	mxchipWrite(w, mxchipOK, "delete permission ok", map[string]string{"client_id": key[0], "device_id": key[1]})
}

// permissionKey checks a permission call's client_id and device_id.
func (e *MXCHIP) permissionKey(w http.ResponseWriter, p url.Values) ([2]string, bool) {
	client, device := p.Get("client_id"), p.Get("device_id")
	if client == "" || device == "" {
		mxchipWrite(w, mxchipBadParams, "client_id and device_id are required", struct{}{})
		return [2]string{}, false
	}
	e.mu.Lock()
	_, known := e.clients[client]
	e.mu.Unlock()
	if !known {
		mxchipWrite(w, mxchipBadParams, "client_id not found", struct{}{})
		return [2]string{}, false
	}
	return [2]string{client, device}, true
}

// productIDs lists the account's products.
func (e *MXCHIP) productIDs(w http.ResponseWriter, _ url.Values) {
	e.mu.Lock()
	ps := append([]MXCHIPProduct{}, e.products...)
	e.mu.Unlock()
	mxchipWrite(w, mxchipOK, "product id list", ps)
}

// mxchipParams merges the query and a form-encoded body, for every method
// (net/http parses DELETE bodies for nobody). A body of another type is
// answered with 10000.
func mxchipParams(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	params := r.URL.Query()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		mxchipWrite(w, mxchipBadParams, "unreadable body", struct{}{})
		return nil, false
	}
	if len(body) == 0 {
		return params, true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form, err := url.ParseQuery(string(body))
	if mt != "application/x-www-form-urlencoded" || err != nil {
		mxchipWrite(w, mxchipBadParams, "body must be application/x-www-form-urlencoded", struct{}{})
		return nil, false
	}
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	return params, true
}

// mxchipWrite answers HTTP 200 with the platform's envelope.
func mxchipWrite(w http.ResponseWriter, code int, message string, data any) {
	b, err := json.Marshal(map[string]any{
		"meta": map[string]any{"message": message, "code": code},
		"data": data,
	})
	if err != nil {
		writeRaw(w, http.StatusOK, "application/json", mxchipInternalBody)
		return
	}
	writeRaw(w, http.StatusOK, "application/json", string(b))
}

// mxchipErrorAnswer answers code in the envelope with HTTP 200, as the
// platform answers its business errors.
func mxchipErrorAnswer(w http.ResponseWriter, code string) {
	msg := "emulated undocumented failure"
	if d, ok := documented(mxchipErrors, code); ok {
		msg = d.Message
	}
	var c any = code
	if _, err := strconv.Atoi(code); err == nil {
		c = json.Number(code)
	}
	b, _ := json.Marshal(map[string]any{"meta": map[string]any{"message": msg, "code": c}, "data": struct{}{}})
	writeRaw(w, http.StatusOK, "application/json", string(b))
}

// mxchipRandomHex returns n random bytes in hex.
func mxchipRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
