package redistest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CommandStats reads INFO commandstats from the server: how many times
// each command ran (lower-case names, subcommands as "cluster|info"). It
// counts every client's commands, the harness's own INFO among them.
func (s *Server) CommandStats() (map[string]int64, error) {
	info, err := command(s.addr, "INFO", "commandstats")
	if err != nil {
		return nil, err
	}
	return ParseCommandStats(info), nil
}

// ResetStats zeroes the server's statistics (CONFIG RESETSTAT), so that
// CommandStats counts from now on.
func (s *Server) ResetStats() error {
	_, err := command(s.addr, "CONFIG", "RESETSTAT")
	return err
}

// ParseCommandStats reads the calls of each command from the text of INFO
// commandstats, whose lines read
// "cmdstat_get:calls=12,usec=40,usec_per_call=3.33,rejected_calls=0,failed_calls=0".
func ParseCommandStats(info string) map[string]int64 {
	stats := make(map[string]int64)
	for line := range strings.Lines(info) {
		name, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		name, ok = strings.CutPrefix(name, "cmdstat_")
		if !ok {
			continue
		}
		for f := range strings.SplitSeq(fields, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					stats[name] = n
				}
			}
		}
	}
	return stats
}

// Sum adds the calls of several servers (the masters of a Cluster) and
// leaves out the commands named in except (such as the harness's "info").
func Sum(stats []map[string]int64, except ...string) int64 {
	var n int64
	for _, m := range stats {
		for name, calls := range m {
			skip := false
			for _, e := range except {
				if name == e || strings.HasPrefix(name, e+"|") {
					skip = true
				}
			}
			if !skip {
				n += calls
			}
		}
	}
	return n
}

// Slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of the key, or
// of its hash tag (the part between the first "{" and the next "}", when
// not empty), modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// WaitReplicated waits until every replica of the server (a master) has
// acknowledged all it has written so far: replication is asynchronous, and
// a master killed before that loses the last writes.
func (s *Server) WaitReplicated(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		info, err := command(s.addr, "INFO", "replication")
		if err == nil && replicated(info) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replicas of %s not in sync within %v", s.addr, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// replicated reads INFO replication: true when every replica's offset has
// reached master_repl_offset.
func replicated(info string) bool {
	var offset string
	var replicas []string
	for line := range strings.Lines(info) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "master_repl_offset:"); ok {
			offset = v
		}
		if strings.HasPrefix(line, "slave") && strings.Contains(line, "offset=") {
			for f := range strings.SplitSeq(line, ",") {
				if v, ok := strings.CutPrefix(f, "offset="); ok {
					replicas = append(replicas, v)
				}
			}
		}
	}
	if offset == "" {
		return false
	}
	for _, r := range replicas {
		if r != offset {
			return false
		}
	}
	return true
}
