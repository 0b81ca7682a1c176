//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/store"
	"github.com/iotauth/iotauth/store/storetest"
)

// The multi-process tests re-execute this test binary; TestMain turns the
// child into a writer or a lock holder when these variables are set.
const (
	envRole = "IOTAUTH_FILESTORE_CHILD"
	envDir  = "IOTAUTH_FILESTORE_DIR"
	envID   = "IOTAUTH_FILESTORE_ID"
	envN    = "IOTAUTH_FILESTORE_N"
)

// processKey is the one key every process of a test works on.
var processKey = iotauth.StoreKey("oceanconnect", "https://iot.example.invalid:8743", "app-1")

func TestMain(m *testing.M) {
	if role := os.Getenv(envRole); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(m.Run())
}

// runChild is a child process's whole life; its exit code is the verdict.
func runChild(role string) int {
	f, err := store.NewFile(os.Getenv(envDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	id, _ := strconv.Atoi(os.Getenv(envID))
	n, _ := strconv.Atoi(os.Getenv(envN))
	ctx := context.Background()
	switch role {
	case "writer": // n saves, reporting each on stdout
		for i := range n {
			if err := f.Save(ctx, processKey, bigToken(id*100000+i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Println("saved", i)
		}
		return 0
	case "locker": // takes the lock n times, checking nobody else holds it
		held, contended := 0, 0
		marker := filepath.Join(os.Getenv(envDir), "holder")
		deadline := time.Now().Add(time.Minute)
		for held < n && time.Now().Before(deadline) {
			lease, err := f.Lock(ctx, processKey, time.Minute)
			if errors.Is(err, iotauth.ErrLockHeld) {
				contended++
				continue
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			mf, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				fmt.Fprintln(os.Stderr, "two holders at once:", err)
				return 3
			}
			mf.Close()
			// Work while holding the lock, as a login would.
			if err := f.Save(ctx, processKey, storetest.Token(id*100000+held, time.Hour)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := lease.Renew(ctx, time.Minute); err != nil {
				fmt.Fprintln(os.Stderr, "renew while holding:", err)
				return 1
			}
			if err := os.Remove(marker); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := lease.Unlock(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			held++
		}
		fmt.Printf("held %d contended %d\n", held, contended)
		if held < n {
			return 4
		}
		return 0
	case "holder": // takes the lock for n ms (a minute if 0) and keeps it until killed
		lease := time.Minute
		if n > 0 {
			lease = time.Duration(n) * time.Millisecond
		}
		if _, err := f.Lock(ctx, processKey, lease); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin) // returns when the parent closes stdin
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown role", role)
	return 2
}

// bigToken is a token of about 64 KiB, so that a write takes long enough
// to be interrupted in the middle. Its fields all derive from n, so a mix of
// two tokens is detected.
func bigToken(n int) *iotauth.Token {
	t := storetest.Token(n, time.Hour)
	t.Extra["padding"] = strings.Repeat(strconv.Itoa(n%10), 64<<10)
	return t
}

// requireWholeBigToken fails unless t is one complete bigToken.
func requireWholeBigToken(t *testing.T, tok *iotauth.Token) {
	t.Helper()
	require.NotNil(t, tok, "the token file is missing or empty")
	var n int
	_, err := fmt.Sscanf(tok.AccessToken, "access-%d-SECRET", &n)
	require.NoError(t, err)
	want := bigToken(n)
	require.Equal(t, want.RefreshToken, tok.RefreshToken)
	require.Equal(t, want.Extra, tok.Extra)
}

// child starts this test binary as a child process in role.
func child(t *testing.T, dir, role string, id, n int) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"="+role, envDir+"="+dir, envID+"="+strconv.Itoa(id), envN+"="+strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child %s %d stderr: %s", role, id, stderr.String())
		}
	})
	return cmd, bufio.NewScanner(stdout), stdin
}

func TestFile_WritersInSeveralProcesses_FileAlwaysDecodes(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir)
	const procs, saves = 4, 40
	var cmds []*exec.Cmd
	var drained sync.WaitGroup
	for id := 1; id <= procs; id++ {
		cmd, out, _ := child(t, dir, "writer", id, saves)
		cmds = append(cmds, cmd)
		drained.Add(1)
		go func() {
			defer drained.Done()
			for out.Scan() {
			}
		}()
	}
	// Read while the children write: every read sees a whole token.
	done := make(chan error, 1)
	go func() {
		var err error
		for _, c := range cmds {
			if e := c.Wait(); e != nil && err == nil {
				err = e
			}
		}
		done <- err
	}()
	reads := 0
	for waiting := true; waiting; {
		select {
		case err := <-done:
			require.NoError(t, err, "a writer failed")
			waiting = false
		default:
			tok, err := f.Load(t.Context(), processKey)
			require.NoError(t, err)
			if tok != nil {
				requireWholeBigToken(t, tok)
				reads++
			}
		}
	}
	drained.Wait()
	tok, err := f.Load(t.Context(), processKey)
	require.NoError(t, err)
	requireWholeBigToken(t, tok)
	t.Logf("%d concurrent reads, all whole", reads)
	temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	require.Empty(t, temps, "finished writers leave no temporary file")
}

func TestFile_WriterKilledMidWrite_FileAlwaysDecodes(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir)
	for round := range 8 {
		cmd, out, _ := child(t, dir, "writer", round+1, 1000000)
		require.True(t, out.Scan(), "the writer stopped early")
		go func() {
			for out.Scan() {
			}
		}()
		// Read while it writes, for a varying while, so that the kill lands
		// at different points of a write.
		for range 1 + 4*round {
			tok, err := f.Load(t.Context(), processKey)
			require.NoError(t, err, "round %d", round)
			requireWholeBigToken(t, tok)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())

		tok, err := f.Load(t.Context(), processKey)
		require.NoError(t, err, "round %d", round)
		requireWholeBigToken(t, tok)
	}
}

func TestFile_LockContendedByProcesses_OneHolderAtATime(t *testing.T) {
	dir := tokenDir(t)
	newFile(t, dir) // creates dir with mode 0700
	const procs, holds = 3, 15
	var cmds []*exec.Cmd
	var outs []*bufio.Scanner
	for id := 1; id <= procs; id++ {
		cmd, out, _ := child(t, dir, "locker", id, holds)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	contended := 0
	for i, cmd := range cmds {
		var held, c int
		require.True(t, outs[i].Scan(), "locker %d printed nothing", i+1)
		_, err := fmt.Sscanf(outs[i].Text(), "held %d contended %d", &held, &c)
		require.NoError(t, err)
		require.NoError(t, cmd.Wait(), "locker %d (exit 3: two holders at once)", i+1)
		require.Equal(t, holds, held)
		contended += c
	}
	require.Positive(t, contended, "the processes never met the lock held: the test proved nothing")
}

func TestFile_LockHolderProcessKilled_KernelReleasesTheLock(t *testing.T) {
	dir := tokenDir(t)
	f := newFile(t, dir)
	cmd, out, _ := child(t, dir, "holder", 1, 0)
	require.True(t, out.Scan())
	require.Equal(t, "locked", out.Text())

	_, err := f.Lock(t.Context(), processKey, time.Minute)
	require.ErrorIs(t, err, iotauth.ErrLockHeld, "the child holds the lock")

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	lease, err := f.Lock(t.Context(), processKey, time.Minute)
	require.NoError(t, err, "the dead holder's lock is released")
	require.NoError(t, lease.Renew(t.Context(), time.Minute))
	require.NoError(t, lease.Unlock(t.Context()))
}

func TestFile_LockHolderProcessStopped_AnotherTakesOverOnceItsLeaseRanOut(t *testing.T) {
	dir := tokenDir(t)
	f, other := newFile(t, dir), newFile(t, dir)
	const lease = 300 * time.Millisecond
	cmd, out, _ := child(t, dir, "holder", 1, int(lease/time.Millisecond))
	require.True(t, out.Scan())
	require.Equal(t, "locked", out.Text())
	// The holder freezes: alive, so the kernel keeps its flock, but it
	// renews nothing.
	require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
	defer func() { _ = cmd.Process.Signal(syscall.SIGCONT) }()
	start := time.Now()

	_, err := f.Lock(t.Context(), processKey, time.Minute)
	require.ErrorIs(t, err, iotauth.ErrLockHeld, "the lease still runs")
	var lease2 iotauth.Lease
	require.Eventually(t, func() bool {
		lease2, err = f.Lock(t.Context(), processKey, time.Minute)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "nobody took over from the stopped holder")
	require.GreaterOrEqual(t, time.Since(start), lease-50*time.Millisecond)

	_, err = other.Lock(t.Context(), processKey, time.Minute)
	require.ErrorIs(t, err, iotauth.ErrLockHeld, "one holder after the takeover")
	require.NoError(t, lease2.Renew(t.Context(), time.Minute))
	require.NoError(t, lease2.Unlock(t.Context()))
}

func TestFile_LockRenewedByItsHolder_IsNotTakenOver(t *testing.T) {
	dir := tokenDir(t)
	f, other := newFile(t, dir), newFile(t, dir)
	const lease = time.Second
	l, err := f.Lock(t.Context(), processKey, lease)
	require.NoError(t, err)
	for range 4 {
		time.Sleep(lease / 3)
		require.NoError(t, l.Renew(t.Context(), lease))
		_, err := other.Lock(t.Context(), processKey, lease)
		require.ErrorIs(t, err, iotauth.ErrLockHeld)
	}
	require.NoError(t, l.Unlock(t.Context()))
	l, err = other.Lock(t.Context(), processKey, lease)
	require.NoError(t, err)
	require.NoError(t, l.Unlock(t.Context()))
}
