// Package mqttsession is the login side of an MQTT client, shared by the
// MQTT adapters (pahomqtt, autopahomqtt): a fresh login for every CONNECT,
// refusals reported to the source, and, on each live connection, the
// renewal of its tokens before they expire (for sources that are
// iotauth.MQTTRenewers), with a reconnect as the fallback.
//
// The adapters know their MQTT library; this package knows the schedule.
package mqttsession

import (
	"context"
	"sync"
	"time"

	"github.com/iotauth/iotauth"
)

// Timeouts of the work a live connection does in the background.
const (
	loginTimeout   = 30 * time.Second
	publishTimeout = 10 * time.Second
)

// Conn is a live MQTT connection, as its renewal uses it.
type Conn interface {
	// Publish sends payload to topic at QoS 1 and returns once the broker
	// acknowledged it, or with the reason it was not.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Drop closes the connection, so that the client reconnects with a
	// fresh login.
	Drop()
}

// Session is the login side of one MQTT client. It is safe for concurrent
// use.
type Session struct {
	src     iotauth.MQTTSource
	renewal *iotauth.MQTTRenewal // nil: the broker takes tokens at CONNECT only

	mu      sync.Mutex
	live    *Live    // the renewal of the current connection
	next    *attempt // the login of the connection attempt being made
	current *Watched // the last connection the broker accepted
}

// New returns the Session of an MQTT client that logs in through src.
func New(src iotauth.MQTTSource) *Session {
	s := &Session{src: src}
	if r, ok := src.(iotauth.MQTTRenewer); ok {
		rn := r.MQTTRenewal()
		if rn.Upload != nil {
			s.renewal = &rn
		}
	}
	return s
}

// Login returns the login for the next CONNECT.
func (s *Session) Login(ctx context.Context) (iotauth.MQTTLogin, error) {
	return s.src.MQTTLogin(ctx)
}

// LoginDetached is Login for a client's reconnects, which have no context
// of their own: bounded by a timeout.
func (s *Session) LoginDetached() (iotauth.MQTTLogin, error) {
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	return s.src.MQTTLogin(ctx)
}

// Refused reports that the broker refused l at CONNECT.
func (s *Session) Refused(l iotauth.MQTTLogin) { s.src.Refused(l) }

// Refusal reports whether a CONNACK code (MQTT 3.1.1 return code or MQTT 5
// reason code) refuses the login itself: bad user name or password, or not
// authorized.
func Refusal(code byte) bool {
	switch code {
	case 4, 5, 0x86, 0x87:
		return true
	}
	return false
}

// Notice hands a message the broker sent on topic to the current
// connection's renewal. An invalid-token notice refuses the connection's
// login at once, before the broker drops the connection, so that the
// reconnect does not offer it again.
func (s *Session) Notice(topic string) {
	s.mu.Lock()
	lv := s.live
	s.mu.Unlock()
	if lv != nil {
		s.notice(lv, topic)
	}
}

// notice hands a notice on topic to the renewal lv.
func (s *Session) notice(lv *Live, topic string) {
	switch n := s.kind(topic); n {
	case noticeInvalid:
		if lv.refuse() {
			s.src.Refused(lv.current())
		}
		fallthrough
	case noticeExpiring:
		select {
		case lv.notices <- n:
		default: // one pending notice is enough
		}
	}
}

// kind classifies a topic the broker sent on; 0 when it is no notice.
func (s *Session) kind(topic string) notice {
	switch {
	case s.renewal == nil:
		return 0
	case topic == s.renewal.ExpiringTopic:
		return noticeExpiring
	case topic == s.renewal.InvalidTopic:
		return noticeInvalid
	}
	return 0
}

type notice int

const (
	noticeExpiring notice = iota + 1
	noticeInvalid
)

// Up starts the renewal of a connection made with l, obtained at issued,
// on c. Stop it when the connection closes.
func (s *Session) Up(c Conn, l iotauth.MQTTLogin, issued time.Time) *Live {
	lv := &Live{stop: make(chan struct{}), done: make(chan struct{}), notices: make(chan notice, 1), cur: l}
	s.mu.Lock()
	s.live = lv
	s.mu.Unlock()
	if s.renewal == nil || l.Expiry.IsZero() {
		close(lv.done)
		return lv
	}
	go s.renew(lv, c, l, issued)
	return lv
}

// Live is the renewal of one connection.
type Live struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	notices  chan notice

	mu      sync.Mutex
	cur     iotauth.MQTTLogin // the login the broker holds
	refused bool
}

func (lv *Live) current() iotauth.MQTTLogin {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	return lv.cur
}

func (lv *Live) setCurrent(l iotauth.MQTTLogin) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	lv.cur = l
}

// refuse reports whether the connection's login is to be refused now: once.
func (lv *Live) refuse() bool {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	r := !lv.refused
	lv.refused = true
	return r
}

// Stop ends the renewal; it returns at once, and Done is closed when the
// renewal has ended.
func (lv *Live) Stop() { lv.stopOnce.Do(func() { close(lv.stop) }) }

// Done is closed when the renewal has ended.
func (lv *Live) Done() <-chan struct{} { return lv.done }

// renew keeps the tokens of a live connection valid: shortly before they
// expire it asks the source for a login with later tokens and uploads them;
// a broker's expiry notice makes it ask at once; an invalid-token notice,
// a failed upload, or tokens that expire with nothing newer make it drop the
// connection, so that the client reconnects with a fresh login.
func (s *Session) renew(lv *Live, c Conn, cur iotauth.MQTTLogin, issued time.Time) {
	defer close(lv.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-lv.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := askIn(cur, issued, time.Now())
	for {
		t := time.NewTimer(wait)
		select {
		case <-lv.stop:
			t.Stop()
			return
		case n := <-lv.notices:
			t.Stop()
			if n == noticeInvalid { // refused by Notice already
				c.Drop()
				return
			}
		case <-t.C:
		}
		next, err := s.login(ctx)
		now := time.Now()
		if ctx.Err() != nil {
			return
		}
		if err != nil || next.Expiry.IsZero() || !next.Expiry.After(cur.Expiry) {
			if !now.Before(cur.Expiry) {
				c.Drop() // expired, and nothing newer to upload
				return
			}
			wait = retryIn(cur, issued, now)
			continue
		}
		if !s.upload(ctx, c, next) {
			if ctx.Err() == nil {
				c.Drop()
			}
			return
		}
		cur, issued = next, now
		lv.setCurrent(cur)
		wait = askIn(cur, issued, now)
	}
}

func (s *Session) login(ctx context.Context) (iotauth.MQTTLogin, error) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	return s.src.MQTTLogin(ctx)
}

// upload publishes the renewal messages of l, each acknowledged before the
// next.
func (s *Session) upload(ctx context.Context, c Conn, l iotauth.MQTTLogin) bool {
	for _, m := range s.renewal.Upload(l) {
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		err := c.Publish(pctx, m.Topic, []byte(m.Payload))
		cancel()
		if err != nil {
			return false
		}
	}
	return true
}

// askIn is when to ask the source for later tokens: within the Cache's
// refresh window (iotauth.DefaultRefreshWindow of the tokens' lifetime),
// a quarter of the way into it, so that a Cache behind the source has
// started its refresh.
func askIn(l iotauth.MQTTLogin, issued, now time.Time) time.Duration {
	life := l.Expiry.Sub(issued)
	return max(l.Expiry.Add(-iotauth.DefaultRefreshWindow(life)*3/4).Sub(now), 0)
}

// retryIn is when to ask again after the source gave nothing newer: an
// eighth of the refresh window, at least 10 ms, and no later than expiry.
func retryIn(l iotauth.MQTTLogin, issued, now time.Time) time.Duration {
	d := max(iotauth.DefaultRefreshWindow(l.Expiry.Sub(issued))/8, 10*time.Millisecond)
	return min(d, max(l.Expiry.Sub(now), 0))
}
