//go:build linux

package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/host"
)

// fixture is a host read from testdata/root: known values for every parser.
func fixture(t *testing.T) host.Config {
	return host.Config{Root: "testdata/root", LoadInterval: time.Millisecond}
}

// byKey indexes instances by their relative path.
func byKey(insts []*cim.Instance) map[string]*cim.Instance {
	m := map[string]*cim.Instance{}
	for _, in := range insts {
		m[in.ObjectPath().RelPath()] = in
	}
	return m
}

func checkProps(t *testing.T, inst *cim.Instance, want map[string]any) {
	t.Helper()
	for name, w := range want {
		v := inst.Value(name)
		switch w := w.(type) {
		case nil:
			if !v.IsNull() {
				t.Errorf("%s.%s = %v, want NULL", inst.ObjectPath().RelPath(), name, v)
			}
		case string:
			if v.IsNull() || v.Text() != w {
				t.Errorf("%s.%s = %#v, want %q", inst.ObjectPath().RelPath(), name, v, w)
			}
		default:
			t.Fatalf("bad want type %T", w)
		}
	}
}

func TestFixtureProcesses(t *testing.T) {
	svc := newOM(t, fixture(t))
	got := byKey(enumerate(t, svc, "Win32_Process"))
	// pid 99 has a garbled stat: skipped, not a failed enumeration.
	if len(got) != 3 {
		t.Fatalf("got %d processes, want 3 (1, 42, 77): %v", len(got), got)
	}
	boot := time.Unix(1700000000, 0)
	dt := func(d time.Duration) string { return cim.DatetimeFromTime(boot.Add(d).Local()).String() }
	osName := `Fixture "Linux" 1.0|/|/dev/sda1`
	cases := map[string]map[string]any{
		`Win32_Process.Handle="1"`: {
			"ProcessId": "1", "ParentProcessId": "0", "Name": "init", "Caption": "init",
			"ExecutablePath": "/sbin/init", "CommandLine": `/sbin/init --log-level "two words"`,
			"CreationDate": dt(120 * time.Millisecond), "ThreadCount": "1", "Priority": "20",
			"KernelModeTime": "25000000", "UserModeTime": "15000000", "ExecutionState": "4",
			"PageFaults": "5020", "SessionId": "1", "VirtualSize": "171798691840",
			"CSName": "fixture-host", "CSCreationClassName": "Win32_ComputerSystem",
			"OSName": osName, "OSCreationClassName": "Win32_OperatingSystem",
			"CreationClassName": "Win32_Process", "WindowsVersion": "6.1.0-test",
			"PeakVirtualSize": "2097152", "PeakWorkingSetSize": "512", "HandleCount": nil,
		},
		`Win32_Process.Handle="42"`: {
			"Name": "we) ird (name", "ParentProcessId": "1", "ExecutablePath": nil, "CommandLine": "x",
			"Priority": "15", "ExecutionState": "8", "ThreadCount": "4", "UserModeTime": "100000000",
			"KernelModeTime": "50000000", "CreationDate": dt(5 * time.Second), "VirtualSize": "4096",
		},
		`Win32_Process.Handle="77"`: {
			"Name": "kworker/0:1", "CommandLine": nil, "ExecutablePath": nil, "Priority": "90",
			"ExecutionState": "4", "PeakVirtualSize": nil,
		},
	}
	for path, want := range cases {
		inst := got[path]
		if inst == nil {
			t.Errorf("%s missing", path)
			continue
		}
		checkProps(t, inst, want)
		// GetObject reads the same entry alone.
		one, err := getObject(t, svc, path)
		if err != nil {
			t.Fatalf("GetObject %s: %v", path, err)
		}
		checkProps(t, one, want)
	}
	for _, path := range []string{`Win32_Process.Handle="99"`, `Win32_Process.Handle="5"`, `Win32_Process.Handle="abc"`, `Win32_Process.Handle="042"`} {
		if _, err := getObject(t, svc, path); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			t.Errorf("GetObject %s: %v, want WBEM_E_NOT_FOUND", path, err)
		}
	}

	// GetOwner names the effective uid through /etc/passwd.
	out := call(t, svc, `Win32_Process.Handle="42"`, "GetOwner", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "0", "User": "alice", "Domain": "fixture-host"})
	out = call(t, svc, `Win32_Process.Handle="1"`, "GetOwner", nil)
	checkProps(t, out, map[string]any{"ReturnValue": "0", "User": "root"})
	// A fixture's pids are not live processes: Terminate signals nothing.
	out = call(t, svc, `Win32_Process.Handle="42"`, "Terminate", map[string]cim.Value{"Reason": cim.Uint32(1)})
	checkProps(t, out, map[string]any{"ReturnValue": "2"})
}

func TestFixtureOperatingSystem(t *testing.T) {
	svc := newOM(t, fixture(t))
	insts := enumerate(t, svc, "Win32_OperatingSystem")
	if len(insts) != 1 {
		t.Fatalf("%d instances", len(insts))
	}
	checkProps(t, insts[0], map[string]any{
		"Name": `Fixture "Linux" 1.0|/|/dev/sda1`, "Caption": `Fixture "Linux" 1.0`, "Description": "Fixture",
		"Manufacturer": "Fixture Corp", "Version": "6.1.0-test", "BuildNumber": "17", "OSType": "36",
		"LastBootUpTime":         cim.DatetimeFromTime(time.Unix(1700000000, 0).Local()).String(),
		"TotalVisibleMemorySize": "16384000", "FreePhysicalMemory": "8000000",
		"TotalVirtualMemorySize": "18384000", "FreeVirtualMemory": "9500000",
		"SizeStoredInPagingFiles": "2000000", "FreeSpaceInPagingFiles": "1500000",
		"NumberOfProcesses": "4", "NumberOfUsers": "2", "MaxNumberOfProcesses": "4194304",
		"CSName": "fixture-host", "SerialNumber": "abcdef0123456789", "BootDevice": "/dev/sda1",
		"Primary": "true",
	})
	if _, err := getObject(t, svc, `Win32_OperatingSystem.Name="Fixture \"Linux\" 1.0|/|/dev/sda1"`); err != nil {
		t.Errorf("GetObject by Name: %v", err)
	}
	if _, err := getObject(t, svc, `Win32_OperatingSystem.Name="Windows"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject of another OS: %v", err)
	}
}

func TestFixtureComputerSystem(t *testing.T) {
	svc := newOM(t, fixture(t))
	cs, err := getObject(t, svc, `Win32_ComputerSystem.Name="FIXTURE-HOST"`)
	if err != nil {
		t.Fatal(err)
	}
	checkProps(t, cs, map[string]any{
		"Name": "fixture-host", "Manufacturer": "Acme", "Model": "Roadrunner 3000", "SystemFamily": nil,
		"NumberOfLogicalProcessors": "4", "NumberOfProcessors": "2", "TotalPhysicalMemory": "16777216000",
		"Domain": "WORKGROUP", "PartOfDomain": "false", "Workgroup": "WORKGROUP",
	})
}

func TestFixtureProcessors(t *testing.T) {
	svc := newOM(t, fixture(t))
	got := byKey(enumerate(t, svc, "Win32_Processor"))
	if len(got) != 2 {
		t.Fatalf("got %d processors, want 2 packages", len(got))
	}
	for _, id := range []string{"CPU0", "CPU1"} {
		checkProps(t, got[`Win32_Processor.DeviceID="`+id+`"`], map[string]any{
			"Name": "Test CPU @ 2.00GHz", "Manufacturer": "GenuineIntel", "NumberOfCores": "2",
			"NumberOfLogicalProcessors": "2", "MaxClockSpeed": "2000", "CurrentClockSpeed": "2000",
			"LoadPercentage": "0", "ProcessorId": "00065507", "Stepping": "7", "ProcessorType": "3",
		})
	}
	if _, err := getObject(t, svc, `Win32_Processor.DeviceID="CPU2"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject CPU2: %v", err)
	}
}

func TestFixtureLogicalDisks(t *testing.T) {
	svc := newOM(t, fixture(t))
	got := byKey(enumerate(t, svc, "Win32_LogicalDisk"))
	want := map[string]map[string]any{
		`Win32_LogicalDisk.DeviceID="/"`:            {"FileSystem": "ext4", "DriveType": "3", "MediaType": "12", "Access": "3", "Description": "Local Fixed Disk"},
		`Win32_LogicalDisk.DeviceID="/mnt/my disk"`: {"FileSystem": "ext4", "Access": "1", "Size": nil, "FreeSpace": nil},
		`Win32_LogicalDisk.DeviceID="/srv"`:         {"FileSystem": "nfs4", "DriveType": "4", "ProviderName": "server:/export", "MediaType": nil},
		`Win32_LogicalDisk.DeviceID="/tmp"`:         {"FileSystem": "tmpfs", "DriveType": "6", "Description": "RAM Disk"},
		`Win32_LogicalDisk.DeviceID="/data"`:        {"FileSystem": "ext4"}, // the later mount hides the xfs one
	}
	if len(got) != len(want) {
		t.Errorf("got %d disks, want %d (pseudo file systems skipped, /data once): %v", len(got), len(want), got)
	}
	for path, props := range want {
		if got[path] == nil {
			t.Errorf("%s missing", path)
			continue
		}
		checkProps(t, got[path], props)
	}
	if _, err := getObject(t, svc, `Win32_LogicalDisk.DeviceID="/proc"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject /proc: %v", err)
	}
	// Out of Config.VolumePaths (default /dev), a file is not a volume.
	if _, err := getObject(t, svc, `Win32_LogicalDisk.DeviceID="/etc/passwd"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject /etc/passwd: %v", err)
	}
}

func TestFixtureDeepCIMProcess(t *testing.T) {
	svc := newOM(t, fixture(t))
	insts := enumerate(t, svc, "CIM_Process")
	if len(insts) != 3 {
		t.Fatalf("CIM_Process deep: %d instances, want the 3 Win32_Process", len(insts))
	}
	for _, in := range insts {
		if in.ClassName() != "Win32_Process" {
			t.Errorf("class %s", in.ClassName())
		}
	}
	e, err := svc.CreateInstanceEnum(context.Background(), "CIM_Process", 0x1) // WBEM_FLAG_SHALLOW
	if n := len(drain(t, e, err)); n != 0 {
		t.Errorf("CIM_Process shallow: %d instances, want 0 (abstract)", n)
	}
}
