//go:build linux

package host_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/providers/host"
	"github.com/gowbem/gowbem/wbem"
)

// Test accounts: numbers no real account has, used without entries in
// /etc/passwd (the kernel needs none).
const (
	aliceUID = 40001
	bobUID   = 40002
)

func account(name string, uid uint32) *identity.Account {
	return &identity.Account{Name: name, UID: uid, GID: uid, Groups: []uint32{uid}, Home: "/"}
}

var (
	alice  = &identity.Caller{Name: "alice", Account: account("alice", aliceUID)}
	bob    = &identity.Caller{Name: "bob", Account: account("bob", bobUID)}
	nobody = &identity.Caller{Name: "nobody"} // no Linux account
	admin  = &identity.Caller{Name: "admin", Admin: true}
)

// needRoot skips a test that must change users, unless GOWBEM_REQUIRE_ALL=1.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
		t.Fatal("this test starts processes as other users: it needs root, and GOWBEM_REQUIRE_ALL=1")
	}
	t.Skip("this test starts processes as other users: it needs root")
}

// callAs runs a method as c and returns its out-parameters or its error.
func callAs(t *testing.T, svc *wbem.Services, c *identity.Caller, path, method string, in map[string]cim.Value) (*cim.Instance, error) {
	t.Helper()
	var pin *cim.Instance
	if in != nil {
		pin = cimtest.Params(t, in)
	}
	cr, err := svc.ExecMethod(identity.NewContext(context.Background(), c), path, method, pin, 0)
	if err != nil {
		return nil, err
	}
	o, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	return o.(*cim.Instance), nil
}

// sleepAs starts `sleep 60` as uid (0: as this process) and waits until it
// sleeps.
func sleepAs(t *testing.T, uid uint32) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat"); strings.Contains(string(b), ") S") {
			break
		}
	}
	return cmd // a goroutine reaps it; alive reports whether it still runs
}

func alive(cmd *exec.Cmd) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(string(b[i:]), ") Z")
}

func waitGone(cmd *exec.Cmd) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !alive(cmd) {
			return true
		}
	}
	return false
}

// Terminate signals only what the caller's account may signal: another
// user's process stays, the caller's own goes, an administrator may end
// any; a caller without an account ends none.
func TestTerminateAsCaller(t *testing.T) {
	needRoot(t)
	svc := newOM(t, host.Config{})
	pathOf := func(cmd *exec.Cmd) string { return `Win32_Process.Handle="` + strconv.Itoa(cmd.Process.Pid) + `"` }
	alices := sleepAs(t, aliceUID)
	roots := sleepAs(t, 0)
	for _, tc := range []struct {
		caller *identity.Caller
		target *exec.Cmd
		want   string
	}{
		{bob, alices, "2"},    // another user's process
		{nobody, alices, "2"}, // no account
		{alice, roots, "2"},   // root's process
		{alice, alices, "0"},  // her own
		{admin, roots, "0"},   // an administrator
	} {
		out, err := callAs(t, svc, tc.caller, pathOf(tc.target), "Terminate", nil)
		if err != nil {
			t.Fatalf("%s terminating %d: %v", tc.caller.Name, tc.target.Process.Pid, err)
		}
		if got := out.Value("ReturnValue").Text(); got != tc.want {
			t.Errorf("%s terminating a process of uid %v: %s, want %s", tc.caller.Name, tc.target.SysProcAttr, got, tc.want)
		}
		if tc.want == "0" && !waitGone(tc.target) {
			t.Errorf("%s: the process survived Terminate", tc.caller.Name)
		}
		if tc.want == "2" && !alive(tc.target) {
			t.Fatalf("%s: a refused Terminate killed the process", tc.caller.Name)
		}
	}
}

// statusIDs returns the Uid: and Gid: lines of a process.
func statusIDs(t *testing.T, pid int) (uid, gid string) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid = strings.Join(strings.Fields(v), " ")
		}
		if v, ok := strings.CutPrefix(line, "Gid:"); ok {
			gid = strings.Join(strings.Fields(v), " ")
		}
	}
	return uid, gid
}

// Create starts the process as the caller's account, never as root for a
// user; without an account a user starts nothing.
func TestCreateAsCaller(t *testing.T) {
	needRoot(t)
	svc := newOM(t, host.Config{AllowCreate: true})
	private := t.TempDir() // 0700, root's
	for _, tc := range []struct {
		caller   *identity.Caller
		dir      string
		want     string
		uid, gid string
	}{
		{bob, "/", "0", "40002 40002 40002 40002", "40002 40002 40002 40002"},
		{bob, private, "2", "", ""},
		{nobody, "/", "2", "", ""},
		{admin, "/", "0", "0 0 0 0", ""},
		{&identity.Caller{Name: "carol", Admin: true, Account: account("carol", aliceUID)}, "/", "0", "40001 40001 40001 40001", ""},
	} {
		out, err := callAs(t, svc, tc.caller, "Win32_Process", "Create", map[string]cim.Value{
			"CommandLine": cim.String("sleep 30"), "CurrentDirectory": cim.String(tc.dir)})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Value("ReturnValue").Text(); got != tc.want {
			t.Errorf("%s in %s: %s, want %s", tc.caller.Name, tc.dir, got, tc.want)
			continue
		}
		if tc.want != "0" {
			continue
		}
		pid := int(out.Value("ProcessId").Uint())
		uid, gid := statusIDs(t, pid)
		syscall.Kill(pid, syscall.SIGKILL)
		if uid != tc.uid || tc.gid != "" && gid != tc.gid {
			t.Errorf("%s's process runs as uid %s gid %s, want %s %s", tc.caller.Name, uid, gid, tc.uid, tc.gid)
		}
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// Chkdsk with repairs needs an administrator; a check without repairs reads
// the volume as the caller's account. On a loop device over a damaged image
// (or the image itself where loop devices are not available).
func TestChkdskAsCaller(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	img := makeExt4(t, dir)
	corruptRootInode(t, img)
	os.Chmod(img, 0o600)
	vol := img
	if out, err := exec.Command("losetup", "--find", "--show", img).Output(); err == nil {
		vol = strings.TrimSpace(string(out))
		// The device node outlives the test: leave it as it was found.
		var st syscall.Stat_t
		syscall.Stat(vol, &st)
		t.Cleanup(func() {
			os.Chown(vol, int(st.Uid), int(st.Gid))
			os.Chmod(vol, os.FileMode(st.Mode&0o777))
			exec.Command("losetup", "-d", vol).Run()
		})
		os.Chown(vol, 0, 0)
		os.Chmod(vol, 0o600)
	} else {
		t.Logf("no loop device (%v): checking the image file itself", err)
	}
	svc := newOM(t, host.Config{VolumePaths: []string{dir, "/dev"}})
	path := `Win32_LogicalDisk.DeviceID="` + vol + `"`
	before := sum(t, img)
	for _, c := range []*identity.Caller{bob, nobody} {
		for _, in := range []map[string]cim.Value{{"FixErrors": cim.Bool(true)}, {"RecoverBadSectors": cim.Bool(true)}} {
			if _, err := callAs(t, svc, c, path, "Chkdsk", in); !errors.Is(err, cim.ErrAccessDenied) {
				t.Errorf("%s repairing: %v, want WBEM_E_ACCESS_DENIED", c.Name, err)
			}
		}
	}
	// A check without repairs as bob: the volume is root's, 0600.
	if _, err := callAs(t, svc, bob, path, "Chkdsk", map[string]cim.Value{"FixErrors": cim.Bool(false)}); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("bob checking a volume he may not read: %v", err)
	}
	if _, err := callAs(t, svc, nobody, path, "Chkdsk", nil); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("a user without an account checking: %v", err)
	}
	if sum(t, img) != before {
		t.Fatal("refused calls changed the volume")
	}
	// Once bob may read it, his check runs as him and finds the damage.
	os.Chown(vol, bobUID, bobUID)
	out, err := callAs(t, svc, bob, path, "Chkdsk", nil)
	if err != nil || out.Value("ReturnValue").Text() != "3" {
		t.Errorf("bob checking a volume he may read: %v %v, want 3 (errors found, not fixed)", out, err)
	}
	if sum(t, img) != before {
		t.Fatal("a check without repairs changed the volume")
	}
	out, err = callAs(t, svc, admin, path, "Chkdsk", map[string]cim.Value{"FixErrors": cim.Bool(true)})
	if err != nil || out.Value("ReturnValue").Text() != "0" {
		t.Fatalf("an administrator repairing: %v %v", out, err)
	}
	if sum(t, img) == before {
		t.Error("the repair changed nothing")
	}
}

// Power and service control change the system: administrators only.
func TestPowerNeedsAdmin(t *testing.T) {
	var acted []host.PowerAction
	svc := newOM(t, host.Config{AllowPower: true, Power: func(_ context.Context, a host.PowerAction) error {
		acted = append(acted, a)
		return nil
	}})
	osPath := func() string {
		insts := enumerate(t, svc, "Win32_OperatingSystem")
		return insts[0].ObjectPath().RelPath()
	}()
	for _, tc := range []struct {
		c    *identity.Caller
		want string
	}{{bob, strconv.Itoa(host.ReturnPrivilegeNotHeld)}, {admin, "0"}} {
		out, err := callAs(t, svc, tc.c, osPath, "Reboot", nil)
		if err != nil || out.Value("ReturnValue").Text() != tc.want {
			t.Errorf("Reboot by %s: %v %v, want %s", tc.c.Name, out, err, tc.want)
		}
	}
	if len(acted) != 1 {
		t.Errorf("power acted %d times, want once (for the administrator)", len(acted))
	}
}
