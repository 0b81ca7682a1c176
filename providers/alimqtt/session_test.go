package alimqtt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/mqttsession"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
)

// liveConn is a live connection to the broker: it records the tokens
// uploaded on it ($SYS/uploadToken) with when they came, and its drops.
type liveConn struct {
	srv   *iotauthtest.Server
	start time.Time

	mu      sync.Mutex
	uploads []upload
	drops   int
}

// upload is one token handed to the broker on a live connection.
type upload struct {
	at    time.Duration // from the start
	token string
	live  bool // the platform issued it and it had not expired then
}

func (c *liveConn) Publish(_ context.Context, topic string, payload []byte) error {
	var up struct{ Token, Type string }
	if topic != alimqtt.TopicUploadToken || json.Unmarshal(payload, &up) != nil {
		return nil
	}
	tok, ok := c.srv.Alibaba.Token(up.Token)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uploads = append(c.uploads, upload{at: time.Since(c.start), token: up.Token,
		live: ok && !tok.Revoked && c.srv.Alibaba.Now().Before(tok.Expire)})
	return nil
}

func (c *liveConn) Drop() { c.mu.Lock(); c.drops++; c.mu.Unlock() }

func (c *liveConn) state() ([]upload, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]upload(nil), c.uploads...), c.drops
}

// uploadTimes is when each upload came, from the start.
func uploadTimes(ups []upload) []time.Duration {
	var at []time.Duration
	for _, u := range ups {
		at = append(at, u.at)
	}
	return at
}

// live connects a token mode session of the emulated account whose R,W
// token (lifetime life) comes from a Cache with opts, and starts the
// renewal of its connection.
func live(t *testing.T, life time.Duration, opts ...iotauth.CacheOption) (*liveConn, *mqttsession.Live, *iotauthtest.Server) {
	t.Helper()
	p, srv := bubbled(t, func(*alimqtt.Config) {})
	cache := iotauth.NewCache(p.TokenSource([]string{"parent/a/#"}, alimqtt.ActionReadWrite, life), opts...)
	t.Cleanup(func() { _ = cache.Close() })
	msrc := p.TokenMQTTSource("GID_test@@@live", cache)
	require.NotNil(t, msrc.(iotauth.MQTTRenewer).MQTTRenewal().RenewAt, "the session follows the Cache")
	s := mqttsession.New(msrc)
	l, err := s.Login(context.Background())
	require.NoError(t, err)
	require.True(t, srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password)))
	conn := &liveConn{srv: srv, start: time.Now()}
	lv := s.Up(conn, l)
	t.Cleanup(func() { lv.Stop(); <-lv.Done() })
	return conn, lv, srv
}

// A live connection's token is renewed when its Cache refreshes it, as
// WithRefreshWindow says: two-minute tokens refreshed one minute before
// they stop being served (their expiry less the 10 s skew) are uploaded
// 50 s after the one they replace was issued, each a token the platform
// issued and still honours, and the platform is asked for no other. The
// session's own rule of old (three quarters into DefaultRefreshWindow)
// uploaded at 111 s, once the Cache had stopped serving the token.
func TestSession_RenewsWhenTheCacheSays_WithRefreshWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, _, srv := live(t, 2*time.Minute, iotauth.WithRefreshWindow(time.Minute))
		time.Sleep(49 * time.Second)
		synctest.Wait()
		ups, _ := conn.state()
		assert.Empty(t, ups, "not before the Cache's refresh point")
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		ups, drops := conn.state()
		assert.Equal(t, []time.Duration{50 * time.Second, 100 * time.Second, 150 * time.Second}, uploadTimes(ups))
		for _, u := range ups {
			assert.True(t, u.live, "uploaded a token the platform honours")
		}
		assert.Zero(t, drops)
		assert.Equal(t, int64(4), srv.Alibaba.Calls("ApplyToken"), "one token per refresh")
	})
}

// A refresh the platform fails is retried when the Cache's backoff ends,
// and the new token is uploaded then; the connection is not dropped while
// its token is good.
func TestSession_FailedRefresh_RetriedAtTheCachesBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, _, srv := live(t, 2*time.Minute, iotauth.WithRefreshWindow(time.Minute), iotauth.WithBackoff(20*time.Second, 20*time.Second))
		time.Sleep(45 * time.Second)
		srv.Alibaba.FailNext(1, http.StatusServiceUnavailable) // the refresh at 50 s
		time.Sleep(30 * time.Second)
		synctest.Wait()
		ups, drops := conn.state()
		require.Len(t, ups, 1)
		assert.GreaterOrEqual(t, ups[0].at, 50*time.Second+16*time.Second, "not before the backoff")
		assert.Less(t, ups[0].at, 50*time.Second+24*time.Second, "at the backoff")
		assert.True(t, ups[0].live)
		assert.Zero(t, drops)
		assert.Equal(t, int64(3), srv.Alibaba.Requests(), "the first, the failed refresh, its retry")
	})
}

// Tokens the platform cannot renew end in a drop at their expiry, not
// before; meanwhile the platform is asked at the Cache's backoff only.
func TestSession_NothingNewer_DropsAtExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, lv, srv := live(t, 2*time.Minute, iotauth.WithRefreshWindow(time.Minute), iotauth.WithBackoff(20*time.Second, 20*time.Second))
		srv.Alibaba.FailNext(1000, http.StatusServiceUnavailable)
		start := time.Now()
		<-lv.Done()
		assert.Equal(t, 2*time.Minute, time.Since(start))
		ups, drops := conn.state()
		assert.Empty(t, ups)
		assert.Equal(t, 1, drops)
		// Refreshes from 50 s, one backoff (16 to 24 s) apart, until 120 s.
		assert.GreaterOrEqual(t, srv.Alibaba.Requests(), int64(1+3))
		assert.LessOrEqual(t, srv.Alibaba.Requests(), int64(1+5))
	})
}
