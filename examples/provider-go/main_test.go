//go:build linux

package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/daemon"
)

// The acceptance test of issue 17, as the README tells it: build the
// provider, start wbemd, substitute @PROVIDER@ in register.mof, wbem mofcomp
// it into the running daemon, and wbem enum lists the items; SIGKILL of the
// provider fails only the call in flight, and the next one works.

// static says why bin, an ELF executable, is not statically linked: it names
// a dynamic loader (PT_INTERP).
func static(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (it has an ELF interpreter); the README builds it static", bin)
		}
	}
	return nil
}

// built is the provider executable the tests share, built once.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildProvider builds this example (once) into a directory every account
// can read, since as root the daemon runs it as nobody.
func buildProvider(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "provider-go-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		if err := os.Chmod(dir, 0o755); err != nil {
			built.err = err
			return
		}
		bin := filepath.Join(dir, "provider-go")
		// As the README builds it: static, which starts faster.
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		if err := static(bin); err != nil {
			built.err = err
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	// A copy of its own per test: tests find their provider's process by
	// its executable.
	dir, err := os.MkdirTemp(built.dir, "t-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(built.bin)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "provider-go")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// startDaemon runs wbemd in this process on a loopback port.
func startDaemon(t *testing.T, log *cimtest.SyncBuffer) (url, passwordFile string) {
	url, passwordFile, _ = startDaemonOM(t, log)
	return url, passwordFile
}

// startDaemonOM runs wbemd in this process on a loopback port and returns
// its object manager too, for in-process calls.
func startDaemonOM(t *testing.T, log *cimtest.SyncBuffer) (url, passwordFile string, om *cimom.ObjectManager) {
	t.Helper()
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Config{StateDir: state, HTTPAddr: "127.0.0.1:0",
			Logger:  slog.New(slog.NewTextHandler(log, nil)),
			Install: func(_ context.Context, m *cimom.ObjectManager) error { om = m; return nil },
			Ready:   func(http, _ net.Addr) { ready <- http }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("wbemd: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr.String() + "/wsman", filepath.Join(state, daemon.AdminPasswordFile), om
	case err := <-done:
		t.Fatalf("wbemd: %v\n%s", err, log)
	}
	return "", "", nil
}

// wbem runs the wbem command against the daemon.
func wbem(url, pwFile string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	args = append([]string{"--host", url, "--password-file", pwFile}, args...)
	code = cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// pidOf finds the process running the executable bin.
func pidOf(bin string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == bin {
			return pid
		}
	}
	return 0
}

func TestRegisterAndServe(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("out-of-process providers run on Linux")
	}
	bin := buildProvider(t)
	log := &cimtest.SyncBuffer{}
	url, pw := startDaemon(t, log)

	mof, err := os.ReadFile("register.mof")
	if err != nil {
		t.Fatal(err)
	}
	regFile := filepath.Join(t.TempDir(), "register.mof")
	if err := os.WriteFile(regFile, bytes.ReplaceAll(mof, []byte("@PROVIDER@"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := wbem(url, pw, "mofcomp", regFile); code != 0 {
		t.Fatalf("mofcomp: exit %d: %s\n%s", code, errs, log)
	}

	code, out, errs := wbem(url, pw, "-o", "csv", "enum", "Example_Item")
	if code != 0 {
		t.Fatalf("enum: exit %d: %s\n%s", code, errs, log)
	}
	for _, want := range []string{"apple", "banana", "cherry"} {
		if !strings.Contains(out, want) {
			t.Errorf("enum lacks %s:\n%s", want, out)
		}
	}
	if code, out, errs = wbem(url, pw, "call", `Example_Item.Id=1`, "Grow", "By=5"); code != 0 || !strings.Contains(out, "205") {
		t.Errorf("Grow: exit %d, %q %q", code, out, errs)
	}

	// A call in flight when the provider is killed fails with
	// WBEM_E_PROVIDER_FAILURE naming the provider.
	type result struct {
		code     int
		out, err string
	}
	inflight := make(chan result, 1)
	go func() {
		c, o, e := wbem(url, pw, "call", "Example_Item", "Sleep", "Milliseconds=60000")
		inflight <- result{c, o, e}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(log.String(), "sleeping 60000 ms") {
		if time.Now().After(deadline) {
			t.Fatalf("the provider never started sleeping:\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pid := pidOf(bin)
	if pid == 0 {
		t.Fatal("no provider process")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-inflight:
		if r.code != cli.ExitFailed || !strings.Contains(r.err, "WBEM_E_PROVIDER_FAILURE") || !strings.Contains(r.err, "ExampleProvider") {
			t.Errorf("the call in flight: exit %d, %q", r.code, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call in flight did not end when its provider was killed")
	}

	// The next query works again, on a new process.
	code, out, errs = wbem(url, pw, "enum", "Example_Item")
	if code != 0 || !strings.Contains(out, "cherry") {
		t.Fatalf("after the crash: exit %d: %s %s", code, out, errs)
	}
	if p := pidOf(bin); p == 0 || p == pid {
		t.Errorf("provider pid %d after the crash (was %d)", p, pid)
	}
	if os.Geteuid() == 0 {
		// Registered without a User: never root.
		status, _ := os.ReadFile("/proc/" + strconv.Itoa(pidOf(bin)) + "/status")
		if strings.Contains(string(status), "\nUid:\t0\t") {
			t.Errorf("the provider runs as root:\n%s", status)
		}
	}

	// Deleting the registration stops it.
	if code, _, errs := wbem(url, pw, "delete", `__Win32Provider.Name="ExampleProvider"`); code != 0 {
		t.Fatalf("delete: %s", errs)
	}
	deadline = time.Now().Add(30 * time.Second)
	for pidOf(bin) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the provider still runs after its registration was deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
