//go:build linux

package host

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitFor receives from ch until match says yes, failing after 10 s.
func waitFor[T any](t *testing.T, ch <-chan T, what string, match func(T) bool) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-deadline:
			t.Fatalf("no %s within 10 s", what)
		}
	}
}

func TestWatchProcesses(t *testing.T) {
	for _, poll := range []bool{false, true} {
		h := newHost(Config{PollProcesses: poll, EventPollInterval: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		// The watcher sees every process of the machine (teammates' builds
		// too): keep them all by pid rather than in a queue that may fill.
		var mu sync.Mutex
		seen := map[int][]procEvent{}
		var pid int
		src, err := h.watchProcesses(ctx, func(e procEvent) {
			mu.Lock()
			seen[e.pid] = append(seen[e.pid], e)
			mu.Unlock()
		})
		find := func(what string, match func(procEvent) bool) procEvent {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				for _, e := range seen[pid] {
					if match(e) {
						mu.Unlock()
						return e
					}
				}
				mu.Unlock()
			}
			t.Fatalf("no %s within 10 s", what)
			return procEvent{}
		}
		if err != nil {
			t.Fatal(err)
		}
		if poll && src != SourcePolling {
			t.Errorf("source %s, want polling", src)
		}
		t.Logf("source %s", src)
		cmd := exec.Command("/bin/sh", "-c", "sleep 0.3; exit 3")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid = cmd.Process.Pid
		start := find("start of "+src, func(e procEvent) bool { return e.start })
		// A poll can catch the child between fork and exec, still named
		// after this test binary; the kernel's exec event cannot.
		shell := start.name == "sh" || start.name == "dash" || start.name == "bash"
		forked := start.source == SourcePolling && start.name == filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))]
		if !shell && !forked {
			t.Errorf("start %+v", start)
		}
		cmd.Wait()
		stop := find("stop of "+src, func(e procEvent) bool { return !e.start })
		if stop.source == SourceConnector && (!stop.exitKnown || stop.exitStatus != 3) {
			t.Errorf("stop %+v, want exit status 3", stop)
		}
		cancel()
	}
}

// Subscribers share one watcher: each gets every event (two connector
// sockets in one process would silence the first), and the watcher stops
// after the last one leaves.
func TestSubscribeProcessesShared(t *testing.T) {
	h := newHost(Config{EventPollInterval: 20 * time.Millisecond})
	var mu sync.Mutex
	// Every subscriber's set exists before the first subscription: a
	// callback may run (and read got) while later ones subscribe.
	got := map[int]map[int]bool{0: {}, 1: {}, 2: {}} // subscriber → pids started
	var cancels []context.CancelFunc
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		if _, err := h.subscribeProcesses(ctx, func(e procEvent) {
			if e.start {
				mu.Lock()
				got[i][e.pid] = true
				mu.Unlock()
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		all := got[0][pid] && got[1][pid] && got[2][pid]
		mu.Unlock()
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every subscriber saw %d", pid)
		}
	}
	for _, c := range cancels {
		c()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		h.procs.mu.Lock()
		stopped := h.procs.subs == nil
		h.procs.mu.Unlock()
		if stopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher outlives its subscribers")
		}
	}
}

// Mounts of a fixture's mountinfo, which the kernel does not signal: the
// watcher polls and reports arrivals and removals, pseudo file systems
// aside.
func TestWatchMountsPolling(t *testing.T) {
	root := t.TempDir()
	mi := filepath.Join(root, "proc/self/mountinfo")
	os.MkdirAll(filepath.Dir(mi), 0o755)
	base := "27 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	// The kernel's mountinfo is read whole or not at all; a fixture written
	// in place could be read half-written (a spurious removal of /), so each
	// version replaces the file at once.
	write := func(s string) {
		tmp := mi + ".new"
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, mi); err != nil {
			t.Fatal(err)
		}
	}
	write(base)
	h := newHost(Config{Root: root, EventPollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan mountEvent, 64)
	if err := h.watchMounts(ctx, func(e mountEvent) { ch <- e }); err != nil {
		t.Fatal(err)
	}
	write(base + "40 27 0:50 / /proc2 rw - proc proc rw\n41 27 8:17 / /mnt/usb rw - vfat /dev/sdb1 rw\n")
	e := waitFor(t, ch, "arrival", func(mountEvent) bool { return true })
	if !e.arrival || e.point != "/mnt/usb" || e.source != "/dev/sdb1" {
		t.Errorf("arrival %+v", e)
	}
	write(base)
	e = waitFor(t, ch, "removal", func(mountEvent) bool { return true })
	if e.arrival || e.point != "/mnt/usb" {
		t.Errorf("removal %+v", e)
	}
}

// TestSystemdInsideInternal runs inside TestSystemd's namespaces (see
// systemd_test.go): service state changes from systemd's signals, and
// mounts the kernel signals, in the namespace's private /tmp.
func TestSystemdInsideInternal(t *testing.T) {
	if os.Getenv("GOWBEM_TEST_SYSTEMD_INSIDE") == "" {
		t.Skip("runs only inside TestSystemd's namespaces")
	}
	h := newHost(Config{Systemd: SystemdPrivateSocket, EventPollInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := make(chan serviceEvent, 64)
	if err := h.watchServices(ctx, func(e serviceEvent) { svc <- e }); err != nil {
		t.Fatal(err)
	}
	c, err := h.sd.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	if _, err := c.StartUnitContext(ctx, "gowbem-tmpl@one.service", "replace", done); err != nil {
		t.Fatal(err)
	}
	<-done
	e := waitFor(t, svc, "Running", func(e serviceEvent) bool { return e.unit == "gowbem-tmpl@one.service" && e.state == "Running" })
	if e.previous != "Stopped" && e.previous != "Start Pending" && e.previous != "" {
		t.Errorf("previous %q", e.previous)
	}
	if _, err := c.StopUnitContext(ctx, "gowbem-tmpl@one.service", "replace", done); err != nil {
		t.Fatal(err)
	}
	<-done
	waitFor(t, svc, "Stopped", func(e serviceEvent) bool { return e.unit == "gowbem-tmpl@one.service" && e.state == "Stopped" })

	// The namespace's /tmp is its own tmpfs: mounting there touches
	// nothing of the machine.
	mnt := filepath.Join(os.TempDir(), "gowbem-watch-mount")
	if !strings.HasPrefix(mnt, "/tmp/") {
		t.Skipf("TMPDIR is %s, not the namespace's /tmp", os.TempDir())
	}
	os.MkdirAll(mnt, 0o755)
	mounts := make(chan mountEvent, 64)
	if err := h.watchMounts(ctx, func(e mountEvent) { mounts <- e }); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("gowbem", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, mounts, "arrival", func(e mountEvent) bool { return e.arrival && e.point == mnt && e.fstype == "tmpfs" })
	if err := syscall.Unmount(mnt, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, mounts, "removal", func(e mountEvent) bool { return !e.arrival && e.point == mnt })
}

// A second connector socket (here in this process; another program's does
// the same) sends its listen request to every member of the group: the
// first watcher ignores it and goes on hearing the kernel.
func TestConnectorSurvivesOtherListeners(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	seen := map[int][]string{}
	h1 := newHost(Config{EventPollInterval: 20 * time.Millisecond})
	src, err := h1.watchProcesses(ctx, func(e procEvent) {
		if e.start {
			mu.Lock()
			seen[e.pid] = append(seen[e.pid], e.source)
			mu.Unlock()
		}
	})
	if err != nil || src != SourceConnector {
		t.Skipf("no process events connector here (%s, %v)", src, err)
	}
	h2 := newHost(Config{})
	if _, err := h2.watchProcesses(ctx, func(procEvent) {}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cmd := exec.Command("sleep", "0.5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(seen[pid])
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first watcher went deaf")
		}
	}
}

// procEventMsg builds a connector message as the kernel sends it.
func procEventMsg(what uint32, data ...uint32) []byte {
	ne := binary.NativeEndian
	ev := make([]byte, 16+4*len(data))
	ne.PutUint32(ev[0:], what)
	for i, d := range data {
		ne.PutUint32(ev[16+4*i:], d)
	}
	b := make([]byte, 20, 20+len(ev))
	ne.PutUint32(b[0:], 1) // CN_IDX_PROC
	ne.PutUint32(b[4:], 1) // CN_VAL_PROC
	ne.PutUint16(b[16:], uint16(len(ev)))
	return append(b, ev...)
}

func TestParseProcEvent(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want procEvent
		ok   bool
	}{
		{"exec", procEventMsg(procEventExec, 42, 42), procEvent{start: true, pid: 42}, true},
		{"exec of a thread", procEventMsg(procEventExec, 43, 42), procEvent{}, false},
		{"exit 3", procEventMsg(procEventExit, 42, 42, 3<<8, 0, 1, 1), procEvent{pid: 42, ppid: 1, exitStatus: 3, exitKnown: true}, true},
		{"killed", procEventMsg(procEventExit, 42, 42, 9, 17, 1, 1), procEvent{pid: 42, ppid: 1, exitKnown: false}, true},
		{"fork", procEventMsg(0x1, 1, 1, 42, 42), procEvent{}, false},
		{"short exit", procEventMsg(procEventExit, 42, 42), procEvent{}, false},
		{"not the connector", append([]byte{9, 0, 0, 0}, procEventMsg(procEventExec, 42, 42)[4:]...), procEvent{}, false},
		{"length past the end", func() []byte { b := procEventMsg(procEventExec, 42, 42); b[16] = 200; return b }(), procEvent{}, false},
		{"empty", nil, procEvent{}, false},
	} {
		got, ok := parseProcEvent(c.b)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// FuzzParseProcEvent: any bytes give an event of a positive pid or none,
// never a panic.
func FuzzParseProcEvent(f *testing.F) {
	f.Add(procEventMsg(procEventExec, 42, 42))
	f.Add(procEventMsg(procEventExit, 42, 42, 3<<8, 0, 1, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, ok := parseProcEvent(b); ok && e.pid <= 0 {
			t.Fatalf("%+v", e)
		}
	})
}
