//go:build linux

package host_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/providers/host"
	"github.com/gowbem/gowbem/wbem"
)

// insideEnv marks the test binary re-executed inside the namespaces of the
// test's own systemd (see TestSystemd).
const insideEnv = "GOWBEM_TEST_SYSTEMD_INSIDE"

// systemdBinary is Debian's systemd (package systemd).
const systemdBinary = "/lib/systemd/systemd"

// bootScript runs as the first process of new PID and mount namespaces: it
// makes every mount private to them, hides the machine's /run, /tmp and
// /var/tmp behind fresh tmpfs (systemd's boot empties /tmp), and becomes a
// systemd that sees only the test's units ($1) and starts the test's
// target ($2). The unit path also holds /run/systemd/system, which lies on
// the namespace's fresh /run and starts empty: ChangeStartMode's runtime
// links (enable --runtime, mask --runtime) go there, and systemd honours
// them only from a directory of its unit path.
const bootScript = `set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /var/tmp
export container=other
export SYSTEMD_UNIT_PATH="/run/systemd/system:$1"
exec ` + systemdBinary + ` --system --unit="$2"
`

// needTools skips (fails under GOWBEM_REQUIRE_ALL=1) when the test cannot
// start its own systemd.
func needTools(t *testing.T) {
	t.Helper()
	missing := ""
	if os.Geteuid() != 0 {
		missing = "root (to create namespaces)"
	}
	for _, tool := range []string{"unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = tool + " (util-linux, mount)"
		}
	}
	if _, err := os.Stat(systemdBinary); err != nil {
		missing = systemdBinary + " (Debian package systemd)"
	}
	if missing == "" {
		return
	}
	if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
		t.Fatalf("%s is missing and GOWBEM_REQUIRE_ALL=1", missing)
	}
	t.Skipf("%s is missing: cannot start a systemd of the test's own", missing)
}

// cgroupDirs lists the directories directly under each cgroup hierarchy,
// to remove those the test's systemd creates.
func cgroupDirs() map[string]bool {
	out := map[string]bool{}
	hier, _ := filepath.Glob("/sys/fs/cgroup/*")
	hier = append(hier, "/sys/fs/cgroup")
	for _, h := range hier {
		ents, _ := os.ReadDir(h)
		for _, e := range ents {
			if e.IsDir() {
				out[filepath.Join(h, e.Name())] = true
			}
		}
	}
	return out
}

// removeCgroups removes, deepest first, the cgroup directories that appeared
// since before (empty once the namespace's processes are gone).
func removeCgroups(t *testing.T, before map[string]bool) {
	for dir := range cgroupDirs() {
		if before[dir] {
			continue
		}
		var dirs []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			for try := 0; try < 50; try++ {
				if err := syscall.Rmdir(dirs[i]); err == nil || err == syscall.ENOENT {
					break
				} else if err != syscall.EBUSY {
					t.Logf("rmdir %s: %v", dirs[i], err)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

// childOf returns the first child of pid (the namespace's PID 1 under
// unshare --fork).
func childOf(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// TestSystemd starts a systemd of its own in new PID and mount namespaces
// that see only testdata/systemd/units, then re-runs this test binary
// inside them (TestSystemdInside), where systemd's private socket is
// /run/systemd/private. It ends by killing the namespace's PID 1, which
// takes every process of the namespace with it.
func TestSystemd(t *testing.T) {
	if os.Getenv(insideEnv) != "" {
		t.Skip("running inside the test's systemd")
	}
	needTools(t)
	units, err := filepath.Abs("testdata/systemd/units")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()

	before := cgroupDirs()
	var boot bytes.Buffer
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount", "--mount-proc", "sh", "-c", bootScript, "sh", units, "gowbem-test.target")
	cmd.Stdout, cmd.Stderr = &boot, &boot
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid1 int
	defer func() {
		if pid1 > 0 {
			syscall.Kill(pid1, syscall.SIGKILL)
		} else {
			cmd.Process.Kill()
		}
		cmd.Wait()
		removeCgroups(t, before)
		if t.Failed() {
			t.Logf("unshare and systemd said:\n%s", boot.String())
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pid1 == 0 {
			if pid1 = childOf(cmd.Process.Pid); pid1 == 0 {
				continue
			}
		}
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid1) + "/comm"); strings.TrimSpace(string(comm)) != "systemd" {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid1) + "/root/run/systemd/private"); err == nil {
			break
		}
	}
	if pid1 == 0 || time.Now().After(deadline) {
		t.Fatalf("systemd did not come up within 30 s (pid %d)", pid1)
	}

	// The test binary lies under the machine's /tmp, which the namespace
	// hides: hand it over as an open file and run it from there.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"-t", strconv.Itoa(pid1), "-m", "-p", "--wd=" + mustGetwd(t), "/proc/self/fd/3",
		"-test.run=^TestSystemdInside", "-test.count=1", "-test.timeout=3m"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	if benchtime := os.Getenv("GOWBEM_BENCH_SYSTEMD"); benchtime != "" {
		if benchtime == "1" {
			benchtime = "100x"
		}
		// Measure Win32_Service against this systemd too (docs/benchmarks.md).
		args = append(args, "-test.bench=^BenchmarkServicesInside$", "-test.benchtime="+benchtime)
	}
	inner := exec.CommandContext(ctx, "nsenter", args...)
	inner.ExtraFiles = []*os.File{self}
	inner.Env = append(os.Environ(), insideEnv+"="+units)
	out, err := inner.CombinedOutput()
	t.Logf("inside the test's systemd:\n%s", out)
	if err != nil {
		t.Fatalf("TestSystemdInside failed: %v", err)
	}
	if bytes.Contains(out, []byte("no tests to run")) || bytes.Contains(out, []byte("--- SKIP")) {
		t.Fatal("TestSystemdInside did not run")
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestSystemdInside runs inside TestSystemd's namespaces against its
// systemd; elsewhere it skips.
func TestSystemdInside(t *testing.T) {
	if os.Getenv(insideEnv) == "" {
		t.Skip("runs only inside TestSystemd's namespaces")
	}
	var logs bytes.Buffer
	cfg := host.Config{Systemd: host.SystemdPrivateSocket, AllowServiceControl: true, ServiceRuntimeChanges: true,
		ServiceJobTimeout: 20 * time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	svc := newOM(t, cfg)
	defer func() {
		if t.Failed() {
			t.Logf("provider log:\n%s", logs.String())
		}
	}()

	// Wait for the target's start-up jobs to finish.
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := byKey(enumerate(t, svc, "Win32_Service"))
		s, f := got[`Win32_Service.Name="gowbem-dependent"`], got[`Win32_Service.Name="gowbem-fails"`]
		if s != nil && s.Value("State").Str() == "Running" && f != nil && f.Value("State").Str() == "Stopped" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test's services did not settle: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	got := byKey(enumerate(t, svc, "Win32_Service"))
	sleeper := got[`Win32_Service.Name="gowbem-sleeper"`]
	if sleeper == nil {
		t.Fatalf("gowbem-sleeper missing: %v", got)
	}
	pid := sleeper.Value("ProcessId").Uint()
	if cmdline, _ := os.ReadFile("/proc/" + strconv.FormatUint(pid, 10) + "/cmdline"); string(cmdline) != "/bin/sleep\x003600\x00" {
		t.Errorf("ProcessId %d runs %q, want the sleeper", pid, cmdline)
	}
	checkProps(t, sleeper, map[string]any{
		"DisplayName": "gowbem sleeper", "Caption": "gowbem sleeper", "State": "Running", "Status": "OK",
		"Started": "true", "StartMode": "Manual", "PathName": "/bin/sleep 3600", "ServiceType": "Own Process",
		"ExitCode": "0", "AcceptStop": "true",
		"StartName": "root", "SystemCreationClassName": "Win32_ComputerSystem", "CreationClassName": "Win32_Service",
	})
	checkProps(t, got[`Win32_Service.Name="gowbem-fails"`], map[string]any{
		"State": "Stopped", "Status": "Error", "Started": "false", "ExitCode": "1066",
		"ServiceSpecificExitCode": "3", "PathName": `/bin/sh -c "exit 3"`, "ProcessId": "0",
	})
	// Installed but never started: listed from its unit file.
	checkProps(t, got[`Win32_Service.Name="gowbem-idle"`], map[string]any{
		"State": "Stopped", "StartMode": "Manual", "Status": "OK", "ExitCode": "1077",
	})
	checkProps(t, got[`Win32_Service.Name="gowbem-masked"`], map[string]any{
		"State": "Stopped", "StartMode": "Disabled", "ProcessId": nil,
	})
	if _, ok := got[`Win32_Service.Name="gowbem-tmpl@"`]; ok {
		t.Error("a template unit is listed as a service")
	}

	// GetObject, WQL with and without a Name push-down, and through the
	// CIM parent.
	one, err := getObject(t, svc, `Win32_Service.Name="gowbem-sleeper"`)
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, one, map[string]any{"State": "Running", "ProcessId": strconv.FormatUint(pid, 10)})
	for _, p := range []string{`Win32_Service.Name="gowbem-nothing"`, `Win32_Service.Name="a/b"`, `Win32_Service.Name="gowbem-tmpl@"`} {
		if _, err := getObject(t, svc, p); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			t.Errorf("GetObject %s: %v, want WBEM_E_NOT_FOUND", p, err)
		}
	}
	running := map[string]bool{}
	for _, in := range query(t, svc, "SELECT Name FROM Win32_Service WHERE State = 'Running'") {
		running[in.Value("Name").Str()] = true
	}
	if !running["gowbem-sleeper"] || !running["gowbem-dependent"] || running["gowbem-idle"] || running["gowbem-fails"] {
		t.Errorf("WHERE State='Running': %v", running)
	}
	if r := query(t, svc, "SELECT Name, State FROM Win32_Service WHERE Name = 'gowbem-idle' OR Name = 'gowbem-nothing'"); len(r) != 1 {
		t.Errorf("WHERE Name = …: %d results", len(r))
	}
	if r := query(t, svc, `SELECT * FROM CIM_Service WHERE Name = "gowbem-sleeper"`); len(r) != 1 || r[0].ClassName() != "Win32_Service" {
		t.Errorf("CIM_Service: %v", r)
	}

	// Dependencies, walked from either end (Requires= and After=).
	assoc := func(q string) []string {
		var out []string
		for _, in := range query(t, svc, q) {
			out = append(out, in.ClassName()+":"+in.Value("Name").Text())
		}
		return out
	}
	if got := assoc(`ASSOCIATORS OF {Win32_Service.Name="gowbem-dependent"} WHERE AssocClass = Win32_DependentService Role = Dependent`); len(got) != 1 || got[0] != "Win32_Service:gowbem-sleeper" {
		t.Errorf("what gowbem-dependent depends on: %v", got)
	}
	if got := assoc(`ASSOCIATORS OF {Win32_Service.Name="gowbem-sleeper"} WHERE AssocClass = Win32_DependentService Role = Antecedent`); len(got) != 1 || got[0] != "Win32_Service:gowbem-dependent" {
		t.Errorf("what depends on gowbem-sleeper: %v", got)
	}
	hostname, _ := os.Hostname()
	if got := assoc(`ASSOCIATORS OF {Win32_Service.Name="gowbem-idle"} WHERE AssocClass = Win32_SystemServices`); len(got) != 1 || got[0] != "Win32_ComputerSystem:"+hostname {
		t.Errorf("the computer of a service: %v", got)
	}
	if got := assoc(`ASSOCIATORS OF {Win32_ComputerSystem.Name="` + hostname + `"} WHERE AssocClass = Win32_SystemServices`); len(got) < 5 {
		t.Errorf("the services of the computer: %v", got)
	}

	// Methods, with WMI's return codes.
	svcPath := func(n string) string { return `Win32_Service.Name="` + n + `"` }
	rv := func(path, method string, in map[string]cim.Value) string {
		t.Helper()
		return call(t, svc, path, method, in).Value("ReturnValue").Text()
	}
	denied := newOM(t, host.Config{Systemd: host.SystemdPrivateSocket})
	if got := call(t, denied, svcPath("gowbem-idle"), "StartService", nil).Value("ReturnValue").Text(); got != "2" {
		t.Errorf("StartService without AllowServiceControl = %s, want 2", got)
	}
	// A caller who is no administrator may not control services, though
	// the namespace lets the call reach the provider (a local user holds
	// MethodExecute; a remote one would be refused before, lacking
	// RemoteAccess); an administrator may.
	for _, c := range []struct {
		caller *identity.Caller
		want   string
	}{
		{&identity.Caller{Name: "bob"}, "2"},
		{&identity.Caller{Name: "root", Admin: true, Remote: true}, "6"}, // gowbem-idle is stopped: 6, the call went through
	} {
		cr, err := svc.ExecMethod(identity.NewContext(context.Background(), c.caller), svcPath("gowbem-idle"), "StopService", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, err := cr.ResultObject(wbem.Infinite)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.(*cim.Instance).Value("ReturnValue").Text(); got != c.want {
			t.Errorf("StopService by %s = %s, want %s", c.caller, got, c.want)
		}
	}
	if got := rv(svcPath("gowbem-sleeper"), "StopService", nil); got != "3" {
		t.Errorf("StopService while a running service requires it = %s, want 3", got)
	}
	if got := rv(svcPath("gowbem-idle"), "StopService", nil); got != "6" {
		t.Errorf("StopService of a stopped service = %s, want 6", got)
	}
	stateEvents := subscribe(t, svc, "SELECT * FROM Gowbem_ServiceStateChangeEvent WHERE Name = 'gowbem-idle'")
	modified := subscribe(t, svc, "SELECT * FROM __InstanceModificationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Service' AND TargetInstance.Name = 'gowbem-idle'")
	if got := rv(svcPath("gowbem-idle"), "StartService", nil); got != "0" {
		t.Fatalf("StartService = %s, want 0", got)
	}
	// systemd's signal, and the WITHIN poll of the class, both see it.
	eventWhere(t, stateEvents, "Running event", func(in *cim.Instance) bool { return in.Value("State").Str() == "Running" })
	eventWhere(t, modified, "WITHIN modification", func(in *cim.Instance) bool {
		o, ok := in.Value("TargetInstance").Object().(*cim.Instance)
		return ok && o.Value("State").Str() == "Running"
	})
	idle, _ := getObject(t, svc, svcPath("gowbem-idle"))
	checkProps(t, idle, map[string]any{"State": "Running", "Started": "true"})
	if got := rv(svcPath("gowbem-idle"), "StartService", nil); got != "10" {
		t.Errorf("StartService of a running service = %s, want 10", got)
	}
	// Pause freezes the unit's cgroup where systemd can (AcceptPause),
	// else it is not supported (1).
	if idle.Value("AcceptPause").Bool() {
		if got := rv(svcPath("gowbem-idle"), "PauseService", nil); got != "0" {
			t.Errorf("PauseService = %s, want 0", got)
		}
		waitState(t, svc, svcPath("gowbem-idle"), "Paused")
		if got := rv(svcPath("gowbem-idle"), "PauseService", nil); got != "24" {
			t.Errorf("PauseService of a paused service = %s, want 24", got)
		}
		if got := rv(svcPath("gowbem-idle"), "ResumeService", nil); got != "0" {
			t.Errorf("ResumeService = %s, want 0", got)
		}
		waitState(t, svc, svcPath("gowbem-idle"), "Running")
	} else {
		for _, m := range []string{"PauseService", "ResumeService"} {
			if got := rv(svcPath("gowbem-idle"), m, nil); got != "1" {
				t.Errorf("%s without a freezer = %s, want 1", m, got)
			}
		}
	}
	if got := rv(svcPath("gowbem-fails"), "PauseService", nil); got != "6" {
		t.Errorf("PauseService of a stopped service = %s, want 6", got)
	}
	if got := rv(svcPath("gowbem-dependent"), "StopService", nil); got != "0" {
		t.Errorf("StopService of the dependent = %s, want 0", got)
	}
	if got := rv(svcPath("gowbem-idle"), "StopService", nil); got != "0" {
		t.Errorf("StopService = %s, want 0", got)
	}
	idle, _ = getObject(t, svc, svcPath("gowbem-idle"))
	checkProps(t, idle, map[string]any{"State": "Stopped", "Started": "false", "ProcessId": "0"})
	if got := rv(svcPath("gowbem-masked"), "StartService", nil); got != "14" {
		t.Errorf("StartService of a masked service = %s, want 14", got)
	}

	// Mounts in the namespace's own /tmp raise Win32_VolumeChangeEvent.
	volumes := subscribe(t, svc, "SELECT * FROM Win32_VolumeChangeEvent")
	mnt := "/tmp/gowbem-volume-event"
	os.MkdirAll(mnt, 0o755)
	if err := syscall.Mount("gowbem", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	eventWhere(t, volumes, "arrival", func(in *cim.Instance) bool {
		return in.Value("DriveName").Str() == mnt && in.Value("EventType").Uint() == 2
	})
	syscall.Unmount(mnt, 0)
	eventWhere(t, volumes, "removal", func(in *cim.Instance) bool {
		return in.Value("DriveName").Str() == mnt && in.Value("EventType").Uint() == 3
	})

	// ChangeStartMode: Automatic enables, Disabled masks, Manual undoes
	// both (runtime links under the namespace's /run).
	for _, step := range []struct{ mode, rv, want string }{
		{"Automatic", "0", "Auto"},
		{"Disabled", "0", "Disabled"},
		{"Manual", "0", "Manual"},
		{"Boot", "21", "Manual"},
		{"sometimes", "21", "Manual"},
	} {
		if got := rv(svcPath("gowbem-idle"), "ChangeStartMode", map[string]cim.Value{"StartMode": cim.String(step.mode)}); got != step.rv {
			t.Errorf("ChangeStartMode(%s) = %s, want %s", step.mode, got, step.rv)
		}
		idle, _ := getObject(t, svc, svcPath("gowbem-idle"))
		checkProps(t, idle, map[string]any{"StartMode": step.want})
		if step.want == "Disabled" {
			if got := rv(svcPath("gowbem-idle"), "StartService", nil); got != "14" {
				t.Errorf("StartService of a Disabled service = %s, want 14", got)
			}
		}
	}
	if got := rv(svcPath("gowbem-sleeper"), "ChangeStartMode", map[string]cim.Value{"StartMode": cim.String("Automatic")}); got != "21" {
		t.Errorf("ChangeStartMode(Automatic) of a unit without [Install] = %s, want 21", got)
	}
}

// waitState waits until the service at path is in state (freezing and
// thawing pass through pending states).
func waitState(t *testing.T, svc *wbem.Services, path, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		inst, err := getObject(t, svc, path)
		if err == nil && inst.Value("State").Str() == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %s: %v %v", path, state, inst, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Where no systemd answers, Win32_Service exists and is empty, with one log
// line saying why.
func TestNoSystemd(t *testing.T) {
	var logs bytes.Buffer
	cfg := host.Config{Systemd: "unix:path=" + filepath.Join(t.TempDir(), "no-such-socket"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	svc := newOM(t, cfg)
	for range 2 {
		if got := enumerate(t, svc, "Win32_Service"); len(got) != 0 {
			t.Errorf("%d services without systemd", len(got))
		}
	}
	if n := strings.Count(logs.String(), "no systemd service manager answers"); n != 1 {
		t.Errorf("log said it %d times, want once:\n%s", n, logs.String())
	}
	if _, err := getObject(t, svc, `Win32_Service.Name="ssh"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject: %v, want WBEM_E_NOT_FOUND", err)
	}
	if _, err := svc.GetObject(context.Background(), "Win32_Service", 0); err != nil {
		t.Errorf("the class is missing: %v", err)
	}
}

// BenchmarkServicesInside enumerates Win32_Service, gets one service and
// runs WHERE Name = … against the test's systemd; TestSystemd runs it
// inside the namespaces when GOWBEM_BENCH_SYSTEMD is set.
func BenchmarkServicesInside(b *testing.B) {
	if os.Getenv(insideEnv) == "" {
		b.Skip("runs only inside TestSystemd's namespaces (GOWBEM_BENCH_SYSTEMD=1 go test -run TestSystemd -bench X)")
	}
	cfg := host.Config{Systemd: host.SystemdPrivateSocket}
	svc := newOM(b, cfg)
	b.Run("enumerate", func(b *testing.B) {
		total := 0
		for b.Loop() {
			total += len(enumerate(b, svc, "Win32_Service"))
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "instances/s")
		b.ReportMetric(float64(total)/float64(b.N), "instances/op")
	})
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := getObject(b, svc, `Win32_Service.Name="gowbem-sleeper"`); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("within1Service", func(b *testing.B) { withinCost(b, svc, "Win32_Service") })
	b.Run("whereName", func(b *testing.B) {
		for b.Loop() {
			e, err := svc.ExecQuery(context.Background(), "WQL", `SELECT State FROM Win32_Service WHERE Name = "gowbem-sleeper"`, 0)
			if n := len(drain(b, e, err)); n != 1 {
				b.Fatalf("%d results", n)
			}
		}
	})
}
