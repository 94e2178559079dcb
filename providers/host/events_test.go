//go:build linux

package host_test

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/host"
	"github.com/gowbem/gowbem/wbem"
)

// subscribe opens an event subscription, closed with the test.
func subscribe(t testing.TB, svc *wbem.Services, query string) *wbem.Enumerator {
	t.Helper()
	e, err := svc.ExecNotificationQuery(context.Background(), "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// eventWhere returns the first event for which match holds, within 15 s.
func eventWhere(t *testing.T, e *wbem.Enumerator, what string, match func(*cim.Instance) bool) *cim.Instance {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	buf := make([]cim.Object, 16)
	for time.Now().Before(deadline) {
		n, err := e.Next(500*time.Millisecond, buf)
		for _, o := range buf[:n] {
			if in, ok := o.(*cim.Instance); ok && match(in) {
				return in
			}
		}
		if err != nil && cim.StatusOf(err) != cim.WBEM_S_TIMEDOUT {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	t.Fatalf("no %s within 15 s", what)
	return nil
}

// Win32_ProcessStartTrace and Win32_ProcessStopTrace, from the kernel's
// connector (root) and by polling, with the WHERE clause checked.
func TestProcessTraceEvents(t *testing.T) {
	for _, poll := range []bool{false, true} {
		svc := newOM(t, host.Config{PollProcesses: poll, EventPollInterval: 50 * time.Millisecond})
		starts := subscribe(t, svc, "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'sleep'")
		stops := subscribe(t, svc, "SELECT * FROM Win32_ProcessStopTrace WHERE ProcessName = 'sleep'")
		both := subscribe(t, svc, "SELECT * FROM Win32_ProcessTrace WHERE ProcessName = 'sleep'")
		cmd := exec.Command("sleep", "0.5")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := uint64(cmd.Process.Pid)
		ev := eventWhere(t, starts, "start", func(in *cim.Instance) bool { return in.Value("ProcessID").Uint() == pid })
		want := map[string]any{"ProcessName": "sleep"}
		if poll {
			want["Source"] = "poll"
		}
		if ev.ClassName() != "Win32_ProcessStartTrace" || ev.Value("TIME_CREATED").IsNull() {
			t.Errorf("start event %v", ev)
		}
		checkProps(t, ev, want)
		cmd.Wait()
		ev = eventWhere(t, stops, "stop", func(in *cim.Instance) bool { return in.Value("ProcessID").Uint() == pid })
		// The connector may have given way to polling (another program's
		// connector socket can end its reader): the exit status only comes
		// with the connector.
		if ev.Value("Source").Str() == "netlink" && ev.Value("ExitStatus").Text() != "0" {
			t.Errorf("stop event ExitStatus %v", ev.Value("ExitStatus"))
		}
		// The parent class gets both.
		seen := map[string]bool{}
		eventWhere(t, both, "start and stop through Win32_ProcessTrace", func(in *cim.Instance) bool {
			if in.Value("ProcessID").Uint() == pid {
				seen[in.ClassName()] = true
			}
			return seen["Win32_ProcessStartTrace"] && seen["Win32_ProcessStopTrace"]
		})
	}
}

// Intrinsic events of polled host classes: WITHIN on Win32_Process.
func TestWithinProcess(t *testing.T) {
	svc := newOM(t, host.Config{})
	created := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process' AND TargetInstance.Name = 'sleep'")
	deleted := subscribe(t, svc, "SELECT * FROM __InstanceDeletionEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'")
	cmd := startSleep(t)
	pid := strconv.Itoa(cmd.Process.Pid)
	target := func(in *cim.Instance) bool {
		o, ok := in.Value("TargetInstance").Object().(*cim.Instance)
		return ok && o.Value("Handle").Str() == pid
	}
	eventWhere(t, created, "creation", target)
	cmd.Process.Kill()
	cmd.Wait()
	eventWhere(t, deleted, "deletion", target)
}

// Every class of the wide host can be polled with WITHIN (the subscription
// is accepted and its first poll runs).
func TestWithinEveryClass(t *testing.T) {
	svc := newOM(t, fixture(t))
	for _, class := range []string{"Win32_NetworkAdapter", "Win32_NetworkAdapterConfiguration", "Win32_IP4RouteTable",
		"Win32_DiskDrive", "Win32_DiskPartition", "Win32_Volume", "Win32_BIOS", "Win32_BaseBoard",
		"Win32_ComputerSystemProduct", "Win32_PhysicalMemory", "Win32_UserAccount", "Win32_Group",
		"Win32_LogonSession", "Win32_Environment", "Win32_PerfRawData_PerfOS_Processor", "Win32_Service"} {
		subscribe(t, svc, "SELECT * FROM __InstanceModificationEvent WITHIN 1 WHERE TargetInstance ISA '"+class+"'")
	}
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// withinCost measures the CPU time per second of wall time that a WITHIN 1
// subscription on class costs, against the same seconds without it.
func withinCost(b *testing.B, svc *wbem.Services, class string) {
	run := func(b *testing.B, query string) {
		if query != "" {
			subscribe(b, svc, query)
		}
		time.Sleep(1500 * time.Millisecond) // let the first poll pass
		c0, t0 := cpuTime(), time.Now()
		for b.Loop() {
			time.Sleep(time.Second)
		}
		b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/time.Since(t0).Seconds(), "cpu-ms/s")
	}
	b.Run("idle", func(b *testing.B) { run(b, "") })
	b.Run("within1", func(b *testing.B) {
		run(b, "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA '"+class+"'")
	})
}

// BenchmarkWithin1Process: the cost of polling Win32_Process every second
// (go test -run X -bench Within1 -benchtime 5x ./providers/host).
func BenchmarkWithin1Process(b *testing.B) {
	withinCost(b, newOM(b, host.Config{}), "Win32_Process")
}
