//go:build linux

package providerhost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/daemon"
	"github.com/gowbem/gowbem/internal/providerhost"
	"github.com/gowbem/gowbem/wbem"
	_ "github.com/gowbem/gowbem/wsman" // the wsman protocol of wbem.Connect
)

// The isolation test, through the daemon as users run it: wbemd
// (internal/daemon's Run, on 127.0.0.1, a store in a temporary directory)
// with three out-of-process providers registered by `wbem mofcomp`: Small
// (sound: 100 instances), Hang (never answers; its registration's
// OperationTimeoutInterval is hangTimeout) and Boom (SIGKILLs its own
// process when asked for an instance other than Id 0). 64 WS-Management
// clients over HTTP, each with a connection of its own, call them at once
// while Hang's calls hang and one of Boom's kills it:
//   - every enumeration of Small returns its 100 instances, and all of them
//     end while Hang's calls still hang (a call held up behind the hung
//     provider would end only after them); the same load on Small alone
//     runs first, for comparison;
//   - the calls to Hang fail after the timeout with
//     WBEM_E_PROVIDER_TIMED_OUT naming it — or, for the others it had in
//     flight when the late one had it killed, WBEM_E_PROVIDER_FAILURE
//     naming it (docs/providers.md, Isolation);
//   - the call that kills Boom, and any other it had in flight, fail with
//     WBEM_E_PROVIDER_FAILURE naming it; the others succeed, and the next
//     call after the storm is served by a new process.
func TestDaemonServesWhileOneProviderHangsAndAnotherCrashes(t *testing.T) {
	const (
		hangTimeout = 15 * time.Second
		clients     = 64
		iterations  = 2
		items       = 100 // Small's instances
	)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	log := &cimtest.SyncBuffer{}
	url, pwFile := startDaemon(t, log)
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	creds := wbem.Credentials{User: daemon.AdminUser, Password: strings.TrimSpace(string(pw))}

	// Registered as users do it: wbem mofcomp into the running daemon.
	mofFile := filepath.Join(t.TempDir(), "providers.mof")
	if err := os.WriteFile(mofFile, []byte(isolationMOF(t, hangTimeout)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := cli.Run(ctx, []string{"--host", url, "--password-file", pwFile, "mofcomp", mofFile}, cli.Env{Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("wbem mofcomp: exit %d: %s\n%s", code, errb.String(), log)
	}

	connect := func() *wbem.Services {
		svc, err := wbem.Connect(ctx, url, `root\cimv2`, creds)
		if err != nil {
			t.Error(err)
			return nil
		}
		return svc
	}
	// The sound provider and Boom run before the clock starts.
	svc := connect()
	if svc == nil {
		t.FailNow()
	}
	defer svc.Close()
	if got, err := enumerate(ctx, svc, "GW_Small"); err != nil || len(got) != items {
		t.Fatalf("Small: %d instances, %v\n%s", len(got), err, log)
	}
	before, err := getInstance(ctx, svc, "GW_Boom.Id=0")
	if err != nil {
		t.Fatalf("Boom: %v\n%s", err, log)
	}

	type hung struct {
		err  error
		took time.Duration
	}
	var (
		wg                   sync.WaitGroup
		mu                   sync.Mutex
		problems             []string
		hangs                []hung
		slowest              time.Duration
		lastSound, firstHang time.Time // when the last call to Small ended, and the first to Hang
		sound                int
		boomOK               int
		boomLost             int
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	faults := true
	client := func(i int) {
		defer wg.Done()
		if !faults && i%8 < 2 {
			return
		}
		svc := connect()
		if svc == nil {
			return
		}
		defer svc.Close()
		switch i % 8 {
		case 0: // the hanging provider: its calls hold their callers for the timeout
			begin := time.Now()
			_, err := enumerate(ctx, svc, "GW_Hang")
			mu.Lock()
			hangs = append(hangs, hung{err, time.Since(begin)})
			if firstHang.IsZero() {
				firstHang = time.Now()
			}
			mu.Unlock()
			return
		}
		for n := range iterations {
			switch i % 8 {
			case 1: // the crashing provider: client 1's second call kills it
				path := "GW_Boom.Id=0"
				if i == 1 && n == 1 {
					path = "GW_Boom.Id=1"
				}
				_, err := getInstance(ctx, svc, path)
				switch {
				case err == nil && path == "GW_Boom.Id=0":
					mu.Lock()
					boomOK++
					mu.Unlock()
				case isStatus(err, cim.WBEM_E_PROVIDER_FAILURE) && strings.Contains(err.Error(), "Boom"):
					mu.Lock()
					boomLost++
					mu.Unlock()
				case path == "GW_Boom.Id=1":
					problem("the call that killed Boom: %v, want WBEM_E_PROVIDER_FAILURE naming Boom", err)
				default:
					problem("a call to Boom: %v, want success or WBEM_E_PROVIDER_FAILURE naming Boom", err)
				}
			default: // the sound provider
				begin := time.Now()
				got, err := enumerate(ctx, svc, "GW_Small")
				took := time.Since(begin)
				if err != nil || len(got) != items {
					problem("Small: %d instances, %v", len(got), err)
				}
				mu.Lock()
				slowest = max(slowest, took)
				lastSound = time.Now()
				sound++
				mu.Unlock()
			}
		}
	}
	// The same load on Small alone first, for comparison.
	faults = false
	begin := time.Now()
	for i := range clients {
		wg.Add(1)
		go client(i)
	}
	wg.Wait()
	alone, aloneAll := slowest, time.Since(begin)
	slowest, sound, faults = 0, 0, true
	// The hanging calls first; the others start once Hang's process is
	// serving them (it starts on its first call).
	start := time.Now()
	for i := 0; i < clients; i += 8 {
		wg.Add(1)
		go client(i)
	}
	for !strings.Contains(log.String(), "provider=Hang") {
		if time.Since(start) > time.Minute {
			t.Fatalf("Hang's process did not start within a minute\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range clients {
		if i%8 != 0 {
			wg.Add(1)
			go client(i)
		}
	}
	wg.Wait()
	all := lastSound.Sub(start)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d calls to Small, the slowest took %v (%v alone), all of them within %v (%v alone); Boom: %d served, %d lost to its crash",
		sound, slowest, alone, all, aloneAll, boomOK, boomLost)
	if sound != (clients-clients/4)*iterations {
		t.Errorf("%d calls to Small, want %d", sound, (clients-clients/4)*iterations)
	}
	// Isolation: no call to Small waited for Hang's calls to end (they all
	// ended before the first of those did), and none took the hang's timeout.
	if !lastSound.Before(firstHang) || slowest >= hangTimeout {
		t.Errorf("the calls to Small ended %v after the first call to Hang (negative: before it), the slowest took %v: "+
			"they did not all end while Hang hung, within its timeout (%v)", lastSound.Sub(firstHang), slowest, hangTimeout)
	}
	if boomLost == 0 {
		t.Error("no call to Boom failed: the call that kills it did not")
	}

	timedOut := 0
	for _, h := range hangs {
		switch {
		case isStatus(h.err, cim.WBEM_E_PROVIDER_TIMED_OUT) && strings.Contains(h.err.Error(), `"Hang"`):
			timedOut++
			if h.took < hangTimeout || h.took > hangTimeout+time.Minute {
				t.Errorf("a call to Hang timed out after %v, not its registration's %v", h.took, hangTimeout)
			}
		case isStatus(h.err, cim.WBEM_E_PROVIDER_FAILURE) && strings.Contains(h.err.Error(), `"Hang"`):
			// In flight on the process the timed-out call had killed.
		default:
			t.Errorf("a call to Hang after %v: %v, want WBEM_E_PROVIDER_TIMED_OUT (or WBEM_E_PROVIDER_FAILURE) naming Hang", h.took, h.err)
		}
	}
	t.Logf("Hang: %d calls, %d timed out", len(hangs), timedOut)
	if len(hangs) != clients/8 || timedOut == 0 {
		t.Errorf("%d calls to Hang ended, %d of them timed out; want %d, and at least one", len(hangs), timedOut, clients/8)
	}

	// After the storm, Boom is served again, by a new process.
	after, err := getInstance(ctx, svc, "GW_Boom.Id=0")
	if err != nil {
		t.Fatalf("Boom after its crash: %v\n%s", err, log)
	}
	if b, a := startedAt(t, before), startedAt(t, after); !a.After(b) {
		t.Errorf("Boom's process after the crash started at %v, not after the first (%v): not restarted", a, b)
	}
}

// isolationMOF registers the test binary's providers Small, Hang and Boom
// (child_test.go, boundary_test.go) with classes of the workload's layout.
func isolationMOF(t *testing.T, hangTimeout time.Duration) string {
	user := ""
	if u := providerhost.ProviderAccount(); u != "" {
		user = `User = "` + u + `";`
	}
	var b strings.Builder
	for _, p := range []struct {
		name, command string
		timeout       time.Duration
	}{
		{"Small", providerhost.ChildCommandLine(t), 0},
		{"Hang", providerhost.ChildCommandLine(t), hangTimeout},
		{"Boom", providerhost.BoundaryCommandLine(t), 0},
	} {
		timeout := ""
		if p.timeout > 0 {
			timeout = fmt.Sprintf(`OperationTimeoutInterval = "%014d.000000:000";`, int(p.timeout.Seconds()))
		}
		fmt.Fprintf(&b, `
[Dynamic, Provider("%[1]s")]
class GW_%[1]s {
	[Key] uint32 Id;
	string Name;
	string Description;
	string Owner;
	string Status;
	sint64 Count;
	uint64 Size;
	uint16 Flags;
	datetime Created;
	boolean Active;
};

instance of __Win32Provider as $%[1]s {
	Name = "%[1]s";
	CommandLine = "%[2]s";
	HostingModel = "SelfHost";
	%[3]s
	%[4]s
};

instance of __InstanceProviderRegistration {
	Provider = $%[1]s;
	SupportsGet = TRUE;
	SupportsEnumeration = TRUE;
};
`, p.name, p.command, timeout, user)
	}
	return b.String()
}

// startDaemon runs wbemd (internal/daemon's Run) in this process on a
// loopback port, with its store in a temporary directory; the test's end
// stops it.
func startDaemon(t *testing.T, log *cimtest.SyncBuffer) (url, passwordFile string) {
	t.Helper()
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Config{StateDir: state, HTTPAddr: "127.0.0.1:0",
			Logger:  slog.New(slog.NewTextHandler(log, nil)),
			Install: func(context.Context, *cimom.ObjectManager) error { return nil },
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
		return "http://" + addr.String() + "/wsman", filepath.Join(state, daemon.AdminPasswordFile)
	case err := <-done:
		t.Fatalf("wbemd: %v\n%s", err, log)
	}
	return "", ""
}

func enumerate(ctx context.Context, svc *wbem.Services, class string) ([]cim.Object, error) {
	e, err := svc.CreateInstanceEnum(ctx, class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return nil, err
	}
	return e.Collect(ctx)
}

func getInstance(ctx context.Context, svc *wbem.Services, path string) (*cim.Instance, error) {
	r, err := svc.GetObject(ctx, path, 0)
	if err != nil {
		return nil, err
	}
	obj, err := r.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	return obj.(*cim.Instance), nil
}

// startedAt is when Boom's process started, as its instance Id 0 says.
func startedAt(t *testing.T, boom *cim.Instance) time.Time {
	t.Helper()
	d, err := boom.Value("Created").Datetime()
	if err != nil {
		t.Fatal(err)
	}
	at, err := d.Time()
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func isStatus(err error, st cim.Status) bool {
	return errors.Is(err, &cim.Error{Status: st})
}
