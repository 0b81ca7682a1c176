package iotauth_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
)

// credential hands out the password of generation gen; afresh fetches
// move to the next generation when rotate is set.
type credential struct {
	mu      sync.Mutex
	calls   int
	afresh  int
	gen     int
	rotate  bool
	failing error
}

func (c *credential) MQTTCredential(_ context.Context, afresh bool) (*iotauth.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.failing != nil {
		return nil, c.failing
	}
	if afresh {
		c.afresh++
		if c.rotate {
			c.gen++
		}
	}
	return &iotauth.Token{AccessToken: fmt.Sprintf("secret-%d", c.gen)}, nil
}

func (c *credential) MQTTLoginOf(t *iotauth.Token) iotauth.MQTTLogin {
	return iotauth.MQTTLogin{Host: "broker", Port: 1883, ClientID: "dev", Username: "user", Password: iotauth.Secret(t.AccessToken)}
}

func (c *credential) Describe() iotauth.Platform { return iotauth.Platform{Name: "test"} }

func (c *credential) count() (calls, afresh int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.afresh
}

// A credential is fetched once and reused by every login.
func TestNewMQTTSource_FetchesOnce(t *testing.T) {
	cred := &credential{}
	src := iotauth.NewMQTTSource(cred)
	for range 5 {
		l, err := src.MQTTLogin(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "secret-0", string(l.Password))
	}
	calls, _ := cred.count()
	assert.Equal(t, 1, calls)
}

// After a refusal the credential is fetched afresh; a new one is offered.
func TestNewMQTTSource_Refused_FetchesAfresh_OffersTheNewLogin(t *testing.T) {
	cred := &credential{rotate: true}
	src := iotauth.NewMQTTSource(cred)
	l, err := src.MQTTLogin(context.Background())
	require.NoError(t, err)
	src.Refused(l)
	next, err := src.MQTTLogin(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "secret-1", string(next.Password))
	src.Refused(l) // an older login: ignored
	again, err := src.MQTTLogin(context.Background())
	require.NoError(t, err)
	assert.Equal(t, next, again)
	_, afresh := cred.count()
	assert.Equal(t, 1, afresh)
}

// A login that cannot change is never offered again after a refusal: the
// source answers ErrInvalidCredentials, held off without a fetch, and after
// the hold-off it tries the platform again.
func TestNewMQTTSource_Refused_SameLogin_LatchedForTheHoldOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cred := &credential{}
		src := iotauth.NewMQTTSource(cred, iotauth.WithHoldOff(time.Minute))
		l, err := src.MQTTLogin(context.Background())
		require.NoError(t, err)
		src.Refused(l)
		_, err = src.MQTTLogin(context.Background())
		require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		assert.NotContains(t, err.Error(), "secret-0")
		calls, _ := cred.count()
		for range 10 {
			_, err = src.MQTTLogin(context.Background())
			require.ErrorIs(t, err, iotauth.ErrInvalidCredentials)
		}
		later, _ := cred.count()
		assert.Equal(t, calls, later, "held off: no fetch")

		time.Sleep(time.Minute + time.Second)
		l2, err := src.MQTTLogin(context.Background())
		require.NoError(t, err, "after the hold-off the platform is asked again")
		assert.Equal(t, l, l2)
	})
}

// A failed afresh fetch keeps the refusal, so the next attempt is afresh
// too.
func TestNewMQTTSource_Refused_FetchFails_NextAttemptStillAfresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cred := &credential{rotate: true}
		src := iotauth.NewMQTTSource(cred, iotauth.WithBackoff(time.Second, time.Second))
		l, err := src.MQTTLogin(context.Background())
		require.NoError(t, err)
		src.Refused(l)
		cred.mu.Lock()
		cred.failing = &iotauth.Error{Kind: iotauth.ErrServer}
		cred.mu.Unlock()
		_, err = src.MQTTLogin(context.Background())
		require.ErrorIs(t, err, iotauth.ErrServer)
		cred.mu.Lock()
		cred.failing = nil
		cred.mu.Unlock()
		time.Sleep(2 * time.Second)
		next, err := src.MQTTLogin(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "secret-1", string(next.Password))
	})
}

// Neither a login nor a message prints its secret, however formatted.
func TestMQTTLogin_AndMessage_PrintNoSecret(t *testing.T) {
	l := iotauth.MQTTLogin{Host: "h", Port: 1, Username: "u", Password: "pw-secret", Expiry: time.Unix(1, 0)}
	m := iotauth.MQTTMessage{Topic: "$SYS/uploadToken", Payload: `{"token":"tok-secret"}`}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "login", l, "msg", m)
	out := fmt.Sprintf("%v %+v %#v %v %+v %#v", l, l, l, m, m, m) + b.String()
	assert.NotContains(t, out, "pw-secret")
	assert.NotContains(t, out, "tok-secret")
}
