package redistest

import (
	"strconv"
	"testing"
	"time"

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

func TestServer_PauseAndResume_AnswersOnlyWhenResumed(t *testing.T) {
	s := Start(t)
	s.Pause()
	require.Error(t, ping(s.Addr()), "a paused server does not answer")
	s.Resume()
	require.NoError(t, ping(s.Addr()))
	s.Pause()
	s.Stop() // stopping a paused server does not hang
	require.Error(t, ping(s.Addr()))
}

func TestCommandStats_CountsEachCommand(t *testing.T) {
	s := Start(t)
	require.NoError(t, s.ResetStats())
	for range 3 {
		_, err := command(s.Addr(), "SET", "k", "v")
		require.NoError(t, err)
	}
	_, err := command(s.Addr(), "GET", "k")
	require.NoError(t, err)
	stats, err := s.CommandStats()
	require.NoError(t, err)
	require.EqualValues(t, 3, stats["set"])
	require.EqualValues(t, 1, stats["get"])
	require.EqualValues(t, 4, Sum([]map[string]int64{stats}, "info", "config"))
}

func TestParseCommandStats_ReadsCallsOfEveryLine(t *testing.T) {
	info := "# Commandstats\r\ncmdstat_get:calls=12,usec=40,usec_per_call=3.33,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_cluster|info:calls=2,usec=1,usec_per_call=0.5,rejected_calls=0,failed_calls=0\r\nnoise\r\n"
	require.Equal(t, map[string]int64{"get": 12, "cluster|info": 2}, ParseCommandStats(info))
	require.EqualValues(t, 12, Sum([]map[string]int64{ParseCommandStats(info)}, "cluster"))
}

func TestSlot_MatchesRedis(t *testing.T) {
	// The Cluster test compares more keys with CLUSTER KEYSLOT.
	require.Equal(t, 12182, Slot("foo"))
	require.Equal(t, Slot("{user1000}.following"), Slot("{user1000}.followers"))
	require.Equal(t, Slot("user1000"), Slot("{user1000}.followers"))
}

func TestStartCluster_ThreeMastersThreeReplicas_FailsOverAKilledMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a cluster; skipped with -short")
	}
	c := StartCluster(t, 3, 1, time.Second)
	require.Len(t, c.Addrs(), 6)
	for _, key := range []string{"foo", "{user1000}.following", "foo{}{bar}", "{}x", "a{b}c{d}", "x{y", "{iotauth:v1:oc:ab}:lock"} {
		slot, err := command(c.Addrs()[0], "CLUSTER", "KEYSLOT", key)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(Slot(key)), slot, key)
	}
	m := c.MasterOf("foo")
	_, err := command(m.Addr(), "SET", "foo", "1")
	require.NoError(t, err)
	m.Kill()
	require.Eventually(t, func() bool { return c.MasterOf("foo") != m }, 20*time.Second, 50*time.Millisecond, "no replica took over")
	require.NoError(t, c.WaitHealthy(20*time.Second))
	m.Restart()
	require.NoError(t, c.WaitHealthy(20*time.Second), "the old master rejoins as a replica")
}

func TestStartSentinel_OneMasterOneReplicaThreeSentinels_FailsOverAKilledMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a sentinel group; skipped with -short")
	}
	g := StartSentinel(t, 1, 3, time.Second)
	require.Len(t, g.SentinelAddrs(), 3)
	old := g.Master()
	require.Equal(t, g.Servers()[0], old)
	old.Kill()
	require.NoError(t, g.WaitFailover(old, 20*time.Second))
	require.Equal(t, g.Servers()[1], g.Master())
}

func TestReplicated_ComparesEveryReplicaOffset(t *testing.T) {
	require.True(t, replicated("role:master\r\nslave0:ip=127.0.0.1,port=1,state=online,offset=42,lag=0\r\nmaster_repl_offset:42\r\n"))
	require.False(t, replicated("role:master\r\nslave0:ip=127.0.0.1,port=1,state=online,offset=40,lag=0\r\nmaster_repl_offset:42\r\n"))
	require.True(t, replicated("role:master\r\nconnected_slaves:0\r\nmaster_repl_offset:7\r\n"))
	require.False(t, replicated("no such field"))
}
