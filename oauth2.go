package iotauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// OAuth2Timeout bounds each token an OAuth2 adapter obtains: its callers
// (oauth2.Transport, gRPC's oauth.TokenSource, Google's clients) give no
// context. It equals the Cache's default refresh timeout (WithRefreshTimeout),
// so a caller waiting on a Cache's login gives up when the login itself
// would. For another bound, call the Cache's Token with your own context.
const OAuth2Timeout = 30 * time.Second

// OAuth2 adapts src to golang.org/x/oauth2, for the code that accepts an
// oauth2.TokenSource: oauth2.NewClient and oauth2.Transport, gRPC per-RPC
// credentials (google.golang.org/grpc/credentials/oauth.TokenSource), Google
// and other SDKs. Pass a *Cache, not a bare provider: the adapter makes one
// call to src per token oauth2 asks for, with a context bounded by
// OAuth2Timeout.
//
// The oauth2.Token carries the access token, its type and expiry, but not
// the refresh token (refreshing is src's job, not oauth2's). Only the
// Authorization header travels through oauth2: a platform that wants more
// (OceanConnect's app_key header) needs NewTransport, which also binds the
// credential to the platform's hosts and retries a request whose token was
// rejected. Errors are src's, unchanged, so errors.Is(err,
// ErrInvalidCredentials) still holds. A nil src yields an error, not a panic.
func OAuth2(src TokenSource) oauth2.TokenSource {
	if f, ok := src.(fromOAuth2); ok {
		return f.ts
	}
	return toOAuth2{src}
}

type toOAuth2 struct{ src TokenSource }

func (a toOAuth2) Token() (*oauth2.Token, error) {
	if a.src == nil {
		return nil, errNilSource
	}
	ctx, cancel := context.WithTimeout(context.Background(), OAuth2Timeout)
	defer cancel()
	t, err := a.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	if t == nil || t.AccessToken == "" {
		return nil, &Error{Platform: Describe(a.src).Name, Op: "token", Kind: ErrMalformedResponse,
			Message: "source returned no access token"}
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.Type(), Expiry: t.Expiry}, nil
}

var errNilSource = errors.New("iotauth: nil TokenSource")

// FromOAuth2 adapts an oauth2.TokenSource to iotauth, so that any OAuth2
// credential (a clientcredentials.Config, a Google service account) gets
// what NewCache adds: one call in flight for many callers, refresh ahead of
// expiry, backoff, a Store shared by processes (give it WithStoreKey), and
// NewTransport's host binding and retry of rejected tokens (give it
// WithHosts, as the source declares no host).
//
// oauth2.TokenSource takes no context: Token returns when ctx is done, but
// the call it started runs on until ts returns. The source's platform is
// "oauth2". Failures become an *Error: an *oauth2.RetrieveError keeps the
// server's HTTP status, error code and description (not its body), with
// the kind read from them (invalid_client and invalid_grant are
// ErrInvalidCredentials); other errors are ErrServer, wrapped.
//
// Most oauth2 sources (oauth2.Config.TokenSource, clientcredentials) already
// reuse their token until 10 s before it expires, so a Cache's early refresh
// and its retry after a rejected token get the same token back from them
// until then; pass the source without oauth2.ReuseTokenSource where you can.
func FromOAuth2(ts oauth2.TokenSource) TokenSource {
	if a, ok := ts.(toOAuth2); ok && a.src != nil {
		return a.src
	}
	return fromOAuth2{ts}
}

type fromOAuth2 struct{ ts oauth2.TokenSource }

// Describe names the platform "oauth2"; its other fields are a custom
// source's (see Platform).
func (fromOAuth2) Describe() Platform { return Platform{Name: "oauth2"} }

func (f fromOAuth2) Token(ctx context.Context) (*Token, error) {
	if f.ts == nil {
		return nil, errNilSource
	}
	type result struct {
		t   *oauth2.Token
		err error
	}
	if ctx.Done() == nil {
		t, err := f.ts.Token()
		return fromOAuth2Token(t, err)
	}
	ch := make(chan result, 1)
	go func() {
		t, err := f.ts.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		return fromOAuth2Token(r.t, r.err)
	case <-ctx.Done():
		return nil, &Error{Platform: "oauth2", Op: "token", Kind: ErrServer, Err: ctx.Err()}
	}
}

func fromOAuth2Token(t *oauth2.Token, err error) (*Token, error) {
	if err != nil {
		return nil, fromOAuth2Error(err)
	}
	if t == nil || t.AccessToken == "" {
		return nil, &Error{Platform: "oauth2", Op: "token", Kind: ErrMalformedResponse,
			Message: "oauth2 source returned no access token"}
	}
	return &Token{AccessToken: t.AccessToken, TokenType: t.Type(), RefreshToken: t.RefreshToken,
		Expiry: t.Expiry, IssuedAt: time.Now()}, nil
}

// fromOAuth2Error classifies an oauth2 source's failure.
func fromOAuth2Error(err error) error {
	var ie *Error
	if errors.As(err, &ie) {
		return err
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return &Error{Platform: "oauth2", Op: "token", Kind: ErrServer, Err: err}
	}
	e := &Error{Platform: "oauth2", Op: "token", Code: re.ErrorCode, Message: re.ErrorDescription, Kind: ErrBadRequest}
	if re.Response != nil {
		e.HTTPStatus = re.Response.StatusCode
	}
	switch {
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "invalid_grant" || re.ErrorCode == "unauthorized_client" ||
		e.HTTPStatus == http.StatusUnauthorized:
		e.Kind = ErrInvalidCredentials
	case e.HTTPStatus == http.StatusForbidden || re.ErrorCode == "access_denied":
		e.Kind = ErrForbidden
	case e.HTTPStatus == http.StatusTooManyRequests || re.ErrorCode == "slow_down":
		e.Kind = ErrRateLimited
	case e.HTTPStatus >= 500 || re.ErrorCode == "server_error" || re.ErrorCode == "temporarily_unavailable":
		e.Kind = ErrServer
	case e.HTTPStatus == 0 && re.ErrorCode == "":
		e.Kind = ErrMalformedResponse
	}
	return e
}
