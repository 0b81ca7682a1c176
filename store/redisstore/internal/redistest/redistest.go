package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is a running (or stopped) redis-server owned by one test.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	addr string

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd has exited
	paused bool          // SIGSTOPped
}

// Start runs redis-server on a free loopback port and waits until it
// answers PING. The server is killed when the test ends. When redis-server
// is not on PATH the test is skipped, or failed if the environment has
// CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	return startServer(t, binary(t), nil)
}

// binary finds redis-server, or skips t (fails it under CI=true).
func binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		const msg = "redis-server is not on PATH (apt-get install redis-server)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; it is required when CI=true")
		}
		t.Skip(msg + "; skipping this test, which needs a real Redis")
	}
	return bin
}

// startServer runs bin on a free port with the common settings, then
// extra(port, dir), and waits until it answers PING.
func startServer(t testing.TB, bin string, extra func(port int, dir string) []string) *Server {
	t.Helper()
	var lastErr error
	for range 5 { // the free port may be taken between the probe and the start
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		dir := t.TempDir()
		s := &Server{t: t, bin: bin, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		if extra != nil {
			s.args = extra(port, dir) // a config file, when any, comes first
		}
		s.args = append(s.args,
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--save", "",
			"--appendonly", "no",
			"--dir", dir,
			"--protected-mode", "yes",
		)
		if debugFlagSupported(bin) {
			s.args = append(s.args, "--enable-debug-command", "local")
		}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redistest: starting redis-server: %v", lastErr)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Stop shuts the server down gracefully (SIGTERM) and waits for it to exit.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill kills the server (SIGKILL), as a crash would, and waits for it to
// exit. Clients see their connections reset and new ones refused.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Restart starts a stopped or killed server again on the same port, empty
// (nothing is persisted), and waits until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		s.Kill()
	}
	var err error
	for range 20 {
		// The port may stay busy for a moment after the old process died.
		if err = s.start(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("redistest: restarting redis-server on %s: %v", s.addr, err)
	}
}

// Pause stops the server's process (SIGSTOP): connections stay open but
// nothing is answered, as on a host that froze or a long GC-like stall.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && !s.paused {
		_ = s.cmd.Process.Signal(syscall.SIGSTOP)
		s.paused = true
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.paused {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		s.paused = false
	}
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	if s.paused {
		_ = s.cmd.Process.Signal(syscall.SIGCONT) // a stopped process handles SIGTERM once continued
		s.paused = false
	}
	<-s.exited
	s.cmd = nil
}

// ClosedAddr returns a loopback address on which nothing listens.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("redistest: finding a free port: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// start runs the server and waits for PING; on failure the process is gone.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, s.args...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(startTimeout)
	for {
		if ping(s.addr) == nil {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		select {
		case <-exited: // such as "Address already in use"
			return fmt.Errorf("redis-server exited: %s", strings.TrimSpace(out.String()))
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("no PING answer from %s within %v: %s", s.addr, startTimeout, strings.TrimSpace(out.String()))
		case <-tick.C:
		}
	}
}

// ping sends PING to addr and expects +PONG.
func ping(addr string) error {
	line, err := command(addr, "PING")
	if err != nil {
		return err
	}
	if line != "PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var versionRE = regexp.MustCompile(`v=(\d+)\.`)

// debugFlagSupported reports whether the server knows
// --enable-debug-command (Redis 7 and later, where DEBUG is off by default).
func debugFlagSupported(bin string) bool {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return false
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(string(m[1]))
	return major >= 7
}

// lockedBuffer collects the server's output, written by exec's copying
// goroutine and read on failure.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// running reports whether the server's process is up (possibly paused).
func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}
