package redistest

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// topologyTimeout bounds how long a Cluster or Sentinel group may take to
// form, or to settle after a fault.
const topologyTimeout = 30 * time.Second

// Cluster is a Redis Cluster of real redis-server processes on loopback.
type Cluster struct {
	t     testing.TB
	nodes []*Server
}

// StartCluster runs masters × (1 + replicasPerMaster) cluster-enabled
// servers, joins them with redis-cli --cluster create, and waits until every
// node reports cluster_state:ok and every replica is in sync with its
// master. nodeTimeout is cluster-node-timeout: how long a master must be
// unreachable before its replica is promoted. The servers are killed when
// the test ends.
func StartCluster(t testing.TB, masters, replicasPerMaster int, nodeTimeout time.Duration) *Cluster {
	t.Helper()
	bin := binary(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redistest: redis-cli is not on PATH; it creates the cluster")
	}
	c := &Cluster{t: t}
	for range masters * (1 + replicasPerMaster) {
		c.nodes = append(c.nodes, startServer(t, bin, func(port int, dir string) []string {
			bus, err := freePort()
			if err != nil {
				t.Fatalf("redistest: finding a free port: %v", err)
			}
			return []string{
				"--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
				"--cluster-node-timeout", strconv.FormatInt(nodeTimeout.Milliseconds(), 10),
				"--cluster-port", strconv.Itoa(bus),
			}
		}))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicasPerMaster), "--cluster-yes")
	var out bytes.Buffer
	create := exec.Command(cli, args...)
	create.Stdout, create.Stderr = &out, &out
	if err := create.Run(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out.String())
	}
	if err := c.WaitHealthy(topologyTimeout); err != nil {
		t.Fatalf("redistest: the cluster did not form: %v\n%s", err, out.String())
	}
	return c
}

// Addrs are the addresses of every node, masters and replicas, as a
// go-redis ClusterClient takes them.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Nodes are the cluster's servers.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// node returns the server at addr, or nil.
func (c *Cluster) node(addr string) *Server {
	for _, n := range c.nodes {
		if n.Addr() == addr {
			return n
		}
	}
	return nil
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	addr   string
	master bool
	failed bool
	slots  [][2]int
}

// topology reads CLUSTER NODES from the first node that answers.
func (c *Cluster) topology() ([]clusterNode, error) {
	var lastErr error
	for _, n := range c.nodes {
		text, err := command(n.Addr(), "CLUSTER", "NODES")
		if err != nil {
			lastErr = err
			continue
		}
		var nodes []clusterNode
		for line := range strings.Lines(text) {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			flags := strings.Split(f[2], ",")
			cn := clusterNode{
				addr:   addr,
				master: slices.Contains(flags, "master"),
				failed: slices.Contains(flags, "fail") || slices.Contains(flags, "fail?") || f[7] != "connected",
			}
			for _, r := range f[8:] {
				if strings.HasPrefix(r, "[") {
					continue // a slot being migrated
				}
				lo, hi, ok := strings.Cut(r, "-")
				if !ok {
					hi = lo
				}
				a, err1 := strconv.Atoi(lo)
				b, err2 := strconv.Atoi(hi)
				if err1 == nil && err2 == nil {
					cn.slots = append(cn.slots, [2]int{a, b})
				}
			}
			nodes = append(nodes, cn)
		}
		return nodes, nil
	}
	return nil, fmt.Errorf("no node answers CLUSTER NODES: %w", lastErr)
}

// MasterOf returns the master serving key's slot, as the cluster sees it
// now.
func (c *Cluster) MasterOf(key string) *Server {
	c.t.Helper()
	nodes, err := c.topology()
	if err != nil {
		c.t.Fatalf("redistest: %v", err)
	}
	slot := Slot(key)
	for _, n := range nodes {
		for _, r := range n.slots {
			if n.master && slot >= r[0] && slot <= r[1] {
				if s := c.node(n.addr); s != nil {
					return s
				}
			}
		}
	}
	c.t.Fatalf("redistest: no master serves slot %d", slot)
	return nil
}

// WaitHealthy waits until every running node reports cluster_state:ok and
// knows every other node, and every running replica's link to its master is
// up.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.healthy()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) healthy() error {
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		info, err := command(n.Addr(), "CLUSTER", "INFO")
		if err != nil {
			return fmt.Errorf("%s: %w", n.Addr(), err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster state not ok", n.Addr())
		}
		repl, err := command(n.Addr(), "INFO", "replication")
		if err != nil {
			return fmt.Errorf("%s: %w", n.Addr(), err)
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("%s: replica not in sync", n.Addr())
		}
	}
	return nil
}

// CommandStats reads INFO commandstats from every running master.
func (c *Cluster) CommandStats() ([]map[string]int64, error) {
	var all []map[string]int64
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		role, err := command(n.Addr(), "ROLE")
		if err != nil || !strings.HasPrefix(role, "master") {
			continue
		}
		m, err := n.CommandStats()
		if err != nil {
			return nil, err
		}
		all = append(all, m)
	}
	return all, nil
}
