package iotauthtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/iotauth/iotauth/internal/hwsign"
)

// The device the IoTDA emulator knows from the start, registered with a
// secret (AddDevice registers more).
const (
	IoTDADeviceID     = "6543a1b2c3d4e5f6a7b8c9d0_sensor-1"
	IoTDADeviceSecret = "iotauth-device-secret-4b7e"
)

// IoTDAMQTTTolerance is how far from the platform's UTC hour the timestamp
// of a type 1 device login may be. "Device Connection Authentication" says
// the platform checks that it "is consistent with the platform time"; the
// emulator accepts the platform's hour and the hour either side, so that a
// login built at the turn of an hour still connects.
const IoTDAMQTTTolerance = time.Hour

// The documents the emulated IoTDA follows.
const (
	iotdaAPIGDoc   = "Huawei Cloud API Gateway FAQ, Incorrect IAM authentication information"
	iotdaAPIGCodes = "Huawei Cloud API Gateway API Reference, Error Codes"
)

// iotdaErrorList is every error the IoTDA emulator answers ErrorNext with,
// as {"error_code","error_msg","request_id"}.
var iotdaErrorList = []DocumentedError{
	{"APIGW.0301", http.StatusUnauthorized, "Incorrect IAM authentication information: token expires", iotdaAPIGDoc},
	{"APIGW.0308", http.StatusTooManyRequests, "The throttling threshold has been reached: policy user over ratelimit", iotdaAPIGCodes},
	{"IOTDA.000006", http.StatusBadRequest, "Invalid input data.", "Huawei Cloud IoTDA API Reference, Error Codes"},
}

// iotdaFailBody is the body of an injected 5xx.
const iotdaFailBody = `{"error_code":"IOTDA.000001","error_msg":"Internal error."}`

// iotdaMaxSkew is how far X-Sdk-Date may be from the gateway's time (the
// signing guide: 15 minutes).
const iotdaMaxSkew = 15 * time.Minute

// IoTDA emulates the application side of Huawei Cloud IoTDA behind its API
// gateway, and the device logins of its MQTT broker (for
// iotauthtest/mqttbroker):
//
//   - GET /v5/iot/{project_id}/devices lists the registered devices, and
//     POST /v5/iot/{project_id}/devices (JSON product_id, node_id,
//     auth_info.secret) registers one as {product_id}_{node_id}. Each wants
//     "X-Auth-Token: <token>" of a token the IAM emulator issued for the
//     project, or an SDK-HMAC-SHA256 signature of the emulated access key
//     (X-Sdk-Date within 15 minutes, host and every signed header as sent,
//     the body's SHA-256 unless X-Sdk-Content-Sha256 is UNSIGNED-PAYLOAD);
//     anything else is 401 APIGW.0301.
//   - AcceptsMQTTLogin checks a device's CONNECT: client id
//     {device_id}_0_{0|1}_{YYYYMMDDHH}, user name the device id, password the
//     hex HMAC-SHA256 of its secret keyed by the timestamp, and, for type 1,
//     the timestamp within IoTDAMQTTTolerance of the platform's hour.
type IoTDA struct {
	Faults
	Counters
	cfg *config
	iam *IAM

	mu      sync.Mutex
	devices map[string]iotdaDevice
}

type iotdaDevice struct {
	productID, nodeID, secret string
}

func newIoTDA(cfg *config, iam *IAM) *IoTDA {
	return &IoTDA{cfg: cfg, iam: iam, devices: map[string]iotdaDevice{
		IoTDADeviceID: {productID: "6543a1b2c3d4e5f6a7b8c9d0", nodeID: "sensor-1", secret: IoTDADeviceSecret},
	}}
}

func (e *IoTDA) register(mux *http.ServeMux) {
	pe := platformErrors{failBody: iotdaFailBody, answer: func(w http.ResponseWriter, code string) { iotdaError(w, code, "") }}
	h := func(fn http.HandlerFunc) http.Handler { return guard(&e.Faults, &e.Counters, pe, e.authed(fn)) }
	mux.Handle("GET /v5/iot/{project_id}/devices", h(e.listDevices))
	mux.Handle("POST /v5/iot/{project_id}/devices", h(e.addDevice))
}

// Errors returns the errors the emulator answers ErrorNext with, each with
// its documented HTTP status; an unknown code is answered with HTTP 500.
func (e *IoTDA) Errors() []DocumentedError { return append([]DocumentedError(nil), iotdaErrorList...) }

// AddDevice registers a device with a secret, or replaces its secret.
func (e *IoTDA) AddDevice(deviceID, secret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.devices[deviceID] = iotdaDevice{secret: secret}
}

// Now returns the emulator clock's time.
func (e *IoTDA) Now() time.Time { return e.cfg.clock.Now() }

// authed lets through the requests that carry a valid token or signature,
// and counts and refuses the others with 401 APIGW.0301.
func (e *IoTDA) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		why := e.refusal(r)
		if why != "" {
			e.rejected.Add(1)
			iotdaError(w, "APIGW.0301", "Incorrect IAM authentication information: "+why)
			return
		}
		next(w, r)
	}
}

// refusal says why r's credential is refused, or "" when it is accepted.
func (e *IoTDA) refusal(r *http.Request) string {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		if !e.iam.ValidToken(tok) {
			return "token expires or is not valid for this project"
		}
		if r.PathValue("project_id") != IoTDAProjectID {
			return "the token's project is not the project of the request"
		}
		return ""
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "no X-Auth-Token and no Authorization"
	}
	return e.signatureRefusal(r, auth)
}

// signatureForm is an SDK-HMAC-SHA256 Authorization value.
var signatureForm = regexp.MustCompile(`^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([a-z0-9;_.-]+), Signature=([0-9a-f]{64})$`)

// signatureRefusal checks an AK/SK signature the way the gateway does.
func (e *IoTDA) signatureRefusal(r *http.Request, auth string) string {
	m := signatureForm.FindStringSubmatch(auth)
	if m == nil {
		return "Authorization is not an SDK-HMAC-SHA256 signature"
	}
	ak, signed, sig := m[1], strings.Split(m[2], ";"), m[3]
	if ak != IoTDAAccessKey {
		return "the access key does not exist"
	}
	if !sort.StringsAreSorted(signed) || !slices.Contains(signed, "x-sdk-date") {
		return "SignedHeaders must be sorted and include x-sdk-date"
	}
	date := r.Header.Get(hwsign.DateHeader)
	at, err := time.Parse(hwsign.DateFormat, date)
	if err != nil {
		return "X-Sdk-Date is not a date such as 20191115T033655Z"
	}
	if d := e.cfg.clock.Now().Sub(at); d > iotdaMaxSkew || d < -iotdaMaxSkew {
		return "the request time differs from the server's by more than 15 minutes"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return "the body cannot be read"
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	hash := hwsign.HexSHA256(body)
	if h := r.Header.Get(hwsign.ContentHashHeader); h == hwsign.UnsignedPayload {
		hash = h
	} else if h != "" && h != hash {
		return "X-Sdk-Content-Sha256 is not the body's hash"
	}
	want := hwsign.Signature(IoTDASecretKey, date, hwsign.CanonicalRequest(r.Method, r.URL, r.Host, r.Header, signed, hash))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "verify aksk signature fail"
	}
	return ""
}

// listDevices answers GET /v5/iot/{project_id}/devices.
func (e *IoTDA) listDevices(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	ids := make([]string, 0, len(e.devices))
	for id := range e.devices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	devices := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		d := e.devices[id]
		devices = append(devices, map[string]string{"device_id": id, "product_id": d.productID, "node_id": d.nodeID})
	}
	e.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"devices": devices, "page": map[string]int{"count": len(devices)}})
	writeRaw(w, http.StatusOK, "application/json", string(b))
}

// addDevice answers POST /v5/iot/{project_id}/devices.
func (e *IoTDA) addDevice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ProductID string `json:"product_id"`
		NodeID    string `json:"node_id"`
		AuthInfo  *struct {
			Secret string `json:"secret"`
		} `json:"auth_info"`
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" || json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req) != nil ||
		req.ProductID == "" || req.NodeID == "" || req.AuthInfo == nil || req.AuthInfo.Secret == "" {
		iotdaError(w, "IOTDA.000006", "")
		return
	}
	id := req.ProductID + "_" + req.NodeID
	if !iotdaDeviceIDForm.MatchString(id) {
		iotdaError(w, "IOTDA.000006", "")
		return
	}
	e.mu.Lock()
	e.devices[id] = iotdaDevice{productID: req.ProductID, nodeID: req.NodeID, secret: req.AuthInfo.Secret}
	e.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"device_id": id, "product_id": req.ProductID, "node_id": req.NodeID,
		"auth_info": map[string]string{"auth_type": "SECRET", "secret": req.AuthInfo.Secret}})
	writeRaw(w, http.StatusCreated, "application/json", string(b))
}

// iotdaError answers with the gateway's error body for code, its
// documented status and message (message, when not empty, instead); an
// unknown code is answered with HTTP 500.
func iotdaError(w http.ResponseWriter, code, message string) {
	d, ok := documented(iotdaErrorList, code)
	if !ok {
		d = DocumentedError{Code: code, Status: http.StatusInternalServerError, Message: "Emulated undocumented failure."}
	}
	if message == "" {
		message = d.Message
	}
	b, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": message, "request_id": iamRandomID()})
	writeRaw(w, d.Status, "application/json", string(b))
}

// iotdaDeviceIDForm is a device id: letters, digits, "_" and "-", at most
// 128 characters.
var iotdaDeviceIDForm = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// iotdaClientIDForm is a device login's client id: device id, device type
// 0, signature type 0 or 1, and the UTC hour YYYYMMDDHH.
var iotdaClientIDForm = regexp.MustCompile(`^([A-Za-z0-9_-]{1,128})_0_([01])_([0-9]{10})$`)

// IsIoTDAClientID reports whether clientID is shaped like an IoTDA device
// login's ({device_id}_0_{0|1}_{YYYYMMDDHH}).
func IsIoTDAClientID(clientID string) bool { return iotdaClientIDForm.MatchString(clientID) }

// AcceptsMQTTLogin reports whether IoTDA's broker would accept a device's
// CONNECT with this client id, username and password (see IoTDA).
func (e *IoTDA) AcceptsMQTTLogin(clientID, username, password string) bool {
	return e.MQTTRefusal(clientID, username, password) == ""
}

// MQTTRefusal says why IoTDA's broker refuses a device's CONNECT with this
// client id, username and password, or "" when it accepts it.
func (e *IoTDA) MQTTRefusal(clientID, username, password string) string {
	m := iotdaClientIDForm.FindStringSubmatch(clientID)
	if m == nil {
		return "the client id is not {device_id}_0_{0|1}_{YYYYMMDDHH}"
	}
	deviceID, sigType, stamp := m[1], m[2], m[3]
	ts, err := time.Parse("2006010215", stamp)
	if err != nil {
		return "the timestamp is not a UTC hour YYYYMMDDHH"
	}
	if username != deviceID {
		return "the user name is not the device id of the client id"
	}
	if sigType == "1" {
		hour := e.cfg.clock.Now().UTC().Truncate(time.Hour)
		if d := hour.Sub(ts); d > IoTDAMQTTTolerance || d < -IoTDAMQTTTolerance {
			return "the timestamp is not consistent with the platform time"
		}
	}
	e.mu.Lock()
	d, ok := e.devices[deviceID]
	e.mu.Unlock()
	if !ok {
		return "no such device"
	}
	mac := hmac.New(sha256.New, []byte(stamp))
	mac.Write([]byte(d.secret))
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(strings.ToLower(password))) {
		return "the password is not the HMAC-SHA256 of the device secret keyed by the timestamp"
	}
	return ""
}
