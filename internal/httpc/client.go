// Package httpc is the HTTP plumbing every provider shares: one http.Client
// per provider that refuses credential-carrying redirects, bounded bodies, JSON decoding that turns every surprise into
// iotauth.ErrMalformedResponse, and errors that never carry a URL query or a
// body (where secrets and tokens travel).
package httpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
)

// MaxBody is the largest response body a provider reads: 10 MiB. A larger
// one is an ErrMalformedResponse, never an unbounded read.
const MaxBody = 10 << 20

// DefaultTimeout bounds one call when the caller's context has no deadline
// and the user gave no http.Client of their own.
const DefaultTimeout = 30 * time.Second

// Client makes a provider's calls to its platform.
type Client struct {
	Platform string
	hc       *http.Client
	hidden   *[]string // forms of the secrets scrubbed from platforms' messages, behind a pointer so that fmt does not print them
}

// New returns a Client for platform over a copy of hc, or over a client
// with DefaultTimeout when hc is nil. The copy refuses the redirects that
// could carry a credential elsewhere (see guard); hc is not modified.
// secrets are the credentials the calls carry: a platform that echoes one
// back in an error message (a signature's "string to sign") gets it
// replaced by [REDACTED] in the error.
func New(platform string, hc *http.Client, secrets ...string) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	hidden := hiddenForms(secrets)
	return &Client{Platform: platform, hc: guard(hc), hidden: &hidden}
}

// HTTPClient returns the http.Client calls go through.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Request is one call to a platform.
type Request struct {
	Op     string // names the call in errors, such as "login"
	Method string
	URL    string
	Query  url.Values
	Form   url.Values // sent as application/x-www-form-urlencoded
	JSON   any        // sent as application/json
	Header http.Header
}

// Response is a platform's answer with its body read in full.
type Response struct {
	Op     string
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req and reads the answer. It fails only when no complete answer
// arrived: a network failure is an ErrServer, a body over MaxBody an
// ErrMalformedResponse, and a cancelled context its own error. HTTP error
// statuses are returned as a Response for the provider to map.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	hr, err := build(ctx, req)
	if err != nil {
		return nil, &iotauth.Error{Platform: c.Platform, Op: req.Op, Kind: iotauth.ErrBadRequest, Err: err}
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		return nil, c.transportError(ctx, req.Op, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, req.Op, err)
	}
	out := &Response{Op: req.Op, Status: res.StatusCode, Header: res.Header, Body: body}
	if len(body) > MaxBody {
		return nil, c.Malformed(out, "response body larger than 10 MiB")
	}
	return out, nil
}

// build turns req into an *http.Request: Query is added to the URL's own
// query, Form or JSON becomes the body (not for GET, HEAD or OPTIONS), and
// Accept asks for JSON. An error names no URL: it may hold signed parameters.
func build(ctx context.Context, req Request) (*http.Request, error) {
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, errors.New("request URL does not parse")
	}
	if len(req.Query) > 0 {
		if u.RawQuery == "" {
			u.RawQuery = req.Query.Encode()
		} else {
			u.RawQuery += "&" + req.Query.Encode()
		}
	}
	var body io.Reader
	contentType := ""
	if method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions {
		switch {
		case req.Form != nil:
			body, contentType = strings.NewReader(req.Form.Encode()), "application/x-www-form-urlencoded"
		case req.JSON != nil:
			b, err := jsonBody(req.JSON)
			if err != nil {
				return nil, err
			}
			body, contentType = bytes.NewReader(b), "application/json"
		}
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, errors.New("request cannot be built")
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	hr.Header.Set("Accept", "application/json")
	return hr, nil
}

// jsonBody encodes v, which is sent as it is when already encoded.
func jsonBody(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	case json.RawMessage:
		return b, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errors.New("request body does not encode as JSON")
	}
	return b, nil
}

// transportError reports a call that got no answer. The URL, which may hold
// signed query parameters, is dropped from the cause.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("iotauth: %s %s: %w", c.Platform, op, ctxErr)
	}
	if re := c.asRedirect(op, err); re != nil {
		return re
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &iotauth.Error{Platform: c.Platform, Op: op, Kind: iotauth.ErrServer, Err: err}
}

// Fail builds the error for a platform's refusal. The platform's code,
// message and request id are scrubbed of the client's secrets.
func (c *Client) Fail(res *Response, kind error, code, message, requestID string) *iotauth.Error {
	return &iotauth.Error{Platform: c.Platform, Op: res.Op, HTTPStatus: res.Status, Code: c.scrub(code),
		Message: c.scrub(message), RequestID: c.scrub(requestID), Kind: kind}
}

// Malformed builds the ErrMalformedResponse for an answer that is not what
// the platform documents. why must not quote the body.
func (c *Client) Malformed(res *Response, why string) *iotauth.Error {
	return &iotauth.Error{Platform: c.Platform, Op: res.Op, HTTPStatus: res.Status,
		Message: why, Kind: iotauth.ErrMalformedResponse}
}

// DecodeJSON decodes the body into v. An empty body, an HTML page or
// anything that is not one JSON value of v's shape is an ErrMalformedResponse
// that names the problem without quoting the body.
func (c *Client) DecodeJSON(res *Response, v any) error {
	if why := notJSON(res); why != "" {
		return c.Malformed(res, why)
	}
	dec := newDecoder(res.Body)
	if err := dec.Decode(v); err != nil {
		return c.Malformed(res, "invalid JSON: "+describeJSONError(err))
	}
	if dec.More() {
		return c.Malformed(res, "invalid JSON: data after the top-level value")
	}
	return nil
}

// notJSON says why a body cannot be JSON, or "" when it may be.
func notJSON(res *Response) string {
	b := bytes.TrimSpace(res.Body)
	if len(b) == 0 {
		return "empty body"
	}
	ct := strings.ToLower(res.Header.Get("Content-Type"))
	if b[0] == '<' || strings.Contains(ct, "text/html") {
		return fmt.Sprintf("HTML page instead of JSON (Content-Type %q)", res.Header.Get("Content-Type"))
	}
	return ""
}
