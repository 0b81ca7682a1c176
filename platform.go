package iotauth

import "net/http"

// Platform describes where and how a source's credentials are used. A
// provider returns it from Describe; a Cache returns its source's; a wrapper
// around a source forwards it. The zero value describes a custom source:
// named "custom", any https or loopback origin, "Authorization: <type>
// <token>", a rejection is HTTP 401, and no store key.
type Platform struct {
	// Name names the platform in logs, errors and metrics, such as "oceanconnect".
	Name string
	// Origins lists the origins that may receive the credentials, as
	// "scheme://host:port" (the port may be left out for the scheme's
	// default). The Transport sends credentials to no other origin.
	Origins []string
	// Header returns the headers that carry t, for example Authorization
	// and OceanConnect's app_key. The Transport calls it once per token and
	// adds the result to every request, so it must not depend on the
	// request. nil means "Authorization: <type> <token>".
	Header func(t *Token) http.Header
	// Authorize, when set, attaches t to req beyond Header, for what depends
	// on the request (a token in a JSON body). req is the Transport's own
	// copy: Authorize may replace its Body and GetBody, and must not modify
	// the header slices it did not set.
	Authorize func(req *http.Request, t *Token) error
	// Rejected reports whether resp says the token sent with it was
	// rejected. It may read resp.Body but must leave an equivalent unread
	// body in its place. nil means HTTP 401.
	Rejected func(resp *http.Response) bool
	// LastTokenOnly says that the platform keeps only the newest token of a
	// credential valid: issuing one kills the others (OceanConnect). With a
	// Store that announces rotations, the processes of a fleet hold their
	// requests for the moment of a rotation instead of sending them with a
	// token about to be killed.
	LastTokenOnly bool
	// StoreKey names the credential in a Store: the same platform, base URL
	// and account give the same key on every host of a fleet. Build it with
	// StoreKey so that it holds no secret.
	StoreKey string
}

// Describer is implemented by sources that describe their platform. Every
// provider and *Cache implement it; a wrapper around a source should too.
type Describer interface {
	Describe() Platform
}

// Describe returns src's description, or that of a custom source when src
// does not describe itself. Name is never empty.
func Describe(src TokenSource) Platform {
	var p Platform
	if d, ok := src.(Describer); ok {
		p = d.Describe()
	}
	if p.Name == "" {
		p.Name = "custom"
	}
	return p
}

// header returns the headers that carry t on p's platform.
func (p *Platform) header(t *Token) http.Header {
	if p.Header != nil {
		return p.Header(t)
	}
	return http.Header{"Authorization": {t.Type() + " " + t.AccessToken}}
}

// rejected reports whether resp rejects the token it carried.
func (p *Platform) rejected(resp *http.Response) bool {
	if p.Rejected != nil {
		return p.Rejected(resp)
	}
	return resp.StatusCode == http.StatusUnauthorized
}

// Authorize attaches t to req the way src's platform wants (Header, then
// Authorize): for callers that build requests themselves instead of going
// through a Transport. req's header map is modified.
func Authorize(src TokenSource, req *http.Request, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return &Error{Kind: ErrMalformedResponse, Message: "no access token to authorize with"}
	}
	p := Describe(src)
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	for k, v := range p.header(t) {
		req.Header[k] = v
	}
	if p.Authorize != nil {
		return p.Authorize(req, t)
	}
	return nil
}
