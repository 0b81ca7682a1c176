package oceanconnect

import (
	"context"
	"net/http"
	"time"

	"github.com/iotauth/iotauth/internal/httpc"
)

const logoutPath = "/iocm/app/sec/v1.1.0/logout"

// logoutTimeout bounds Close's call to the platform.
const logoutTimeout = 10 * time.Second

// Close logs out the last token this provider obtained (POST
// /iocm/app/sec/v1.1.0/logout), so it cannot be used any more. It is best
// effort: nothing is sent when the token has expired or was already logged
// out, and a failure is returned but leaves nothing to retry. The provider
// can still log in afterwards.
func (p *Provider) Close() error {
	p.mu.Lock()
	t := p.last
	p.last = nil
	p.mu.Unlock()
	if t == nil || !t.Valid() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), logoutTimeout)
	defer cancel()
	res, err := p.http.Do(ctx, httpc.Request{
		Op:     "logout",
		Method: http.MethodPost,
		URL:    p.base + logoutPath,
		JSON:   map[string]string{"accessToken": t.AccessToken},
	})
	if err != nil {
		return err
	}
	if res.Status < 200 || res.Status > 299 {
		return fail(p.http, res)
	}
	return nil
}
