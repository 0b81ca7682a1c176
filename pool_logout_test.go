package iotauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// ocTenants is one OceanConnect application per tenant, each on its own
// emulator (an emulator holds one application), for counting logouts.
type ocTenants struct {
	srvs  []*iotauthtest.Server
	gate  logoutGate
	toks  sync.Map // key -> the last token a tenant's Cache served
	hc    *http.Client
	loads atomic.Int64
}

// newOCTenants starts n emulators, outside any synctest bubble; keys are
// "oc-0" to "oc-<n-1>".
func newOCTenants(t *testing.T, n int) *ocTenants {
	ts := &ocTenants{}
	for range n {
		srv := iotauthtest.NewServer()
		t.Cleanup(srv.Close)
		ts.srvs = append(ts.srvs, srv)
	}
	return ts
}

// load is the Pool's load: a provider for key's emulator, over a client
// whose connections close after each call (so that no connection goroutine
// outlives a call inside a synctest bubble) and whose logouts wait while
// the gate is held.
func (ts *ocTenants) load(_ context.Context, key string) (iotauth.TokenSource, error) {
	ts.loads.Add(1)
	var i int
	if _, err := fmt.Sscanf(key, "oc-%d", &i); err != nil || i >= len(ts.srvs) {
		return nil, fmt.Errorf("no tenant %q", key)
	}
	return oceanconnect.New(oceanconnect.Config{BaseURL: ts.srvs[i].URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauthtest.OceanConnectSecret, HTTPClient: ts.hc})
}

func (ts *ocTenants) logouts(keys ...int) int64 {
	var n int64
	for _, i := range keys {
		n += ts.srvs[i].OceanConnect.Logouts()
	}
	return n
}

func (ts *ocTenants) allLogouts() int64 {
	var n int64
	for _, s := range ts.srvs {
		n += s.OceanConnect.Logouts()
	}
	return n
}

// logoutGate holds logouts while it is held, counting those that wait.
type logoutGate struct {
	mu      sync.Mutex
	ch      chan struct{}
	waiting atomic.Int64
}

func (g *logoutGate) hold() {
	g.mu.Lock()
	g.ch = make(chan struct{})
	g.mu.Unlock()
}

func (g *logoutGate) release() {
	g.mu.Lock()
	close(g.ch)
	g.ch = nil
	g.mu.Unlock()
}

type gatedTransport struct {
	g    *logoutGate
	base http.RoundTripper
}

func (rt gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/logout") {
		rt.g.mu.Lock()
		ch := rt.g.ch
		rt.g.mu.Unlock()
		if ch != nil {
			rt.g.waiting.Add(1)
			<-ch
			rt.g.waiting.Add(-1)
		}
	}
	return rt.base.RoundTrip(r)
}

// startClient makes the tenants' HTTP client; call it inside the bubble.
func (ts *ocTenants) startClient() {
	ts.hc = &http.Client{Transport: gatedTransport{g: &ts.gate, base: &http.Transport{DisableKeepAlives: true}}}
}

func (ts *ocTenants) use(t *testing.T, p *iotauth.Pool, i int) {
	t.Helper()
	tok, err := p.Token(t.Context(), fmt.Sprint("oc-", i))
	require.NoError(t, err)
	ts.toks.Store(i, tok)
}

func (ts *ocTenants) stillValid(i int) bool {
	v, ok := ts.toks.Load(i)
	return ok && ts.srvs[i].OceanConnect.ValidToken(v.(*iotauth.Token).AccessToken)
}

// Evicting for idleness or the bound stops a Cache without logging out: a
// tenant's token may be another process's too, and sweeping many tenants
// must not make one logout after another. Forget and Close log out.
func TestPool_Eviction_DoesNotLogOut_ForgetAndCloseDo(t *testing.T) {
	const n = 6
	ts := newOCTenants(t, n)
	synctest.Test(t, func(t *testing.T) {
		ts.startClient()
		p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute), iotauth.WithMaxCaches(n-1))
		defer p.Close()
		for i := range n {
			ts.use(t, p, i) // the sixth drops the first: the bound
		}
		assert.Equal(t, n-1, p.Len())
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		assert.Zero(t, p.Len(), "the idle ones are dropped")
		assert.EqualValues(t, 6, p.Stats().Evictions)
		assert.Zero(t, ts.allLogouts(), "no eviction logs out")
		for i := range n {
			assert.True(t, ts.stillValid(i), "tenant %d's token is still valid on its platform", i)
		}

		ts.use(t, p, 0)
		p.Forget("oc-0")
		assert.EqualValues(t, 1, ts.logouts(0), "Forget logs out before it returns")
		assert.False(t, ts.stillValid(0))

		ts.use(t, p, 1)
		ts.use(t, p, 2)
		p.Close()
		assert.EqualValues(t, 1, ts.logouts(1))
		assert.EqualValues(t, 1, ts.logouts(2))
		assert.EqualValues(t, 3, ts.allLogouts())
	})
}

// WithCloseOnEviction logs out every evicted tenant, a few at a time off
// the sweeper's and the loads' paths: while the logouts are held, a new
// tenant is still loaded and served.
func TestPool_WithCloseOnEviction_LogsOutWithoutDelayingLoads(t *testing.T) {
	const n = 6 // tenants oc-0 … oc-5 fill the Pool; oc-6 and oc-7 come later
	ts := newOCTenants(t, n+2)
	synctest.Test(t, func(t *testing.T) {
		ts.startClient()
		p := iotauth.NewPool(ts.load, iotauth.WithIdleTimeout(time.Minute), iotauth.WithMaxCaches(n),
			iotauth.WithCloseOnEviction())
		defer p.Close()
		for i := range n {
			ts.use(t, p, i)
		}

		// The bound: a new tenant drops oc-0, whose logout is held; the
		// new tenant's load does not wait for it.
		ts.gate.hold()
		ts.use(t, p, n)
		synctest.Wait()
		assert.EqualValues(t, 1, ts.gate.waiting.Load(), "oc-0's logout is under way")
		assert.Zero(t, ts.allLogouts())
		ts.gate.release()
		synctest.Wait()
		assert.EqualValues(t, 1, ts.logouts(0), "and done once let through")

		// Idleness: the sweep at 75 s drops the other six; their logouts
		// are held, a few at once, while a new tenant is served.
		ts.gate.hold()
		time.Sleep(80 * time.Second)
		synctest.Wait()
		assert.Zero(t, p.Len())
		w := ts.gate.waiting.Load()
		assert.Positive(t, w)
		assert.LessOrEqual(t, w, int64(4), "a few logouts at a time")
		ts.use(t, p, n+1)
		assert.Equal(t, 1, p.Len())
		assert.EqualValues(t, 1, ts.logouts(0))
		ts.gate.release()
		p.Close() // waits for the queued logouts
		assert.EqualValues(t, n+2, ts.allLogouts(), "every evicted tenant, and the one Close closed")
		for i := range n + 2 {
			assert.EqualValues(t, 1, ts.logouts(i), "tenant %d", i)
		}
		assert.EqualValues(t, n+2, ts.loads.Load())
	})
}
