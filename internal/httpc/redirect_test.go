package httpc_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
	"github.com/iotauth/iotauth/internal/redirecttest"
)

// upstream answers every call with an empty JSON object.
func upstream(t *testing.T) string {
	return serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
}

func TestDo_RedirectToAnotherOrigin_IsRefusedBeforeAnyByteLeaves(t *testing.T) {
	for _, target := range redirecttest.Targets {
		for _, status := range redirecttest.Statuses {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				t.Run(target.String()+"/"+http.StatusText(status)+"/"+method, func(t *testing.T) {
					f := redirecttest.NewFront(t, upstream(t))
					f.Redirect(status, target, redirecttest.Path("/login"))
					req := httpc.Request{Op: "login", Method: method, URL: f.URL + "/login"}
					if method == http.MethodPost {
						req.Form = url.Values{"secret": {"form-secret-1"}}
					}
					_, err := httpc.New("test", f.Client()).Do(context.Background(), req)
					f.RequireRefused(t, err, target, "form-secret-1")
					var e *iotauth.Error
					require.ErrorAs(t, err, &e)
					assert.Equal(t, status, e.HTTPStatus)
					assert.Equal(t, "login", e.Op)
				})
			}
		}
	}
}

func TestDo_SameOriginRedirect_FollowedOnlyWithoutABody(t *testing.T) {
	for _, status := range redirecttest.Statuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := redirecttest.NewFront(t, upstream(t))
			f.Redirect(status, redirecttest.SameOrigin, redirecttest.Path("/x"))
			c := httpc.New("test", f.Client())

			res, err := c.Do(context.Background(), httpc.Request{Op: "get", Method: http.MethodGet, URL: f.URL + "/x"})
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.Status)
			assert.EqualValues(t, 1, f.Followed())

			_, err = c.Do(context.Background(), httpc.Request{Op: "post", URL: f.URL + "/x", Form: url.Values{"a": {"b"}}})
			require.ErrorIs(t, err, iotauth.ErrRedirect)
			assert.Contains(t, err.Error(), "body")
			assert.EqualValues(t, 1, f.Followed(), "a request with a body is not redirected, even to its own origin")
		})
	}
}

func TestNew_UsersCheckRedirectCannotWeakenTheGuardAndIsNotModified(t *testing.T) {
	f := redirecttest.NewFront(t, upstream(t))
	f.Redirect(http.StatusTemporaryRedirect, redirecttest.ForeignTLS, redirecttest.Path("/login"))
	var asked int
	user := f.Client()
	user.CheckRedirect = func(*http.Request, []*http.Request) error { asked++; return nil } // allows everything
	before := *user

	_, err := httpc.New("test", user).Do(context.Background(), httpc.Request{Op: "login", URL: f.URL + "/login",
		Form: url.Values{"secret": {"form-secret-2"}}})
	f.RequireRefused(t, err, redirecttest.ForeignTLS, "form-secret-2")
	assert.Zero(t, asked, "a refused redirect is not offered to the user's policy")
	assert.Equal(t, before.Transport, user.Transport, "the user's client is not modified")
	assert.NotNil(t, user.CheckRedirect)

	// The user's policy still applies to what the guard allows.
	f.Redirect(http.StatusFound, redirecttest.SameOrigin, redirecttest.Path("/x"))
	user.CheckRedirect = func(*http.Request, []*http.Request) error { asked++; return http.ErrUseLastResponse }
	res, err := httpc.New("test", user).Do(context.Background(), httpc.Request{Op: "get", Method: http.MethodGet, URL: f.URL + "/x"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusFound, res.Status)
	assert.Equal(t, 1, asked)
}

func TestNew_NilTransportOfTheUsersClientStaysNil(t *testing.T) {
	user := &http.Client{}
	httpc.New("test", user)
	assert.Nil(t, user.Transport)
	assert.Nil(t, user.CheckRedirect)
}

func TestOrigin_MakesDefaultPortsExplicitAndIgnoresCase(t *testing.T) {
	for a, b := range map[string]string{
		"https://Example.COM/a":   "https://example.com:443/b?q",
		"http://x/":               "http://x:80",
		"https://[::1]:8743/path": "https://[::1]:8743",
	} {
		ua, _ := url.Parse(a)
		ub, _ := url.Parse(b)
		assert.Equal(t, httpc.Origin(ua), httpc.Origin(ub), a)
	}
	for _, other := range []string{"http://x", "https://x:8443", "https://y", "http://x:443"} {
		ua, _ := url.Parse("https://x")
		ub, _ := url.Parse(other)
		assert.NotEqual(t, httpc.Origin(ua), httpc.Origin(ub), other)
	}
}
