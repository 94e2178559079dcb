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
	"github.com/gowbem/gowbem/wbem"
)

// query runs a WQL query through the object manager.
func query(t *testing.T, svc *wbem.Services, q string) []*cim.Instance {
	t.Helper()
	e, err := svc.ExecQuery(context.Background(), "WQL", q, 0)
	return drain(t, e, err)
}

func TestWhereProcessId(t *testing.T) {
	svc := newOM(t, host.Config{})
	cmd := startSleep(t)
	pid := strconv.Itoa(cmd.Process.Pid)
	for _, q := range []string{
		"SELECT Name, ProcessId FROM Win32_Process WHERE ProcessId = " + pid,
		`SELECT Name, ProcessId FROM Win32_Process WHERE Handle = "` + pid + `"`,
		"SELECT Name, ProcessId FROM Win32_Process WHERE ProcessId = " + pid + " OR ProcessId = 0",
		"SELECT Name, ProcessId FROM Win32_Process WHERE ParentProcessId = " + strconv.Itoa(os.Getpid()) + " AND Name = 'sleep'",
	} {
		got := query(t, svc, q)
		if len(got) != 1 {
			t.Errorf("%s: %d results, want 1", q, len(got))
			continue
		}
		checkProps(t, got[0], map[string]any{"ProcessId": pid, "Name": "sleep"})
		if !got[0].Value("CommandLine").IsNull() {
			t.Errorf("%s: CommandLine not projected away", q)
		}
	}
	// Through the parent class: CIM_Process has Handle, not ProcessId.
	got := query(t, svc, `SELECT Name, Handle FROM CIM_Process WHERE Handle = "`+pid+`"`)
	if len(got) != 1 || got[0].ClassName() != "Win32_Process" {
		t.Errorf("CIM_Process WHERE Handle: %v", got)
	} else {
		checkProps(t, got[0], map[string]any{"Handle": pid, "Name": "sleep"})
	}
	if got := query(t, svc, "SELECT * FROM Win32_Process WHERE ProcessId = 1 AND ProcessId = 2"); len(got) != 0 {
		t.Errorf("contradiction: %d results", len(got))
	}
	// A costly property in the WHERE clause only is still read.
	got = query(t, svc, "SELECT Name FROM Win32_Process WHERE HandleCount >= 0 AND ProcessId = "+pid)
	if len(got) != 1 {
		t.Errorf("HandleCount in WHERE: %d results, want 1", len(got))
	}
}

// The push-down: ExecQuery with a ProcessId hint emits the one process
// without the enumeration.
func TestExecQueryPushDown(t *testing.T) {
	p := host.Providers(host.Config{})[host.ProviderProcess].(provider.QueryProvider)
	class := classOf(t, "Win32_Process")
	cmd := startSleep(t)
	var got []*cim.Instance
	emit := provider.EmitFunc(func(in *cim.Instance) error { got = append(got, in); return nil })
	hint := &provider.Hint{Query: "SELECT * FROM Win32_Process WHERE ProcessId = n",
		Equal: map[string][]cim.Value{"processid": {cim.Uint32(uint32(cmd.Process.Pid)), cim.Uint32(uint32(cmd.Process.Pid))}}}
	if err := p.ExecQuery(context.Background(), class, hint, emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value("ProcessId").Uint() != uint64(cmd.Process.Pid) {
		t.Fatalf("push-down emitted %d instances, want the one asked for (duplicates merged)", len(got))
	}
	got = nil
	hint = &provider.Hint{Equal: map[string][]cim.Value{"handle": {cim.String("0"), cim.String("x"), cim.String("-1")}}}
	if err := p.ExecQuery(context.Background(), class, hint, emit); err != nil || len(got) != 0 {
		t.Fatalf("handles that name no process: %d instances, %v", len(got), err)
	}
	// Without a constraint it enumerates.
	got = nil
	if err := p.ExecQuery(context.Background(), class, &provider.Hint{}, emit); err != nil || len(got) < 2 {
		t.Fatalf("unconstrained: %d instances, %v", len(got), err)
	}
}
