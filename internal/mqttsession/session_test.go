package mqttsession

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// tokens is an MQTTRenewer whose logins carry a token that lives life and is
// replaced when the caller asks within the last half of it (as a Cache
// would), numbered from 1. It says nothing about when to ask: see scheduled.
type tokens struct {
	mu      sync.Mutex
	life    time.Duration
	n       int
	expiry  time.Time
	refused []string
	fail    bool
	logins  int
}

func (s *tokens) MQTTLogin(context.Context) (iotauth.MQTTLogin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	if s.fail {
		return iotauth.MQTTLogin{}, errors.New("platform down")
	}
	now := time.Now()
	if s.n == 0 || s.expiry.Sub(now) <= s.life/2 {
		s.n++
		s.expiry = now.Add(s.life)
	}
	return iotauth.MQTTLogin{Password: iotauth.Secret("T|" + strconv.Itoa(s.n)), Expiry: s.expiry}, nil
}

// scheduled is tokens that say when to ask, as a source over a Cache does:
// at once when the login is not the current one, else half-way through the
// token's life.
type scheduled struct{ *tokens }

func (s scheduled) MQTTRenewal() iotauth.MQTTRenewal {
	rn := s.tokens.MQTTRenewal()
	rn.RenewAt = s.renewAt
	return rn
}

func (s scheduled) renewAt(l iotauth.MQTTLogin) (time.Time, []<-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(l.Password) != "T|"+strconv.Itoa(s.n) {
		return time.Now(), nil
	}
	return s.expiry.Add(-s.life / 2), nil
}

func (s *tokens) Refused(l iotauth.MQTTLogin) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, string(l.Password))
}

func (s *tokens) MQTTRenewal() iotauth.MQTTRenewal {
	return iotauth.MQTTRenewal{
		Upload: func(l iotauth.MQTTLogin) []iotauth.MQTTMessage {
			return []iotauth.MQTTMessage{{Topic: "up", Payload: l.Password}}
		},
		ExpiringTopic: "expiring", InvalidTopic: "invalid",
	}
}

// conn records uploads and drops; failing makes Publish fail.
type conn struct {
	mu      sync.Mutex
	uploads []string
	drops   int
	failing bool
}

func (c *conn) Publish(_ context.Context, topic string, payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing {
		return errors.New("no PUBACK")
	}
	c.uploads = append(c.uploads, topic+":"+string(payload))
	return nil
}

func (c *conn) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
}

func (c *conn) state() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.uploads...), c.drops
}

func up(t *testing.T, src iotauth.MQTTSource, c *conn) (*Session, *Live) {
	t.Helper()
	s := New(src)
	l, err := s.Login(context.Background())
	require.NoError(t, err)
	return s, s.Up(c, l)
}

// Each token is uploaded when the source's schedule says, before the one it
// replaces expires, without a drop, until the connection closes.
func TestRenew_UploadsEachTokenWhenTheScheduleSays_UntilStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Minute}, &conn{}
		_, lv := up(t, scheduled{src}, c)
		time.Sleep(2*time.Minute + time.Second)
		uploads, drops := c.state()
		assert.Equal(t, []string{"up:T|2", "up:T|3", "up:T|4", "up:T|5"}, uploads, "at 30 s, 60 s, 90 s, 120 s")
		assert.Zero(t, drops)
		assert.Equal(t, 5, src.logins, "asked only when the schedule said")
		lv.Stop()
		synctest.Wait()
		select {
		case <-lv.Done():
		default:
			t.Fatal("renewal still running after Stop")
		}
	})
}

// A source without a schedule is renewed on the broker's notice only: its
// tokens expire, and the connection is dropped then.
func TestRenew_NoSchedule_NoNotice_DropsAtExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Minute}, &conn{}
		_, lv := up(t, src, c)
		start := time.Now()
		<-lv.Done()
		assert.Equal(t, time.Minute, time.Since(start))
		uploads, drops := c.state()
		assert.Empty(t, uploads)
		assert.Equal(t, 1, drops)
		assert.Equal(t, 1, src.logins)
	})
}

// An expiry notice makes the renewal ask at once.
func TestRenew_ExpiringNotice_RenewsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Hour}, &conn{}
		s, lv := up(t, src, c)
		defer lv.Stop()
		time.Sleep(40 * time.Minute) // within the last half: the source has a new token
		synctest.Wait()
		uploads, _ := c.state()
		require.Empty(t, uploads, "not yet due")
		s.Notice("expiring")
		synctest.Wait()
		uploads, _ = c.state()
		assert.Equal(t, []string{"up:T|2"}, uploads)
	})
}

// An invalid-token notice refuses the current login at once and drops the
// connection; the renewal ends.
func TestRenew_InvalidNotice_RefusesAndDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Hour}, &conn{}
		s, lv := up(t, src, c)
		s.Notice("invalid")
		assert.Equal(t, []string{"T|1"}, src.refused, "refused before the broker drops the connection")
		synctest.Wait()
		_, drops := c.state()
		assert.Equal(t, 1, drops)
		<-lv.Done()
		s.Notice("invalid") // late: nothing happens
		assert.Len(t, src.refused, 1)
	})
}

// A failed upload falls back to a reconnect.
func TestRenew_FailedUpload_Drops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Minute}, &conn{failing: true}
		_, lv := up(t, scheduled{src}, c)
		<-lv.Done()
		_, drops := c.state()
		assert.Equal(t, 1, drops)
	})
}

// Tokens that expire with nothing newer from the source (the platform is
// down) end in a drop at expiry, not before, and not in a busy loop: a
// schedule that keeps saying "now" is asked once.
func TestRenew_NothingNewer_DropsAtExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, c := &tokens{life: time.Minute}, &conn{}
		_, lv := up(t, scheduled{src}, c)
		src.mu.Lock()
		src.fail = true
		src.mu.Unlock()
		start := time.Now()
		<-lv.Done()
		assert.Equal(t, time.Minute, time.Since(start))
		_, drops := c.state()
		assert.Equal(t, 1, drops)
		assert.Equal(t, 2, src.logins, "the first login and one at the schedule's time")
	})
}

// Without a renewal, or with tokens that never expire, nothing runs.
func TestUp_NothingToRenew_RunsNothing(t *testing.T) {
	s := New(&plain{})
	lv := s.Up(&conn{}, iotauth.MQTTLogin{Expiry: time.Now().Add(time.Hour)})
	<-lv.Done()
	s.Notice("anything")
	lv = New(&tokens{life: time.Hour}).Up(&conn{}, iotauth.MQTTLogin{})
	<-lv.Done()
}

type plain struct{}

func (plain) MQTTLogin(context.Context) (iotauth.MQTTLogin, error) { return iotauth.MQTTLogin{}, nil }
func (plain) Refused(iotauth.MQTTLogin)                            {}

func TestRefusal_Codes(t *testing.T) {
	for code, want := range map[byte]bool{0: false, 1: false, 3: false, 4: true, 5: true, 0x86: true, 0x87: true, 0x80: false} {
		assert.Equal(t, want, Refusal(code), "code %#x", code)
	}
}
