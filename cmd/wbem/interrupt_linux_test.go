package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SIGINT cancels a running command, which says so and exits 130: an
// in-process one (wbem takes the signal over before it opens the store)
// and a remote one that has run past interruptAfter.
func TestInterrupt(t *testing.T) {
	wbem := program(t)
	t.Run("in-process", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state")
		mof := filepath.Join("..", "..", "internal", "cli", "testdata", "base.mof")
		if out, err := exec.Command(wbem, "--state-dir", state, "mofcomp", mof).CombinedOutput(); err != nil {
			t.Fatalf("mofcomp: %v\n%s", err, out)
		}
		cmd := exec.Command(wbem, "--state-dir", state, "watch", "--created", "GW_Base")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		// The store's lock held: wbem has the signals.
		deadline := time.Now().Add(30 * time.Second)
		for !holdsLock(t, cmd.Process.Pid) {
			if time.Now().After(deadline) {
				t.Fatal("wbem watch never opened the store")
			}
			time.Sleep(10 * time.Millisecond)
		}
		interrupt(t, cmd, &stderr)
	})
	t.Run("remote", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		done := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The client's Identify is answered (it waits for it whatever
			// its context says); the operation after it hangs.
			if body, _ := io.ReadAll(r.Body); bytes.Contains(body, []byte("Identify")) {
				http.Error(w, "no Identify here", http.StatusNotImplemented)
				return
			}
			select {
			case arrived <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}))
		defer srv.Close()
		defer close(done)
		cmd := exec.Command(wbem, "--host", srv.URL+"/wsman", "get", "X")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("wbem's request never arrived")
		}
		// A real process, so no synctest: wait until it has run well past
		// interruptAfter, when its timer has taken the signals over.
		time.Sleep(time.Until(start.Add(interruptAfter + time.Second)))
		interrupt(t, cmd, &stderr)
	})
}

// interrupt sends SIGINT to the running wbem and checks that it said so
// and exited 130.
func interrupt(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "wbem: interrupted") {
		t.Fatalf("after SIGINT: %v (%v), stderr %q; want exit 130 and wbem: interrupted", err, cmd.ProcessState, stderr)
	}
}

// holdsLock reports whether process pid holds a file lock (/proc/locks).
func holdsLock(t *testing.T, pid int) bool {
	f, err := os.Open("/proc/locks")
	if err != nil {
		t.Skip("no /proc/locks:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: FLOCK  ADVISORY  WRITE 12345 fe:00:9994341 0 EOF
		if f := strings.Fields(sc.Text()); len(f) > 4 && f[4] == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}
