// Package mqttsession is the login side of an MQTT client, shared by the
// MQTT adapters (pahomqtt, autopahomqtt): a fresh login for every CONNECT,
// refusals reported to the source, and, on each live connection, the
// renewal of its tokens before they expire (for sources that are
// iotauth.MQTTRenewers), with a reconnect as the fallback.
//
// The adapters know their MQTT library; this package knows the renewal
// protocol. When to renew is the Cache's: a source whose renewal says when
// (iotauth.MQTTRenewal.RenewAt) is asked again exactly then; one that does
// not is renewed on the broker's expiry notice only, and dropped when its
// tokens expire.
package mqttsession

import (
	"context"
	"reflect"
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

// Up starts the renewal of a connection made with l on c. Stop it when the
// connection closes.
func (s *Session) Up(c Conn, l iotauth.MQTTLogin) *Live {
	lv := &Live{stop: make(chan struct{}), done: make(chan struct{}), notices: make(chan notice, 1), cur: l}
	s.mu.Lock()
	s.live = lv
	s.mu.Unlock()
	if s.renewal == nil || l.Expiry.IsZero() {
		close(lv.done)
		return lv
	}
	go s.renew(lv, c, l)
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

// renew keeps the tokens of a live connection valid: it asks the source for
// a login with newer tokens when the source's schedule says (RenewAt) or
// the broker's expiry notice comes, and uploads them; an invalid-token
// notice, a failed upload, or tokens that expire with nothing newer make it
// drop the connection, so that the client reconnects with a fresh login.
func (s *Session) renew(lv *Live, c Conn, cur iotauth.MQTTLogin) {
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
	sched := s.renewal.RenewAt
	stale := false // the last "ask now" gave nothing newer: wait for a change
	for {
		var (
			at      time.Time
			changed []<-chan struct{}
		)
		if sched != nil {
			at, changed = sched(cur)
		}
		now := time.Now()
		if !now.Before(cur.Expiry) {
			c.Drop() // expired, and nothing newer was uploaded
			return
		}
		askNow := !at.IsZero() && !at.After(now) && !stale
		if !askNow {
			switch s.wait(lv, cur, at, changed, stale) {
			case wakeStop:
				return
			case wakeInvalid: // refused by Notice already
				c.Drop()
				return
			case wakeSchedule:
				stale = false
				continue // ask the schedule again
			}
		}
		next, err := s.login(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil || next.Expiry.IsZero() || next.Password == cur.Password {
			stale = askNow
			continue
		}
		stale = false
		if !s.upload(ctx, c, next) {
			if ctx.Err() == nil {
				c.Drop()
			}
			return
		}
		cur = next
		lv.setCurrent(cur)
	}
}

// wake is why a renewal's wait ended.
type wake int

const (
	wakeStop     wake = iota // the connection closed
	wakeInvalid              // the broker said a token is invalid
	wakeExpiring             // the broker said a token is about to expire: ask the source
	wakeSchedule             // the schedule's time came, or it changed, or the tokens expire
)

// wait waits for the first of: the connection's end, a broker's notice,
// at, a closed channel of changed, and the expiry of cur. When stale (asking
// now gave nothing newer), an at that has come and channels closed already
// are old news: it waits for something else.
func (s *Session) wait(lv *Live, cur iotauth.MQTTLogin, at time.Time, changed []<-chan struct{}, stale bool) wake {
	until := cur.Expiry
	if !at.IsZero() && at.Before(until) && (!stale || at.After(time.Now())) {
		until = at
	}
	t := time.NewTimer(max(time.Until(until), 0))
	defer t.Stop()
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(lv.stop)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(lv.notices)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.C)},
	}
	for _, ch := range changed {
		if ch != nil && !(stale && isClosed(ch)) {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
		}
	}
	i, v, _ := reflect.Select(cases)
	switch i {
	case 0:
		return wakeStop
	case 1:
		if v.Interface().(notice) == noticeInvalid {
			return wakeInvalid
		}
		return wakeExpiring
	}
	return wakeSchedule
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
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
