package alimqtt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth/providers/alimqtt"
)

// Tokens say what they are: MQTT passwords, not HTTP bearer tokens.
func TestTokenSource_TokenType_IsMQTT(t *testing.T) {
	var p *alimqtt.Provider
	p, _ = emulated(t)
	tok, err := p.TokenSource([]string{"iotauth/test/#"}, alimqtt.ActionRead, time.Hour).Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "MQTT", tok.Type())
	assert.Equal(t, alimqtt.TokenType, tok.TokenType)
}
