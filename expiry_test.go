package iotauth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/iotauth/iotauth"
)

func TestToken_ExpiredAt_TheExpiryPassedAtNow_NeverWithoutAnExpiry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.False(t, (&iotauth.Token{}).ExpiredAt(now), "no Expiry")
	assert.False(t, (&iotauth.Token{Expiry: now.Add(time.Nanosecond)}).ExpiredAt(now))
	assert.True(t, (&iotauth.Token{Expiry: now}).ExpiredAt(now), "an Expiry of now has passed")
	assert.True(t, (&iotauth.Token{Expiry: now.Add(-time.Hour)}).ExpiredAt(now))
	assert.False(t, (&iotauth.Token{Expiry: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}).ExpiredAt(now))
}
