//go:build linux

package providerhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// boomProcess reads the Boom provider's process: when it started, its uid
// and its pid's low 16 bits.
func boomProcess(t testing.TB, svc *wbem.Services) (time.Time, uint64, uint16) {
	t.Helper()
	inst, err := get(svc, `GW_Item.Id=0`)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := inst.Value("Created").Datetime()
	if err != nil {
		t.Fatal(err)
	}
	at, err := dt.Time()
	if err != nil {
		t.Fatal(err)
	}
	return at, inst.Value("Size").Uint(), uint16(inst.Value("Flags").Uint())
}

// execAt returns when the host started the one process it runs.
func execAt(t testing.TB, h *Host) time.Time {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.procs {
		started, _ := p.run.times()
		return started
	}
	t.Fatal("no provider process")
	return time.Time{}
}

// After a crash the next call starts the provider again only once the
// backoff has passed: the new process is started at least FirstBackoff
// after the crash (a restart that ignored the wait would start it at once).
func TestRestartWaitsForTheBackoff(t *testing.T) {
	const backoff = time.Second
	h := newHost(t, Config{Policy: Policy{FirstBackoff: backoff, MaxBackoff: backoff, MaxCrashes: 100, CrashWindow: time.Minute}})
	svc := omWith(h.Proxy(boundaryReg(t, "Boom", SelfHost))).Services(workload.Namespace)
	_, _, pid := boomProcess(t, svc) // started at once: no crash yet
	crashAt := time.Now()
	_, err := get(svc, `GW_Item.Id=1`)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Boom"`, "signal: killed")
	crashed := time.Now()
	if _, _, pid2 := boomProcess(t, svc); pid2 == pid {
		t.Fatalf("the same process (pid %d) serves after the crash", pid)
	}
	restarted := execAt(t, h)
	t.Logf("the crash call took %v; the process was started again %v after it ended", crashed.Sub(crashAt), restarted.Sub(crashed))
	if wait := restarted.Sub(crashAt); wait < backoff {
		t.Errorf("the provider was started again %v after its crash, before the backoff (%v)", wait, backoff)
	}
}

// nobodyCopy returns a copy of the test binary in a directory every account
// can reach (the go tool's is root's own), and nobody's account.
func nobodyCopy(t *testing.T) (string, *user.User) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no account nobody:", err)
	}
	dir, err := os.MkdirTemp("", "gowbem-accounts-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	exe := filepath.Join(dir, "provider")
	if err := copyFile(exe, self(t)[0]); err != nil {
		t.Fatal(err)
	}
	return exe, nobody
}

// A provider registered with an explicit account runs as that account, not
// the daemon's default one.
func TestProviderRunsAsItsRegisteredAccount(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatal("needs root, to run a provider as another account")
		}
		t.Skip("needs root, to run a provider as another account")
	}
	exe, nobody := nobodyCopy(t)
	daemon, err := user.Lookup("daemon")
	if err != nil {
		t.Skip("no account daemon:", err)
	}
	for _, tc := range []struct {
		user string
		want *user.User
	}{
		{"nobody", nobody},   // by name
		{daemon.Uid, daemon}, // by uid, and not the default account (nobody)
	} {
		h := newHost(t, Config{DefaultUser: "nobody"})
		r := boundaryReg(t, "Boom", SelfHost)
		r.Command[0], r.User = exe, tc.user
		svc := omWith(h.Proxy(r)).Services(workload.Namespace)
		_, uid, _ := boomProcess(t, svc)
		if strconv.FormatUint(uid, 10) != tc.want.Uid {
			t.Errorf("registered as %q, the provider runs as uid %d, want %s (%s)", tc.user, uid, tc.want.Uid, tc.want.Username)
		}
	}
}

// nonRootArg makes TestNonRootDaemon run its checks (as the account that
// the test, as root, started it as).
const nonRootEnv = "GOWBEM_TEST_NON_ROOT"

// A daemon that is not root runs providers as itself, and refuses a
// registration naming another account with WBEM_E_ACCESS_DENIED naming the
// provider. As root, the test runs itself as nobody.
func TestNonRootDaemonRefusesOtherAccounts(t *testing.T) {
	if os.Geteuid() == 0 {
		if os.Getenv(nonRootEnv) != "" {
			t.Fatal("still root")
		}
		exe, nobody := nobodyCopy(t)
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		cmd := exec.Command(exe, "-test.run=^TestNonRootDaemonRefusesOtherAccounts$", "-test.count=1", "-test.v")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", nonRootEnv + "=1"}
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestNonRootDaemonRefusesOtherAccounts") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	me, err := user.Current()
	if err != nil {
		t.Skip("who am I:", err)
	}
	h := newHost(t, Config{})
	for _, other := range []string{"root", "0"} {
		r := boundaryReg(t, "Boom", SelfHost)
		r.User = other
		svc := omWith(h.Proxy(r)).Services(workload.Namespace)
		_, err := get(svc, `GW_Item.Id=0`)
		wantStatus(t, err, cim.WBEM_E_ACCESS_DENIED, `"Boom"`, other)
	}
	// Its own account, by name, is no other.
	r := boundaryReg(t, "Boom", SelfHost)
	r.User = me.Username
	svc := omWith(h.Proxy(r)).Services(workload.Namespace)
	if _, uid, _ := boomProcess(t, svc); strconv.FormatUint(uid, 10) != me.Uid {
		t.Errorf("the provider runs as uid %d, not the daemon's %s", uid, me.Uid)
	}
}

// Serving while one provider hangs and another crashes: 64 clients of ONE
// object manager; the hanging provider's calls time out, the crashing one's
// fail, and every call to the sound provider succeeds well within the hang's
// timeout (a sound call held up behind the hung one would take it whole).
func TestOneObjectManagerServesWhileOneHangsAndOneCrashes(t *testing.T) {
	const hangTimeout = 10 * time.Second
	h := newHost(t, Config{Policy: Policy{FirstBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, MaxCrashes: 1000, CrashWindow: time.Minute}})
	hung := reg(t, "Hang", SelfHost)
	hung.Timeout = hangTimeout
	om := omWith(h.Proxy(reg(t, "Small", SelfHost)))
	om.RegisterProvider("Hang", h.Proxy(hung))
	om.RegisterProvider("Crash", h.Proxy(reg(t, "Crash", SelfHost)))
	svc := om.Services(workload.Namespace)
	for _, name := range []string{"Hang", "Crash"} {
		c := workload.Class()
		c.Name = "GW_" + name
		c.Qualifiers = cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String(name)}}
		if err := do(svc.PutClass(context.Background(), c, 0)); err != nil {
			t.Fatal(err)
		}
	}
	// The sound provider's process is started before the clock starts.
	if got, err := collect(t, svc, "SELECT * FROM GW_Item"); err != nil || len(got) != 100 {
		t.Fatalf("sound provider: %d instances, %v", len(got), err)
	}

	const clients, iterations = 64, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients*iterations)
	var mu sync.Mutex
	var slowest time.Duration
	sound := 0
	faults := true
	client := func(i int) {
		defer wg.Done()
		if !faults && i%8 < 2 {
			return
		}
		switch i % 8 {
		case 0: // the hanging provider: it holds its caller for the timeout
			_, err := get(svc, `GW_Hang.Id=1`)
			if !errors.Is(err, &cim.Error{Status: cim.WBEM_E_PROVIDER_TIMED_OUT}) && !errors.Is(err, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE}) {
				errs <- fmt.Errorf("hanging provider: %v", err)
			}
			return
		}
		for range iterations {
			switch i % 8 {
			case 1: // the crashing provider
				_, err := get(svc, `GW_Crash.Id=1`)
				if !errors.Is(err, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE}) && !errors.Is(err, &cim.Error{Status: cim.WBEM_E_PROVIDER_LOAD_FAILURE}) {
					errs <- fmt.Errorf("crashing provider: %v", err)
				}
			default: // the sound one, through the same object manager
				begin := time.Now()
				got, err := collect(t, svc, "SELECT * FROM GW_Item")
				took := time.Since(begin)
				if err != nil || len(got) != 100 {
					errs <- fmt.Errorf("sound provider: %d instances, %v", len(got), err)
				}
				mu.Lock()
				slowest = max(slowest, took)
				sound++
				mu.Unlock()
			}
		}
	}
	// The same load without the faults, for comparison.
	faults = false
	for i := range clients {
		wg.Add(1)
		go client(i)
	}
	wg.Wait()
	alone := slowest
	slowest, sound, faults = 0, 0, true
	// The hanging calls first: the others run while they hang.
	for i := 0; i < clients; i += 8 {
		wg.Add(1)
		go client(i)
	}
	for i := range clients {
		if i%8 != 0 {
			wg.Add(1)
			go client(i)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d sound calls, the slowest took %v (%v without the faults)", sound, slowest, alone)
	if slowest >= hangTimeout/2 {
		t.Errorf("a call to the sound provider took %v while another provider hung, not well within the hang's timeout (%v)", slowest, hangTimeout)
	}
}
