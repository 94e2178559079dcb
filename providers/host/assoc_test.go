//go:build linux

package host_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

func TestLiveProcessAssociations(t *testing.T) {
	svc := newOM(t, host.Config{})
	cmd := startSleep(t)
	pid := strconv.Itoa(cmd.Process.Pid)
	hostname, _ := os.Hostname()
	got := query(t, svc, `ASSOCIATORS OF {Win32_Process.Handle="`+pid+`"} WHERE ResultClass = Win32_ComputerSystem`)
	if all := query(t, svc, `ASSOCIATORS OF {Win32_Process.Handle="`+pid+`"}`); len(all) != 2 {
		t.Errorf("ASSOCIATORS OF a process: %d objects, want its computer and its executable", len(all))
	}
	if len(got) != 1 || got[0].ClassName() != "Win32_ComputerSystem" || got[0].Value("Name").Str() != hostname {
		t.Fatalf("ASSOCIATORS OF a process: %v", got)
	}
	refs := query(t, svc, `REFERENCES OF {Win32_Process.Handle="`+pid+`"} WHERE ResultClass = Win32_SystemProcesses`)
	if len(refs) != 1 {
		t.Fatalf("REFERENCES OF a process: %v", refs)
	}
	if p, _ := refs[0].Value("PartComponent").Path(); p.Class != "Win32_Process" {
		t.Errorf("PartComponent %v", p)
	}
	procs := query(t, svc, `ASSOCIATORS OF {Win32_ComputerSystem.Name="`+hostname+`"} WHERE AssocClass = Win32_SystemProcesses`)
	found := false
	for _, p := range procs {
		found = found || p.Value("Handle").Str() == pid
	}
	if !found || len(procs) < 2 {
		t.Errorf("the computer's processes (%d) lack %s", len(procs), pid)
	}
	// A process that is gone has no associations.
	if got := query(t, svc, `REFERENCES OF {Win32_ComputerSystem.Name="`+hostname+`"} WHERE ResultClass = Win32_SystemProcesses`); len(got) != len(procs) && len(got) < 2 {
		t.Errorf("REFERENCES OF the computer: %d", len(got))
	}

	// Adapters and their settings, both ways.
	for _, a := range enumerate(t, svc, "Win32_NetworkAdapter") {
		id := a.Value("DeviceID").Str()
		got := query(t, svc, `ASSOCIATORS OF {Win32_NetworkAdapter.DeviceID="`+id+`"} WHERE AssocClass = Win32_NetworkAdapterSetting`)
		if len(got) != 1 || got[0].Value("Index").Text() != id {
			t.Errorf("settings of adapter %s: %v", id, got)
		}
		back := query(t, svc, `ASSOCIATORS OF {Win32_NetworkAdapterConfiguration.Index=`+id+`}`)
		if len(back) != 1 || back[0].Value("DeviceID").Str() != id {
			t.Errorf("adapter of settings %s: %v", id, back)
		}
	}
}

// The push-down: References from one process emits that process's one
// association, without the enumeration of every process.
func TestSystemProcessesPushDown(t *testing.T) {
	p := host.Providers(host.Config{})[host.ProviderSystemProcesses].(provider.AssociationProvider)
	class := classOf(t, "Win32_SystemProcesses")
	n := 0
	emit := provider.EmitFunc(func(*cim.Instance) error { n++; return nil })
	target := cim.ObjectPath{Class: "Win32_Process", Keys: []cim.KeyBinding{{Name: "Handle", Value: cim.String(strconv.Itoa(os.Getpid()))}}}
	if err := p.References(context.Background(), class, target, "", emit); err != nil || n != 1 {
		t.Fatalf("References from this process: %d, %v", n, err)
	}
	n = 0
	if err := p.References(context.Background(), class, target, "GroupComponent", emit); err != nil || n != 0 {
		t.Fatalf("with the other role: %d, %v", n, err)
	}
	target.Keys[0].Value = cim.String("0")
	if err := p.References(context.Background(), class, target, "", emit); err != nil || n != 0 {
		t.Fatalf("a process that does not exist: %d, %v", n, err)
	}
	other := cim.ObjectPath{Class: "Win32_Service", Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String("x")}}}
	if err := p.References(context.Background(), class, other, "", emit); err != nil || n != 0 {
		t.Fatalf("an unrelated class: %d, %v", n, err)
	}
}

// CIM_ProcessExecutable: from a process to its executable and back.
func TestLiveProcessExecutable(t *testing.T) {
	svc := newOM(t, host.Config{})
	cmd := startSleep(t)
	pid := strconv.Itoa(cmd.Process.Pid)
	exe, err := os.Readlink("/proc/" + pid + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	got := query(t, svc, `ASSOCIATORS OF {Win32_Process.Handle="`+pid+`"} WHERE AssocClass = CIM_ProcessExecutable`)
	if len(got) != 1 || got[0].ClassName() != "CIM_DataFile" || got[0].Value("Name").Str() != exe {
		t.Fatalf("executable of %s: %v", pid, got)
	}
	if got[0].Value("FileSize").Uint() == 0 || !got[0].Value("Executable").Bool() {
		t.Errorf("data file %v", got[0])
	}
	back := query(t, svc, `ASSOCIATORS OF {CIM_DataFile.Name="`+exe+`"} WHERE AssocClass = CIM_ProcessExecutable`)
	found := false
	for _, p := range back {
		found = found || p.Value("Handle").Str() == pid
	}
	if !found {
		t.Errorf("processes of %s lack %s: %d", exe, pid, len(back))
	}
	if _, err := getObject(t, svc, `CIM_DataFile.Name="/etc/shadow"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("a file no process runs: %v", err)
	}
}
