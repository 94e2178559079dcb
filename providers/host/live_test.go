//go:build linux

package host_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

// startSleep starts `sleep 60` and makes sure it is gone after the test.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Wait until sleep sleeps: just after exec its resident set may still
	// be empty.
	stat := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile(stat); err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i >= 0 && strings.HasPrefix(string(b[i:]), ") S") {
				break
			}
		}
	}
	return cmd
}

func TestLiveProcess(t *testing.T) {
	svc := newOM(t, host.Config{})
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	path := `Win32_Process.Handle="` + strconv.Itoa(pid) + `"`
	inst, err := getObject(t, svc, path)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, inst, map[string]any{
		"ProcessId": strconv.Itoa(pid), "ParentProcessId": strconv.Itoa(os.Getpid()),
		"CommandLine": "sleep 60", "Name": filepath.Base(exe), "ExecutablePath": exe,
	})
	// CreationDate agrees with the kernel's start time within the clock
	// tick and the second of btime.
	cd, err := inst.Value("CreationDate").Datetime()
	if err != nil {
		t.Fatal(err)
	}
	start, _ := cd.Time()
	if d := time.Since(start); d < -2*time.Second || d > 30*time.Second {
		t.Errorf("CreationDate %v is %v from now", start, d)
	}
	if n := inst.Value("ThreadCount").Uint(); n < 1 {
		t.Errorf("ThreadCount = %d", n)
	}
	if ws := inst.Value("WorkingSetSize").Uint(); ws == 0 {
		t.Errorf("WorkingSetSize = 0")
	}

	// The enumeration finds it too, through CIM_Process (deep).
	found := false
	for _, in := range enumerate(t, svc, "CIM_Process") {
		if in.Value("ProcessId").Uint() == uint64(pid) {
			found = in.ClassName() == "Win32_Process"
		}
	}
	if !found {
		t.Errorf("CIM_Process deep does not list pid %d as a Win32_Process", pid)
	}

	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()
	out := call(t, svc, path, "GetOwner", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "0", "User": u.Username, "Domain": hostname})

	// Terminate kills it hard (SIGKILL): Wait sees the signal.
	out = call(t, svc, path, "Terminate", map[string]cim.Value{"Reason": cim.Uint32(7)})
	checkProps(t, out, map[string]any{"ReturnValue": "0"})
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("after Terminate, Wait = %v, want death by SIGKILL", err)
	}
	if _, err := getObject(t, svc, path); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject of the ended process: %v", err)
	}
}

func TestTerminateRefusals(t *testing.T) {
	self := `Win32_Process.Handle="` + strconv.Itoa(os.Getpid()) + `"`
	out := call(t, newOM(t, host.Config{}), self, "Terminate", map[string]cim.Value{"Reason": cim.Uint32(0)})
	checkProps(t, out, map[string]any{"ReturnValue": "2"})

	cmd := startSleep(t)
	path := `Win32_Process.Handle="` + strconv.Itoa(cmd.Process.Pid) + `"`
	out = call(t, newOM(t, host.Config{DenyTerminate: true}), path, "Terminate", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "2"})
	// Another signal when configured: SIGTERM lets sleep die by it.
	out = call(t, newOM(t, host.Config{TerminateSignal: syscall.SIGTERM}), path, "Terminate", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "0"})
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("Wait = %v, want death by SIGTERM", err)
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		cfg    host.Config
		line   string
		cwd    string
		want   string
		starts bool
	}{
		{"not allowed", host.Config{}, "sleep 30", "", "2", false},
		{"empty", host.Config{AllowCreate: true}, "  ", "", "21", false},
		{"unclosed quote", host.Config{AllowCreate: true}, `sleep "30`, "", "21", false},
		{"no such program", host.Config{AllowCreate: true}, "gowbem-no-such-program-x 1", "", "9", false},
		{"no such directory", host.Config{AllowCreate: true}, "sleep 30", filepath.Join(dir, "missing"), "9", false},
		{"starts", host.Config{AllowCreate: true}, "sleep 30", dir, "0", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newOM(t, tc.cfg)
			in := map[string]cim.Value{"CommandLine": cim.String(tc.line)}
			if tc.cwd != "" {
				in["CurrentDirectory"] = cim.String(tc.cwd)
			}
			out := call(t, svc, "Win32_Process", "Create", in)
			checkProps(t, out, map[string]any{"ReturnValue": tc.want})
			if !tc.starts {
				checkProps(t, out, map[string]any{"ProcessId": nil})
				return
			}
			pid := out.Value("ProcessId").Uint()
			path := `Win32_Process.Handle="` + strconv.FormatUint(pid, 10) + `"`
			inst, err := getObject(t, svc, path)
			if err != nil {
				t.Fatal(err)
			}
			checkProps(t, inst, map[string]any{"CommandLine": "sleep 30", "ParentProcessId": strconv.Itoa(os.Getpid())})
			if cwd, _ := os.Readlink("/proc/" + strconv.FormatUint(pid, 10) + "/cwd"); cwd != dir {
				t.Errorf("cwd = %q, want %q", cwd, dir)
			}
			checkProps(t, call(t, svc, path, "Terminate", nil), map[string]any{"ReturnValue": "0"})
			// The provider reaps its child: the process disappears.
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, err := getObject(t, svc, path)
				if cim.StatusOf(err) == cim.WBEM_E_NOT_FOUND {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("process %d still there after Terminate: %v", pid, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// meminfoKB reads one field of /proc/meminfo.
func meminfoKB(t *testing.T, name string) uint64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/meminfo", name)
	return 0
}

func TestLiveOperatingSystem(t *testing.T) {
	svc := newOM(t, host.Config{})
	insts := enumerate(t, svc, "Win32_OperatingSystem")
	if len(insts) != 1 {
		t.Fatalf("%d instances", len(insts))
	}
	os1 := insts[0]
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	hostname, _ := os.Hostname()
	checkProps(t, os1, map[string]any{"Version": strings.TrimSpace(string(rel)), "CSName": hostname, "Primary": "true"})
	// Caption: PRETTY_NAME of /etc/os-release.
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for l := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				checkProps(t, os1, map[string]any{"Caption": strings.Trim(v, `"`)})
			}
		}
	}
	// LastBootUpTime: btime of /proc/stat, to the second.
	b, _ := os.ReadFile("/proc/stat")
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			sec, _ := strconv.ParseInt(v, 10, 64)
			d, err := os1.Value("LastBootUpTime").Datetime()
			if err != nil {
				t.Fatal(err)
			}
			bt, _ := d.Time()
			if bt.Unix() != sec {
				t.Errorf("LastBootUpTime %v, btime %d", bt, sec)
			}
		}
	}
	if got, want := os1.Value("TotalVisibleMemorySize").Uint(), meminfoKB(t, "MemTotal"); got != want {
		t.Errorf("TotalVisibleMemorySize %d, MemTotal %d", got, want)
	}
	// Free memory moves between the two reads (other tests run): within 5%
	// of the total.
	total := meminfoKB(t, "MemTotal")
	if got, want := os1.Value("FreePhysicalMemory").Uint(), meminfoKB(t, "MemAvailable"); diff(got, want) > total/20 {
		t.Errorf("FreePhysicalMemory %d, MemAvailable %d", got, want)
	}
	ents, _ := os.ReadDir("/proc")
	n := uint64(0)
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	if got := os1.Value("NumberOfProcesses").Uint(); diff(got, n) > 50 {
		t.Errorf("NumberOfProcesses %d, /proc has %d", got, n)
	}
	ld, _ := os1.Value("LocalDateTime").Datetime()
	if lt, _ := ld.Time(); time.Since(lt).Abs() > 10*time.Second {
		t.Errorf("LocalDateTime %v", lt)
	}

	cs := enumerate(t, svc, "Win32_ComputerSystem")
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	checkProps(t, cs[0], map[string]any{
		"Name":                      hostname,
		"NumberOfLogicalProcessors": strconv.Itoa(strings.Count(string(cpuinfo), "\nprocessor") + map[bool]int{true: 1}[strings.HasPrefix(string(cpuinfo), "processor")]),
		"TotalPhysicalMemory":       strconv.FormatUint(total*1024, 10),
	})
}

func diff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestPowerMethods(t *testing.T) {
	var asked []host.PowerAction
	record := func(_ context.Context, a host.PowerAction) error { asked = append(asked, a); return nil }
	deny := func(context.Context, host.PowerAction) error { return syscall.EPERM }
	fail := func(context.Context, host.PowerAction) error { return errors.New("boom") }
	cases := []struct {
		cfg    host.Config
		method string
		want   string
	}{
		{host.Config{Power: record}, "Reboot", "1314"}, // not allowed: nothing recorded
		{host.Config{Power: record}, "Shutdown", "1314"},
		{host.Config{AllowPower: true, Power: record}, "Reboot", "0"},
		{host.Config{AllowPower: true, Power: record}, "Shutdown", "0"},
		{host.Config{AllowPower: true, Power: deny}, "Reboot", "1314"},
		{host.Config{AllowPower: true, Power: fail}, "Shutdown", "8"},
	}
	for _, tc := range cases {
		svc := newOM(t, tc.cfg)
		osi := enumerate(t, svc, "Win32_OperatingSystem")[0]
		out := call(t, svc, osi.ObjectPath().RelPath(), tc.method, nil)
		checkProps(t, out, map[string]any{"ReturnValue": tc.want})
	}
	if len(asked) != 2 || asked[0] != host.PowerReboot || asked[1] != host.PowerOff {
		t.Errorf("power actions %v, want [reboot shutdown]", asked)
	}
}

func TestProcessorLoad(t *testing.T) {
	svc := newOM(t, host.Config{LoadInterval: 50 * time.Millisecond})
	for _, p := range enumerate(t, svc, "Win32_Processor") {
		if l := p.Value("LoadPercentage"); l.IsNull() || l.Uint() > 100 {
			t.Errorf("%s LoadPercentage = %v", p.ObjectPath().RelPath(), l)
		}
		if p.Value("NumberOfLogicalProcessors").Uint() == 0 || p.Value("Name").IsNull() {
			t.Errorf("%s: %v", p.ObjectPath().RelPath(), p)
		}
	}
}

// The load sample waits LoadInterval; a cancelled call returns at once.
func TestProcessorLoadHonoursContext(t *testing.T) {
	prov := host.Providers(host.Config{LoadInterval: time.Hour})[host.ProviderProcessor]
	class := classOf(t, "Win32_Processor")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := prov.EnumerateInstances(ctx, class, provider.EmitFunc(func(*cim.Instance) error { return nil }))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("returned after %v", d)
	}
}
