package iotauthtest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults makes a platform misbehave on demand, with the same vocabulary on
// every platform. Each XxxNext(n) applies to the next n requests the
// platform receives (resets first, then failures, errors, malformed, HTML
// and huge answers); SetLatency applies to every request until cleared.
type Faults struct {
	mu        sync.Mutex
	fail      int
	status    int
	reset     int
	codes     []string
	malformed int
	html      int
	huge      int
	latency   time.Duration
}

// ErrorNext answers the next n requests with the platform's error code,
// with the HTTP status and body the platform documents for it (see each
// platform's Errors): OceanConnect {"error_code","error_desc"},
// MXCHIP a meta.code envelope, Cloud Studio an Exception with that
// FaultCode, Alibaba a Code/Message/RequestId/HostId body. A code the
// platform does not document is answered the way the platform answers an
// unexpected failure, which is how tests send an unknown code.
func (f *Faults) ErrorNext(n int, code string) {
	f.set(func() {
		for range n {
			f.codes = append(f.codes, code)
		}
	})
}

// FailNext answers the next n requests with HTTP status (a 5xx) and the
// platform's generic error body.
func (f *Faults) FailNext(n, status int) { f.set(func() { f.fail, f.status = n, status }) }

// ResetNext closes the connection of the next n requests without an answer.
func (f *Faults) ResetNext(n int) { f.set(func() { f.reset = n }) }

// MalformedNext answers the next n requests with truncated JSON.
func (f *Faults) MalformedNext(n int) { f.set(func() { f.malformed = n }) }

// HTMLNext answers the next n requests with an HTML error page, as a
// gateway in front of a platform does.
func (f *Faults) HTMLNext(n int) { f.set(func() { f.html = n }) }

// HugeNext answers the next n requests with a JSON body over 10 MiB.
func (f *Faults) HugeNext(n int) { f.set(func() { f.huge = n }) }

// SetLatency delays every answer by d (0 to stop).
func (f *Faults) SetLatency(d time.Duration) { f.set(func() { f.latency = d }) }

// Clear removes every fault.
func (f *Faults) Clear() {
	f.set(func() { f.fail, f.reset, f.codes, f.malformed, f.html, f.huge, f.latency = 0, 0, nil, 0, 0, 0, 0 })
}

func (f *Faults) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

type fault int

const (
	faultNone fault = iota
	faultFail
	faultError
	faultReset
	faultMalformed
	faultHTML
	faultHuge
)

// take consumes the next pending fault, if any, with its status or code.
func (f *Faults) take() (fault, int, string, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.reset > 0:
		f.reset--
		return faultReset, 0, "", f.latency
	case f.fail > 0:
		f.fail--
		return faultFail, f.status, "", f.latency
	case len(f.codes) > 0:
		code := f.codes[0]
		f.codes = f.codes[1:]
		return faultError, 0, code, f.latency
	case f.malformed > 0:
		f.malformed--
		return faultMalformed, 0, "", f.latency
	case f.html > 0:
		f.html--
		return faultHTML, 0, "", f.latency
	case f.huge > 0:
		f.huge--
		return faultHuge, 0, "", f.latency
	}
	return faultNone, 0, "", f.latency
}

// platformErrors is how a platform answers failures: failBody is its body
// for an injected 5xx, and answer writes its documented error for a code.
type platformErrors struct {
	failBody string
	answer   func(w http.ResponseWriter, code string)
}

// guard counts each request in c and applies f's pending faults before next
// handles it, answering them the platform's way (pe).
func guard(f *Faults, c *Counters, pe platformErrors, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		kind, status, code, latency := f.take()
		if latency > 0 {
			// Read the body first: until it is read, the server cannot
			// notice that the client went away, and a closing server
			// would wait out the whole delay.
			body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
			if err != nil {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch kind {
		case faultNone:
			next.ServeHTTP(w, r)
		case faultFail:
			writeRaw(w, status, "application/json", pe.failBody)
		case faultError:
			pe.answer(w, code)
		case faultReset:
			resetConn(w)
		case faultMalformed:
			writeRaw(w, http.StatusOK, "application/json", `{"accessToken": "trunc`)
		case faultHTML:
			writeRaw(w, http.StatusBadGateway, "text/html",
				"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>")
		case faultHuge:
			writeHuge(w)
		}
	})
}

func writeRaw(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeHuge streams a syntactically valid JSON object of 11 MiB.
func writeHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString(`{"padding":"`)
	chunk := strings.Repeat("a", 64<<10)
	for i := 0; i < 11*16; i++ {
		if _, err := bw.WriteString(chunk); err != nil {
			return
		}
	}
	_, _ = bw.WriteString(`"}`)
	_ = bw.Flush()
}

// resetConn drops the connection without an answer, with a TCP reset
// where the connection allows it.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// Counters counts what a platform was asked to do.
type Counters struct {
	logins, refreshes, rejected, requests atomic.Int64
}

// Logins is the number of successful logins (token issues, creations).
func (c *Counters) Logins() int64 { return c.logins.Load() }

// Refreshes is the number of successful token refreshes.
func (c *Counters) Refreshes() int64 { return c.refreshes.Load() }

// Rejected is the number of requests refused for a bad or stale token.
func (c *Counters) Rejected() int64 { return c.rejected.Load() }

// Requests is the number of requests received, faults included.
func (c *Counters) Requests() int64 { return c.requests.Load() }

// DocumentedError is one error a platform's documents define: its code, the
// HTTP status and message the platform answers it with, and the document
// that says so. Each emulator lists its own (Errors) and answers ErrorNext
// with them.
type DocumentedError struct {
	Code    string
	Status  int
	Message string
	Doc     string
}

// documented finds code in errs.
func documented(errs []DocumentedError, code string) (DocumentedError, bool) {
	for _, e := range errs {
		if e.Code == code {
			return e, true
		}
	}
	return DocumentedError{}, false
}
