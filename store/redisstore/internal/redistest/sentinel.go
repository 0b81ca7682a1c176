package redistest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelGroup is a master, its replicas and the Sentinels that watch
// them, real redis-server processes on loopback.
type SentinelGroup struct {
	t         testing.TB
	name      string
	servers   []*Server // the first master, then the replicas
	sentinels []*Server
}

// StartSentinel runs a master with replicas, and sentinels monitoring it
// under the name "iotauth" with a quorum of a majority. downAfter is
// down-after-milliseconds: how long the master must be unreachable before
// the sentinels fail it over. It waits until every sentinel knows every
// replica and every other sentinel, so that a failover can start at once.
func StartSentinel(t testing.TB, replicas, sentinels int, downAfter time.Duration) *SentinelGroup {
	t.Helper()
	bin := binary(t)
	g := &SentinelGroup{t: t, name: "iotauth"}
	master := startServer(t, bin, nil)
	g.servers = append(g.servers, master)
	host, port, _ := net.SplitHostPort(master.Addr())
	for range replicas {
		g.servers = append(g.servers, startServer(t, bin, func(int, string) []string {
			return []string{"--replicaof", host, port}
		}))
	}
	for range sentinels {
		g.sentinels = append(g.sentinels, startServer(t, bin, func(_ int, dir string) []string {
			conf := filepath.Join(dir, "sentinel.conf")
			text := fmt.Sprintf("sentinel monitor %s %s %s %d\n"+
				"sentinel down-after-milliseconds %s %d\n"+
				"sentinel failover-timeout %s %d\n",
				g.name, host, port, sentinels/2+1,
				g.name, downAfter.Milliseconds(),
				g.name, (4 * downAfter).Milliseconds())
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Fatalf("redistest: writing %s: %v", conf, err)
			}
			return []string{conf, "--sentinel"}
		}))
	}
	if err := g.waitReady(topologyTimeout, replicas); err != nil {
		t.Fatalf("redistest: the sentinel group did not form: %v", err)
	}
	return g
}

// MasterName is the name the sentinels monitor the master under, as a
// go-redis FailoverClient takes it.
func (g *SentinelGroup) MasterName() string { return g.name }

// SentinelAddrs are the sentinels' addresses.
func (g *SentinelGroup) SentinelAddrs() []string {
	addrs := make([]string, len(g.sentinels))
	for i, s := range g.sentinels {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Servers are the data servers: the first master, then the replicas.
func (g *SentinelGroup) Servers() []*Server { return g.servers }

// Master returns the server the sentinels name as master now.
func (g *SentinelGroup) Master() *Server {
	g.t.Helper()
	addr, err := g.masterAddr()
	if err != nil {
		g.t.Fatalf("redistest: %v", err)
	}
	for _, s := range g.servers {
		if s.Addr() == addr {
			return s
		}
	}
	g.t.Fatalf("redistest: the sentinels name %s, not a server of the group", addr)
	return nil
}

// masterAddr asks the first sentinel that answers for the master.
func (g *SentinelGroup) masterAddr() (string, error) {
	var lastErr error
	for _, s := range g.sentinels {
		r, err := commandList(s.Addr(), "SENTINEL", "get-master-addr-by-name", g.name)
		if err == nil && len(r) == 2 {
			return net.JoinHostPort(r[0], r[1]), nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("no sentinel names a master: %v", lastErr)
}

// WaitFailover waits until the sentinels name a master other than old and
// that master answers as one.
func (g *SentinelGroup) WaitFailover(old *Server, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		addr, err := g.masterAddr()
		if err == nil && addr != old.Addr() {
			if role, err := command(addr, "ROLE"); err == nil && strings.HasPrefix(role, "master") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no failover from %s within %v", old.Addr(), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady waits until every sentinel sees the replicas and the other
// sentinels.
func (g *SentinelGroup) waitReady(timeout time.Duration, replicas int) error {
	deadline := time.Now().Add(timeout)
	for {
		err := g.ready(replicas)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *SentinelGroup) ready(replicas int) error {
	for _, s := range g.sentinels {
		fields, err := commandList(s.Addr(), "SENTINEL", "master", g.name)
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", s.Addr(), err)
		}
		m := make(map[string]string)
		for i := 0; i+1 < len(fields); i += 2 {
			m[fields[i]] = fields[i+1]
		}
		if m["num-slaves"] != strconv.Itoa(replicas) || m["num-other-sentinels"] != strconv.Itoa(len(g.sentinels)-1) {
			return fmt.Errorf("sentinel %s sees %s replicas and %s other sentinels", s.Addr(), m["num-slaves"], m["num-other-sentinels"])
		}
	}
	for _, s := range g.servers[1:] {
		repl, err := command(s.Addr(), "INFO", "replication")
		if err != nil || !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("replica %s not in sync", s.Addr())
		}
	}
	return nil
}
