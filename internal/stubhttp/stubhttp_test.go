package stubhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/internal/stubhttp"
)

func get(t *testing.T, c *http.Client, method, url string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader("payload"))
	require.NoError(t, err)
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b), nil
}

func TestTransport_AnswersByMethodAndURL_AndCounts(t *testing.T) {
	tr := stubhttp.New()
	tr.Register(http.MethodPost, "https://a.test/login", stubhttp.StringResponder(201, "ok"))
	tr.Register(http.MethodGet, "https://a.test/login", func(r *http.Request) (*http.Response, error) {
		return stubhttp.StringResponse(200, r.Method), nil
	})
	c := tr.Client()

	status, body, err := get(t, c, http.MethodPost, "https://a.test/login?x=1")
	require.NoError(t, err)
	assert.Equal(t, 201, status)
	assert.Equal(t, "ok", body)
	status, body, err = get(t, c, http.MethodGet, "https://a.test/login")
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Equal(t, "GET", body)

	assert.Equal(t, 1, tr.Calls(http.MethodPost, "https://a.test/login"))
	assert.Equal(t, 1, tr.Calls(http.MethodGet, "https://a.test/login"))
	assert.Zero(t, tr.Calls(http.MethodDelete, "https://a.test/login"))
	assert.Equal(t, 2, tr.TotalCalls())
}

func TestTransport_NoResponder(t *testing.T) {
	tr := stubhttp.New()
	tr.Register(http.MethodPost, "https://a.test/login", stubhttp.StringResponder(200, "ok"))
	_, _, err := get(t, tr.Client(), http.MethodPost, "https://b.test/login")
	require.ErrorIs(t, err, stubhttp.ErrNoResponder)
	assert.Contains(t, err.Error(), "https://b.test/login")
	assert.Equal(t, 1, tr.TotalCalls())
	assert.Zero(t, tr.Calls(http.MethodPost, "https://a.test/login"))
}

func TestTransport_Fallback(t *testing.T) {
	tr := stubhttp.New()
	tr.Fallback(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		return stubhttp.BytesResponse(418, b), nil
	})
	status, body, err := get(t, tr.Client(), http.MethodPut, "https://c.test/any")
	require.NoError(t, err)
	assert.Equal(t, 418, status)
	assert.Equal(t, "payload", body)
}

func TestTransport_ResponderError(t *testing.T) {
	boom := errors.New("boom")
	tr := stubhttp.New()
	tr.Register(http.MethodGet, "https://a.test/", func(*http.Request) (*http.Response, error) { return nil, boom })
	_, _, err := get(t, tr.Client(), http.MethodGet, "https://a.test/")
	require.ErrorIs(t, err, boom)
}

func TestStringResponse(t *testing.T) {
	res := stubhttp.StringResponse(404, "nope")
	assert.Equal(t, 404, res.StatusCode)
	assert.Equal(t, "404 Not Found", res.Status)
	assert.NotNil(t, res.Header)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, "nope", string(b))
}
