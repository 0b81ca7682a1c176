package cloudstudio

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
)

func TestRevoke_WithoutAToken_SaysWhatToPass(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv, nil)
	tok, err := p.Token(context.Background())
	assert.NoError(t, err)
	err = p.Revoke(context.Background())
	assert.ErrorIs(t, err, iotauth.ErrBadRequest)
	assert.ErrorContains(t, err, "pass the Cache's current token")
	assert.Equal(t, 1, srv.CloudStudio.ActiveTokens(), "a token was deleted without being named")
	assert.NoError(t, p.Revoke(context.Background(), tok))
	assert.Zero(t, srv.CloudStudio.ActiveTokens())
}
