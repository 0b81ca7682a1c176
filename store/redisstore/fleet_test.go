package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/store/redisstore/internal/redistest"
)

// The fleet test runs the test binary again as worker processes. These
// variables tell a worker what to do; without IOTAUTH_FLEET_WORKER the
// worker test skips.
const (
	envWorker     = "IOTAUTH_FLEET_WORKER"     // "load" or "hold"
	envRedis      = "IOTAUTH_FLEET_REDIS"      // Redis address
	envPlatform   = "IOTAUTH_FLEET_PLATFORM"   // emulator base URL
	envUntil      = "IOTAUTH_FLEET_UNTIL"      // end of the run, Unix nanoseconds
	envGoroutines = "IOTAUTH_FLEET_GOROUTINES" // goroutines sending requests
	envProfile    = "IOTAUTH_FLEET_PROFILE"    // "outage" or "outage-defaults" for outageOptions, else fleetOptions
	envWindow     = "IOTAUTH_FLEET_WINDOW"     // the refresh window of an outage worker
)

// reportPrefix marks the line of a worker's stdout that holds its report.
const reportPrefix = "FLEET-REPORT "

// The fleet of the issue: 8 processes of 50 goroutines each, on a platform
// whose tokens live 3 s, for 20 s.
const (
	fleetProcesses  = 8
	fleetGoroutines = 50
	fleetTokenTTL   = 3 * time.Second
	fleetRun        = 20 * time.Second
)

// fleetOptions are the cache options of a fleet worker. The refresh window
// is short so that each token serves most of its 3 s (it stops being valid
// 0.3 s early, its skew) and the fleet needs about one token per 2.6 s.
// The default rule would refresh 1.5 s early and double the logins.
func fleetOptions() []iotauth.CacheOption {
	return []iotauth.CacheOption{
		iotauth.WithRefreshWindow(100 * time.Millisecond),
		iotauth.WithLease(2 * time.Second),
		iotauth.WithRefreshTimeout(5 * time.Second),
	}
}

// workerReport is what a worker prints.
type workerReport struct {
	load
	Stats    iotauth.CacheStats `json:"stats"`
	Timeline []string           `json:"timeline,omitempty"`
}

func TestFleet_EightProcessesSharingRedis_NoFailedRequestAndAtMostOneLoginPerTokenLifetime(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet test runs for 20 s; skipped with -short")
	}
	rs := redistest.Start(t)
	emu := iotauthtest.NewServer(iotauthtest.WithTokenTTL(fleetTokenTTL))
	defer emu.Close()

	until := time.Now().Add(fleetRun)
	reports := runWorkers(t, fleetProcesses, func(int) []string {
		return []string{
			envWorker + "=load",
			envRedis + "=" + rs.Addr(),
			envPlatform + "=" + emu.URL,
			envUntil + "=" + strconv.FormatInt(until.UnixNano(), 10),
			envGoroutines + "=" + strconv.Itoa(fleetGoroutines),
		}
	})

	var total load
	for i, r := range reports {
		t.Logf("worker %d: %d requests, %d failed; cache %+v", i, r.Requests, r.Failures, r.Stats)
		total.add(r.load)
	}
	tokens := emu.OceanConnect.Logins() + emu.OceanConnect.Refreshes()
	limit := int64(fleetRun/fleetTokenTTL) + 2
	t.Logf("fleet: %d requests, %d failed; platform: %d logins + %d refreshes (limit %d), %d rejected",
		total.Requests, total.Failures, emu.OceanConnect.Logins(), emu.OceanConnect.Refreshes(), limit,
		emu.OceanConnect.Rejected())
	if t.Failed() || total.Failures > 0 || tokens > limit {
		for i, r := range reports {
			t.Logf("worker %d timeline:\n  %s", i, strings.Join(r.Timeline, "\n  "))
		}
	}
	require.Len(t, reports, fleetProcesses)
	assert.Positive(t, total.Requests)
	assert.Zero(t, total.Failures, "failed requests, first ones: %q", total.FirstErrors)
	assert.LessOrEqual(t, tokens, limit, "logins + refreshes across the fleet")
	assert.Positive(t, tokens)
}

// TestFleetWorker is one process of a fleet test. It runs only when the
// fleet test starts it.
func TestFleetWorker(t *testing.T) {
	mode := os.Getenv(envWorker)
	if mode == "" {
		t.Skip("a fleet worker process: started by the fleet tests")
	}
	var tl timeline
	opts := fleetOptions()
	if p := os.Getenv(envProfile); strings.HasPrefix(p, "outage") {
		window, err := time.ParseDuration(os.Getenv(envWindow))
		require.NoError(t, err)
		opts = outageOptions(p == "outage", window)
	}
	r, err := newReplica(os.Getenv(envPlatform), os.Getenv(envRedis), append(opts, iotauth.WithHook(tl.hook))...)
	require.NoError(t, err)
	switch mode {
	case "load":
		nanos, err := strconv.ParseInt(os.Getenv(envUntil), 10, 64)
		require.NoError(t, err)
		n, err := strconv.Atoi(os.Getenv(envGoroutines))
		require.NoError(t, err)
		l := hammer(r, n, time.Unix(0, nanos), nil)
		// The cache is not closed: OceanConnect's Close logs out, which
		// would end the token that the other workers still use.
		out, err := json.Marshal(workerReport{load: l, Stats: r.cache.Stats(), Timeline: tl.list()})
		require.NoError(t, err)
		fmt.Println(reportPrefix + string(out))
	case "hold":
		// Logs in, which takes the fleet lock first, and is killed while
		// the (slowed down) login is in flight.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := r.cache.Token(ctx)
		t.Fatalf("the holder was meant to be killed during its login; Token returned %v", err)
	default:
		t.Fatalf("unknown %s %q", envWorker, mode)
	}
}

// startWorker starts the test binary as a fleet worker with env added to
// the environment. Its stdout goes to out.
func startWorker(t *testing.T, env []string, out *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetWorker$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// runWorkers runs n load workers at once, env(i) being worker i's
// variables, and returns their reports in order.
func runWorkers(t *testing.T, n int, env func(i int) []string) []workerReport {
	t.Helper()
	return collectWorkers(t, startWorkers(t, n, env))
}

// workers are running worker processes and their output.
type workers struct {
	cmds []*exec.Cmd
	outs []bytes.Buffer
}

// startWorkers starts n load workers, env(i) being worker i's variables.
func startWorkers(t *testing.T, n int, env func(i int) []string) *workers {
	t.Helper()
	w := &workers{cmds: make([]*exec.Cmd, n), outs: make([]bytes.Buffer, n)}
	for i := range n {
		w.cmds[i] = startWorker(t, env(i), &w.outs[i])
	}
	return w
}

// collectWorkers waits for the workers to exit and returns their reports in
// order.
func collectWorkers(t *testing.T, w *workers) []workerReport {
	t.Helper()
	errs := make([]error, len(w.cmds))
	var wg sync.WaitGroup
	for i, cmd := range w.cmds {
		wg.Go(func() { errs[i] = cmd.Wait() })
	}
	wg.Wait()
	var reports []workerReport
	for i := range w.cmds {
		if errs[i] != nil {
			t.Errorf("worker %d: %v\n%s", i, errs[i], w.outs[i].String())
			continue
		}
		r, ok := parseReport(w.outs[i].Bytes())
		if !ok {
			t.Errorf("worker %d printed no report:\n%s", i, w.outs[i].String())
			continue
		}
		reports = append(reports, r)
	}
	return reports
}

// parseReport finds a worker's report in its output.
func parseReport(out []byte) (workerReport, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), reportPrefix); ok {
			var r workerReport
			if json.Unmarshal([]byte(line), &r) == nil {
				return r, true
			}
		}
	}
	return workerReport{}, false
}
