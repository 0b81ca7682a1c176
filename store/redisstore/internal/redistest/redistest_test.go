package redistest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServer_KillAndRestart_ServesAgainOnTheSamePort(t *testing.T) {
	s := Start(t)
	require.NoError(t, ping(s.Addr()))
	addr := s.Addr()

	s.Kill()
	require.Error(t, ping(addr), "a killed server does not answer")
	s.Kill() // killing a stopped server does nothing

	s.Restart()
	require.Equal(t, addr, s.Addr())
	require.NoError(t, ping(addr))

	s.Stop()
	require.Error(t, ping(addr), "a stopped server does not answer")
	s.Restart()
	require.NoError(t, ping(addr))
}

func TestStart_TwoServers_GetDifferentPorts(t *testing.T) {
	a, b := Start(t), Start(t)
	require.NotEqual(t, a.Addr(), b.Addr())
	require.NoError(t, ping(a.Addr()))
	require.NoError(t, ping(b.Addr()))
}
