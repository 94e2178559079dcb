package wmi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

const semisync = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// open connects to the local WMI's namespace.
func open(t testing.TB, namespace string) *wbem.Services {
	t.Helper()
	svc, err := wbem.Connect(context.Background(), "wmi:", namespace, wbem.Credentials{})
	if err != nil {
		t.Fatalf("Connect(wmi:, %s): %v", namespace, err)
	}
	t.Cleanup(func() { svc.Backend().(*Backend).Close() })
	return svc
}

// wineLacks skips a test of something Wine's WMI does not do, saying what.
func wineLacks(t *testing.T, what string) {
	t.Helper()
	if onWine() {
		t.Skip("Wine's WMI (wbemprox) " + what + "; this runs on a real Windows")
	}
}

func query(t *testing.T, svc *wbem.Services, q string) []cim.Object {
	t.Helper()
	e, err := svc.ExecQuery(context.Background(), "WQL", q, semisync)
	if err != nil {
		t.Fatalf("ExecQuery(%q): %v", q, err)
	}
	objs, err := e.Collect(context.Background())
	if err != nil {
		t.Fatalf("ExecQuery(%q): %v", q, err)
	}
	return objs
}

// self finds this test process among Win32_Process's instances.
func self(t *testing.T, objs []cim.Object) *cim.Instance {
	t.Helper()
	for _, o := range objs {
		inst := o.(*cim.Instance)
		if inst.Value("ProcessId").Uint() == uint64(os.Getpid()) {
			return inst
		}
	}
	t.Fatalf("no Win32_Process has this process's id %d among %d", os.Getpid(), len(objs))
	return nil
}

// Every property arrives with its class's CIM type, whatever VARIANT type
// WMI used (uint32 as VT_I4, uint64 as a BSTR, datetimes as BSTRs), and the
// values agree with what the system says through other APIs.
func TestTypesFaithful(t *testing.T) {
	svc := open(t, `root\cimv2`)
	procs := query(t, svc, "SELECT * FROM Win32_Process")
	me := self(t, procs)
	c := me.Class()
	for i, p := range c.Properties {
		if v := me.At(i); !v.IsNull() && v.Type() != p.Type {
			t.Errorf("Win32_Process.%s is a %v, its class says %v", p.Name, v.Type(), p.Type)
		}
	}
	if got := me.Value("ProcessId"); got.Type() != cim.TypeUint32 {
		t.Errorf("ProcessId is %v, want uint32", got.Type())
	}
	exe, _ := os.Executable()
	if name := me.Value("Name").Str(); !strings.EqualFold(name, exe[strings.LastIndexAny(exe, `\/`)+1:]) {
		t.Errorf("Name %q, want this executable %q", name, exe)
	}
	path, _ := me.Get("__PATH")
	rel, _ := me.Get("__RELPATH")
	if onWine() && path.IsNull() {
		t.Log("Wine's WMI gives no Key qualifiers and no __RELPATH, so its instances have no path; a real Windows does")
	} else if path.IsNull() || !strings.Contains(rel.Str(), "Win32_Process") {
		t.Errorf("__PATH %v __RELPATH %v: the instance must be locatable", path, rel)
	}

	os := query(t, svc, "SELECT * FROM Win32_OperatingSystem")
	if len(os) != 1 {
		t.Fatalf("%d Win32_OperatingSystem instances", len(os))
	}
	osi := os[0].(*cim.Instance)
	if v := osi.Value("TotalVisibleMemorySize"); v.Type() != cim.TypeUint64 || v.Uint() == 0 {
		t.Errorf("TotalVisibleMemorySize = %v (%v): a uint64 arrives as a BSTR and must come out a uint64", v, v.Type())
	}
	if v := osi.Value("LocalDateTime"); v.Type() != cim.TypeDatetime {
		t.Errorf("LocalDateTime = %v (%v), want a datetime", v, v.Type())
	} else if d, err := v.Datetime(); err != nil {
		t.Errorf("LocalDateTime %v: %v", v, err)
	} else if tm, err := d.Time(); err != nil || time.Since(tm) > 24*time.Hour || time.Until(tm) > 24*time.Hour {
		t.Errorf("LocalDateTime %v is not about now (%v)", v, err)
	}

	cs := query(t, svc, "SELECT Name FROM Win32_ComputerSystem")
	host, _ := os_Hostname()
	if len(cs) != 1 || !strings.EqualFold(cs[0].(*cim.Instance).Value("Name").Str(), host) {
		t.Errorf("Win32_ComputerSystem.Name %v, want the host name %q", cs, host)
	}
}

var os_Hostname = os.Hostname

// A query's SELECT list shapes the objects: the selected properties only.
func TestProjection(t *testing.T) {
	svc := open(t, `root\cimv2`)
	objs := query(t, svc, "SELECT Name, ProcessId FROM Win32_Process")
	me := self(t, objs)
	if n := len(me.Class().Properties); n != 2 && !(n == 3 && me.Class().PropertyIndex("Handle") >= 0) {
		t.Errorf("projection has properties %v, want Name and ProcessId (and the key)", me.Class().Properties)
	}
	if _, err := me.Get("CommandLine"); wbem.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("Get(CommandLine) on a projection = %v, want WBEM_E_NOT_FOUND", err)
	}
}

// The semisynchronous contract over the real WMI (the conformance
// checklist of package wbem, on WMI's data): full batches, WBEM_S_FALSE at
// the end even with objects, count 0, Skip, Reset and Clone refused on a
// forward-only enumerator and working on a bidirectional one.
func TestConformance(t *testing.T) {
	svc := open(t, `root\cimv2`)
	ctx := context.Background()
	all := query(t, svc, "SELECT * FROM Win32_Service")
	n := len(all)
	if n < 3 {
		t.Skipf("only %d services: too few to batch", n)
	}
	t.Run("batches", func(t *testing.T) {
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Service", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		buf := make([]cim.Object, 2)
		got := 0
		for {
			k, err := e.Next(wbem.Infinite, buf)
			got += k
			if err == io.EOF {
				if k == len(buf) {
					t.Fatalf("io.EOF with a full batch")
				}
				break
			}
			if err != nil || k != len(buf) {
				t.Fatalf("Next = %d, %v: a batch short of the end must be full", k, err)
			}
		}
		if got != n {
			t.Fatalf("batches gave %d services, Collect %d", got, n)
		}
		if k, err := e.Next(wbem.Infinite, buf); k != 0 || err != io.EOF {
			t.Fatalf("Next after the end = %d, %v", k, err)
		}
		if k, err := e.Next(wbem.Infinite, nil); k != 0 || err != io.EOF {
			t.Fatalf("Next with count 0 = %d, %v", k, err)
		}
	})
	t.Run("skip", func(t *testing.T) {
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Service", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if err := e.Skip(wbem.Infinite, n-1); err != nil {
			t.Fatalf("Skip(%d) = %v", n-1, err)
		}
		buf := make([]cim.Object, 5)
		if k, err := e.Next(wbem.Infinite, buf); k != 1 || err != io.EOF {
			t.Fatalf("Next after Skip(n-1) = %d, %v; want the last one and io.EOF", k, err)
		}
		if err := e.Skip(wbem.Infinite, 1); err != io.EOF {
			t.Fatalf("Skip past the end = %v", err)
		}
	})
	t.Run("reset-clone", func(t *testing.T) {
		fwd, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Service", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer fwd.Close()
		if err := fwd.Reset(); wbem.StatusOf(err) != cim.WBEM_E_INVALID_OPERATION {
			t.Fatalf("Reset on forward-only = %v", err)
		}
		bi, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Service", wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
		if err != nil {
			t.Fatal(err)
		}
		defer bi.Close()
		buf := make([]cim.Object, n+1)
		if k, err := bi.Next(wbem.Infinite, buf[:2]); k != 2 || err != nil {
			t.Fatalf("Next = %d, %v", k, err)
		}
		clone, err := bi.Clone()
		if err != nil {
			t.Fatal(err)
		}
		defer clone.Close()
		bi.Reset()
		if k, err := bi.Next(wbem.Infinite, buf); k != n || err != io.EOF {
			t.Fatalf("after Reset Next = %d, %v; want %d, io.EOF", k, err, n)
		}
		if k, err := clone.Next(wbem.Infinite, buf); k != n-2 || err != io.EOF {
			t.Fatalf("clone Next = %d, %v; want %d", k, err, n-2)
		}
	})
	t.Run("async", func(t *testing.T) {
		s := &sink{done: make(chan struct{})}
		if err := svc.ExecQueryAsync(ctx, "WQL", "SELECT * FROM Win32_Service", 0, s); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			t.Fatal("no SetStatus within a minute")
		}
		if s.n != n || s.err != nil {
			t.Fatalf("async gave %d objects and %v, want %d and nil", s.n, s.err, n)
		}
	})
	t.Run("decode", func(t *testing.T) {
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT Name, State FROM Win32_Service", semisync)
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Name  string
			State string
		}
		if err := wbem.DecodeAll(ctx, e, &rows); err != nil || len(rows) != n || rows[0].Name == "" {
			t.Fatalf("DecodeAll = %d rows, %v", len(rows), err)
		}
	})
}

type sink struct {
	mu   sync.Mutex
	n    int
	err  error
	done chan struct{}
}

func (s *sink) Indicate(objs []cim.Object) error {
	s.mu.Lock()
	s.n += len(objs)
	s.mu.Unlock()
	return nil
}

func (s *sink) SetStatus(st wbem.SinkStatus) {
	if st.Type == wbem.WBEM_STATUS_COMPLETE {
		s.err = st.Err
		close(s.done)
	}
}

// GetObject of an instance path, a class path, and the semisynchronous
// call result.
func TestGetObject(t *testing.T) {
	svc := open(t, `root\cimv2`)
	ctx := context.Background()
	rel := cim.String(fmt.Sprintf(`Win32_Process.Handle="%d"`, os.Getpid()))
	cr, err := svc.GetObject(ctx, rel.Str(), wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
	if err != nil {
		t.Fatal(err)
	}
	o, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatalf("GetObject(%s): %v", rel, err)
	}
	if got := o.(*cim.Instance).Value("ProcessId").Uint(); got != uint64(os.Getpid()) {
		t.Fatalf("GetObject(%s) gave process %d", rel, got)
	}

	cr, err = svc.GetObject(ctx, "Win32_Process", 0)
	if err != nil {
		t.Fatal(err)
	}
	o, _ = cr.ResultObject(wbem.Infinite)
	c, ok := o.(*cim.Class)
	if !ok {
		t.Fatalf("GetObject(Win32_Process) gave a %T, want a class", o)
	}
	want := map[string]cim.Type{"Name": cim.TypeString, "ProcessId": cim.TypeUint32, "WorkingSetSize": cim.TypeUint64}
	if !onWine() { // Wine's Win32_Process has no CreationDate
		want["CreationDate"] = cim.TypeDatetime
	}
	for name, typ := range want {
		if p, ok := c.Property(name); !ok || p.Type != typ {
			t.Errorf("class Win32_Process property %s: %v, want %v", name, p, typ)
		}
	}
}

// Failures are WBEM statuses naming the culprit, never crashes.
func TestErrors(t *testing.T) {
	svc := open(t, `root\cimv2`)
	ctx := context.Background()
	if _, err := svc.GetObject(ctx, "", 0); onWine() && wbem.StatusOf(err) != cim.WBEM_E_NOT_SUPPORTED {
		t.Errorf("GetObject(\"\") on Wine = %v, want WBEM_E_NOT_SUPPORTED (Wine crashes on the empty class)", err)
	}
	_, err := svc.GetObject(ctx, "GW_NoSuchClass", 0)
	if s := wbem.StatusOf(err); s != cim.WBEM_E_NOT_FOUND && s != cim.WBEM_E_INVALID_CLASS {
		t.Errorf("GetObject of an unknown class = %v", err)
	}
	// ExecMethod on an unknown class or method: Wine's ExecMethod would
	// crash on the class; the backend asks for the class first.
	_, err = svc.ExecMethod(ctx, "GW_NoSuchClass", "Nothing", nil, 0)
	if s := wbem.StatusOf(err); s != cim.WBEM_E_NOT_FOUND && s != cim.WBEM_E_INVALID_CLASS {
		t.Errorf("ExecMethod on an unknown class = %v", err)
	}
	_, err = svc.ExecMethod(ctx, "Win32_Process", "NoSuchMethod", nil, 0)
	if s := wbem.StatusOf(err); s != cim.WBEM_E_INVALID_METHOD {
		t.Errorf("ExecMethod of an unknown method = %v, want WBEM_E_INVALID_METHOD", err)
	}
	if _, err := wbem.Connect(ctx, "wmi:", `root\gw_no_such_namespace`, wbem.Credentials{}); err == nil {
		svc2, _ := wbem.Connect(ctx, "wmi:", `root\gw_no_such_namespace`, wbem.Credentials{})
		_, err = svc2.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Process", 0)
		if s := wbem.StatusOf(err); s != cim.WBEM_E_INVALID_NAMESPACE {
			t.Errorf("a query in an unknown namespace = %v, want WBEM_E_INVALID_NAMESPACE", err)
		}
	}
	t.Run("unknown-class-query", func(t *testing.T) {
		wineLacks(t, "returns an empty result for a query on an unknown class instead of WBEM_E_INVALID_CLASS")
		e, _ := svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_NoSuchClass", semisync)
		_, err := e.Collect(ctx)
		if s := wbem.StatusOf(err); s != cim.WBEM_E_INVALID_CLASS && s != cim.WBEM_E_NOT_FOUND {
			t.Errorf("query of an unknown class = %v", err)
		}
	})
	t.Run("syntax", func(t *testing.T) {
		e, _ := svc.ExecQuery(ctx, "WQL", "SELEC * FROM Win32_Process", semisync)
		_, err := e.Collect(ctx)
		if !wbem.StatusOf(err).Failed() {
			t.Fatalf("a bad query succeeded")
		}
		var we *cim.Error
		if !errors.As(err, &we) || we.Description == "" || we.Operation == "" {
			t.Errorf("failure %#v lacks a description or operation", err)
		}
	})
}

// A static method with in-parameters of every VARIANT convention:
// StdRegProv.GetStringValue(uint32 hDefKey, string sSubKeyName, string
// sValueName) — hDefKey 0x80000002 (HKEY_LOCAL_MACHINE) travels as a
// negative VT_I4 — checked against the registry read directly.
func TestExecMethod(t *testing.T) {
	svc := open(t, `root\default`)
	ctx := context.Background()
	const sub, name = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "CurrentBuildNumber"
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, sub, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := k.GetStringValue(name)
	k.Close()
	if err != nil {
		t.Fatal(err)
	}
	cr, err := svc.GetObject(ctx, "StdRegProv", 0)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := cr.ResultObject(wbem.Infinite)
	m, ok := o.(*cim.Class).Method("GetStringValue")
	if !ok {
		t.Fatal("StdRegProv has no GetStringValue")
	}
	params := &cim.Class{Name: "__PARAMETERS"}
	for _, p := range m.Params {
		if p.In() {
			params.Properties = append(params.Properties, cim.Property{Name: p.Name, Type: p.Type})
		}
	}
	in := params.NewInstance()
	hklm := cim.Uint32(0x80000002)
	if p, ok := m.Param("hDefKey"); ok && p.Type == cim.TypeSint32 { // Wine declares it sint32
		hklm = cim.Sint32(-0x7FFFFFFE)
	}
	for n, v := range map[string]cim.Value{"hDefKey": hklm, "sSubKeyName": cim.String(sub), "sValueName": cim.String(name)} {
		if err := in.Set(n, v); err != nil {
			t.Fatalf("in-parameter %s: %v (params %v)", n, err, m.Params)
		}
	}
	cr, err = svc.ExecMethod(ctx, "StdRegProv", "GetStringValue", in, wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatalf("GetStringValue: %v", err)
	}
	oi := out.(*cim.Instance)
	if rv := oi.Value("ReturnValue"); rv.Uint() != 0 || oi.Value("sValue").Str() != want {
		t.Fatalf("GetStringValue = %v, sValue %v; the registry says %q", rv, oi.Value("sValue"), want)
	}
}

// Closing an enumerator or cancelling the context ends the operation and
// releases the WMI enumerator, leaving no goroutine behind.
func TestCancel(t *testing.T) {
	svc := open(t, `root\cimv2`)
	before := runtime.NumGoroutine()
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Win32_Process", semisync)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		buf := make([]cim.Object, 1000)
		for {
			_, err := e.Next(10*time.Second, buf)
			if err == io.EOF {
				break // WMI had finished before the cancel
			}
			if err == wbem.ErrTimedOut {
				t.Fatal("a cancelled enumeration did not end within 10 s")
			}
			if s := wbem.StatusOf(err); s != cim.WBEM_E_CALL_CANCELLED {
				t.Fatalf("Next after cancel = %v, want WBEM_E_CALL_CANCELLED or io.EOF", err)
			}
			break
		}
		e.Close()
		e2, _ := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM Win32_Process", semisync)
		e2.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+1 {
		t.Fatalf("%d goroutines after cancelled operations, %d before", n, before)
	}
}

// Event queries over the real WMI event system: a process started shows
// as an __InstanceCreationEvent; while none comes, Next gives ErrTimedOut.
func TestEvents(t *testing.T) {
	wineLacks(t, "has no event system (ExecNotificationQuery is not implemented)")
	svc := open(t, `root\cimv2`)
	ctx := context.Background()
	e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'", semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 1)
	if _, err := e.Next(100*time.Millisecond, buf); err != wbem.ErrTimedOut && err != nil {
		t.Fatalf("Next on a quiet subscription = %v, want ErrTimedOut (WBEM_S_TIMEDOUT)", err)
	}
	p, err := os.StartProcess(os.Getenv("ComSpec"), []string{"cmd", "/c", "exit"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n, err := e.Next(time.Second, buf)
		if n == 1 {
			ti, _ := buf[0].Get("TargetInstance")
			if inst := ti.Instance(); inst != nil && inst.Value("ProcessId").Uint() == uint64(p.Pid) {
				return
			}
			continue
		}
		if err != wbem.ErrTimedOut {
			t.Fatal(err)
		}
	}
	t.Fatal("no creation event for the started process within 30 s")
}

// Windows-only behaviour of WMI itself: a local connection with
// credentials is refused.
func TestLocalCredentials(t *testing.T) {
	wineLacks(t, "ignores credentials")
	_, err := wbem.Connect(context.Background(), "wmi:", `root\cimv2`, wbem.Credentials{User: "nobody", Password: "x"})
	if s := wbem.StatusOf(err); s != cim.WBEM_E_LOCAL_CREDENTIALS {
		t.Fatalf("local credentials = %v, want WBEM_E_LOCAL_CREDENTIALS", err)
	}
}
