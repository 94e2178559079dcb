//go:build linux

package providerhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// self is the test binary, which serves the child providers.
func self(t testing.TB) []string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{exe, childArg}
	if n := os.Getenv("GOWBEM_BENCH_PROVIDER_MAXPROCS"); n != "" {
		args = append(args, "maxprocs="+n) // plugin.MaxProcs of the provider processes
	}
	if p := os.Getenv("GOWBEM_BENCH_PROVIDER_TRACE"); p != "" {
		args = append(args, "trace="+p)
	}
	return args
}

// testUser is the account test providers run as: the daemon's own, even as
// root (registered so), except where a test says otherwise.
func testUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return ""
}

func newHost(t testing.TB, cfg Config) *Host {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute // a race-built test binary on a loaded machine
	}
	h := New(cfg)
	t.Cleanup(h.Close)
	return h
}

func reg(t testing.TB, name string, hosting HostingModel) *Registration {
	return &Registration{Namespace: `root\cimv2`, Name: name, Command: self(t), Hosting: hosting, User: testUser(),
		Instances: true, Query: true, Put: true, Delete: true, Methods: true}
}

// omWith returns an object manager whose workload class GW_Item is served
// by p.
func omWith(p provider.InstanceProvider) *cimom.ObjectManager {
	om := cimom.NewMemory(cimom.WithServer("testhost"), cimom.WithProvider(workload.ProviderName, p))
	if err := workload.Setup(context.Background(), om.Services(workload.Namespace)); err != nil {
		panic(err)
	}
	return om
}

func collect(t testing.TB, svc *wbem.Services, query string) ([]*cim.Instance, error) {
	t.Helper()
	e, err := svc.ExecQuery(context.Background(), "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var out []*cim.Instance
	buf := make([]cim.Object, 100)
	for {
		n, err := e.Next(wbem.Infinite, buf)
		for _, o := range buf[:n] {
			out = append(out, o.(*cim.Instance))
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func get(svc *wbem.Services, path string) (*cim.Instance, error) {
	r, err := svc.GetObject(context.Background(), path, 0)
	if err != nil {
		return nil, err
	}
	obj, err := r.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	return obj.(*cim.Instance), nil
}

func do(r *wbem.CallResult, err error) error {
	if err != nil {
		return err
	}
	_, err = r.CallStatus(wbem.Infinite)
	return err
}

func wantStatus(t testing.TB, err error, st cim.Status, mention ...string) {
	t.Helper()
	var we *cim.Error
	if !errors.As(err, &we) || we.Status != st {
		t.Fatalf("error %v, want %s", err, st)
	}
	for _, m := range mention {
		if !strings.Contains(we.Description+" "+we.Provider, m) {
			t.Errorf("error %q does not mention %q", we.Description, m)
		}
	}
}

func TestEnumerateAcrossTheBoundary(t *testing.T) {
	h := newHost(t, Config{})
	svc := omWith(h.Proxy(reg(t, "Items", SelfHost))).Services(workload.Namespace)
	got, err := collect(t, svc, "SELECT * FROM GW_Item")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 {
		t.Fatalf("got %d instances, want 1000", len(got))
	}
	c := workload.Class()
	for i, inst := range got {
		want := workload.Build(c, i)
		for k := range c.Properties {
			if !cim.Equal(inst.At(k), want.At(k)) || inst.At(k).Type() != want.At(k).Type() {
				t.Fatalf("instance %d property %s = %#v, want %#v", i, c.Properties[k].Name, inst.At(k), want.At(k))
			}
		}
	}
	// GetInstance and a method, on the same process.
	obj, err := get(svc, `GW_Item.Id=42`)
	if err != nil {
		t.Fatal(err)
	}
	if v := obj.Value("Name").Str(); v != "item-42" {
		t.Errorf("GetObject: Name = %q", v)
	}
	_, err = get(svc, `GW_Item.Id=4242`)
	wantStatus(t, err, cim.WBEM_E_NOT_FOUND)
}

func TestMethodsWritesQueriesAndProgress(t *testing.T) {
	h := newHost(t, Config{})
	om := omWith(h.Proxy(reg(t, "Writer", SelfHost)))
	svc := om.Services(workload.Namespace)
	ctx := context.Background()
	c := workload.Class()

	in := c.NewInstance()
	in.Set("Id", cim.Uint32(5))
	in.Set("Name", cim.String("five"))
	in.Set("Created", cim.TimeValue(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	in.Set("Active", cim.Bool(true))
	in.Set("Count", cim.Sint64(-7))
	if err := do(svc.PutInstance(ctx, in, wbem.WBEM_FLAG_CREATE_ONLY)); err != nil {
		t.Fatal(err)
	}
	err := do(svc.PutInstance(ctx, in, wbem.WBEM_FLAG_CREATE_ONLY))
	wantStatus(t, err, cim.WBEM_E_ALREADY_EXISTS, "Writer")
	got, err := get(svc, `GW_Item.Id=5`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"Id", "Name", "Created", "Active", "Count"} {
		if !cim.Equal(got.Value(p), in.Value(p)) {
			t.Errorf("%s = %v, want %v", p, got.Value(p), in.Value(p))
		}
	}

	// A static method and an instance method with in and out parameters.
	inParams := (&cim.Class{Name: "__PARAMETERS", Properties: []cim.Property{{Name: "Text", Type: cim.TypeString}}}).NewInstance()
	inParams.Set("Text", cim.String("héllo"))
	r, err := svc.ExecMethod(ctx, "GW_Item", "Echo", inParams, 0)
	if err != nil {
		t.Fatal(err)
	}
	outObj, err := r.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	if r := outObj.(*cim.Instance).Value("Reply").Str(); r != "héllo" {
		t.Errorf("Echo: Reply = %q", r)
	}

	// The query's hint reaches the provider, typed.
	rows, err := collect(t, svc, "SELECT * FROM GW_Item WHERE Id = 9")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Value("Name").Str() != "SELECT * FROM GW_Item WHERE Id = 9" || rows[0].Value("Id").Uint() != 9 {
		t.Errorf("query rows %v", rows)
	}

	if err := do(svc.DeleteInstance(ctx, `GW_Item.Id=5`, 0)); err != nil {
		t.Fatal(err)
	}
	err = do(svc.DeleteInstance(ctx, `GW_Item.Id=5`, 0))
	wantStatus(t, err, cim.WBEM_E_NOT_FOUND)
}

func TestNotRegisteredCapabilities(t *testing.T) {
	h := newHost(t, Config{})
	r := reg(t, "Writer", SelfHost)
	r.Put, r.Delete, r.Methods = false, false, false
	svc := omWith(h.Proxy(r)).Services(workload.Namespace)
	in := workload.Class().NewInstance()
	in.Set("Id", cim.Uint32(1))
	err := do(svc.PutInstance(context.Background(), in, 0))
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, "SupportsPut")
	err = do(svc.ExecMethod(context.Background(), "GW_Item", "Echo", nil, 0))
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, "__MethodProviderRegistration")
}

// stats reads the child's counters through the Stats provider, which shares
// the Endless provider's process.
func stats(t testing.TB, svc *wbem.Services) (emitted, stopped int64, pid int) {
	t.Helper()
	inst, err := get(svc, `GW_Stats.Id=0`)
	if err != nil {
		t.Fatal(err)
	}
	return inst.Value("Count").Int(), int64(inst.Value("Size").Uint()), int(inst.Value("Flags").Uint())
}

// sharedPair serves GW_Item with Endless and GW_Stats with Stats, in one
// shared host process.
func sharedPair(t testing.TB, h *Host, opts ...wbem.Option) *wbem.Services {
	stats := workload.Class()
	stats.Name = "GW_Stats"
	stats.Qualifiers = cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("Stats")}}
	om := omWith(h.Proxy(reg(t, "Endless", SharedHost)))
	om.RegisterProvider("Stats", h.Proxy(reg(t, "Stats", SharedHost)))
	svc := om.Services(workload.Namespace, opts...)
	if err := do(svc.PutClass(context.Background(), stats, 0)); err != nil {
		t.Fatal(err)
	}
	return svc
}

// waitFor polls cond until it holds (an event in another process), failing
// after a generous bound.
// waitSteady waits until count, once above 0, stays the same over two
// reads and 50 ms after (a provider blocked in Emit), and returns it.
func waitSteady(t testing.TB, what string, count func() int64) int64 {
	t.Helper()
	var last int64
	waitFor(t, what, func() bool {
		n := count()
		steady := n == last && n > 0
		last = n
		if steady {
			time.Sleep(50 * time.Millisecond) // still steady a while later?
			return count() == n
		}
		return false
	})
	return last
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBackpressureAndCancellation(t *testing.T) {
	h := newHost(t, Config{})
	const queue = 16
	svc := sharedPair(t, h, wbem.WithQueueSize(queue))
	e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]cim.Object, 10)
	if _, err := e.Next(wbem.Infinite, buf); err != nil {
		t.Fatal(err)
	}
	// The consumer stops reading: the provider runs ahead by at most the
	// credit's batches, the one it is filling, the one the proxy is emitting
	// and the consumer's queue; then it blocks in Emit.
	bound := int64(credit + 2*1000 + queue + 10)
	last := waitSteady(t, "the provider to block", func() int64 { n, _, _ := stats(t, svc); return n })
	if last > bound {
		t.Errorf("the provider emitted %d instances ahead of a consumer that took 10; want at most %d", last, bound)
	}
	// Release reaches the provider's context: it stops.
	_, before, _ := stats(t, svc)
	e.Close()
	waitFor(t, "the provider to stop", func() bool {
		_, s, _ := stats(t, svc)
		return s == before+1
	})
}

func TestCrashFailsOnlyInFlightCallsAndRestarts(t *testing.T) {
	h := newHost(t, Config{Policy: Policy{FirstBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxCrashes: 100, CrashWindow: time.Minute}})
	r := reg(t, "Crash", SelfHost)
	crashSvc := omWith(h.Proxy(r)).Services(workload.Namespace)
	goodSvc := omWith(h.Proxy(reg(t, "Items", SelfHost))).Services(workload.Namespace)

	for range 2 { // crash, restart, crash again
		_, err := collect(t, crashSvc, "SELECT * FROM GW_Item")
		wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Crash"`, "exited", "signal: killed")
		_, err = get(crashSvc, `GW_Item.Id=1`)
		wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Crash"`)
	}
	// Another provider never noticed.
	if got, err := collect(t, goodSvc, "SELECT * FROM GW_Item"); err != nil || len(got) != 1000 {
		t.Fatalf("the other provider: %d instances, %v", len(got), err)
	}
}

func TestCrashLoopIsReported(t *testing.T) {
	h := newHost(t, Config{Policy: Policy{FirstBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxCrashes: 3, CrashWindow: time.Hour}})
	r := reg(t, "Nothing", SelfHost)
	r.Command = []string{"/bin/false"}
	svc := omWith(h.Proxy(r)).Services(workload.Namespace)
	for i := range 3 {
		_, err := get(svc, `GW_Item.Id=1`)
		wantStatus(t, err, cim.WBEM_E_PROVIDER_LOAD_FAILURE, `"Nothing"`, "could not be started")
		_ = i
	}
	_, err := get(svc, `GW_Item.Id=1`)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_LOAD_FAILURE, "crash loop")
}

func TestHungProviderTimesOutAndIsKilled(t *testing.T) {
	h := newHost(t, Config{})
	r := reg(t, "Hang", SelfHost)
	r.Timeout = 300 * time.Millisecond
	svc := omWith(h.Proxy(r)).Services(workload.Namespace)
	_, err := get(svc, `GW_Item.Id=1`)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_TIMED_OUT, `"Hang"`, "killed")
	// An enumeration that stops sending times out too, on a new process.
	got, err := collect(t, svc, "SELECT * FROM GW_Item")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_TIMED_OUT, `"Hang"`)
	if len(got) != 1 {
		t.Errorf("got %d instances before the timeout, want the 1 sent", len(got))
	}
}

func TestIdleProcessStops(t *testing.T) {
	h := newHost(t, Config{Sweep: 10 * time.Millisecond})
	r := reg(t, "Items", SelfHost)
	r.Idle = 100 * time.Millisecond
	svc := omWith(h.Proxy(r)).Services(workload.Namespace)
	if _, err := get(svc, `GW_Item.Id=1`); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	var p *proc
	for _, q := range h.procs {
		p = q
	}
	h.mu.Unlock()
	if p == nil {
		t.Fatal("no process")
	}
	select {
	case <-p.dead:
	case <-time.After(20 * time.Second):
		t.Fatal("the idle process did not stop")
	}
	if _, err := get(svc, `GW_Item.Id=1`); err != nil {
		t.Fatalf("after the idle stop: %v", err)
	}
}

func TestResourceLimits(t *testing.T) {
	h := newHost(t, Config{})
	r := reg(t, "Stats", SelfHost)
	r.Limits = Limits{Memory: 8 << 30, OpenFiles: 77}
	stats := workload.Class()
	stats.Name = "GW_Stats"
	stats.Qualifiers = cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("Stats")}}
	om := omWith(&workload.Provider{})
	om.RegisterProvider("Stats", h.Proxy(r))
	svc := om.Services(workload.Namespace)
	if err := do(svc.PutClass(context.Background(), stats, 0)); err != nil {
		t.Fatal(err)
	}
	_, _, pid16 := stats16(t, svc)
	var pid int
	h.mu.Lock()
	for _, p := range h.procs {
		pid = p.pid()
	}
	h.mu.Unlock()
	if uint16(pid) != pid16 {
		t.Fatalf("pid %d is not the provider's (%d)", pid, pid16)
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, want := range []string{"Max open files            77                   77", "Max address space         8589934592           8589934592"} {
		if !strings.Contains(string(limits), want) {
			t.Errorf("/proc/%d/limits lacks %q:\n%s", pid, want, limits)
		}
	}
}

func stats16(t testing.TB, svc *wbem.Services) (int64, int64, uint16) {
	e, s, p := stats(t, svc)
	return e, s, uint16(p)
}

func TestCallerCrossesTheBoundary(t *testing.T) {
	h := newHost(t, Config{})
	x := h.Proxy(reg(t, "Who", SelfHost))
	c := workload.Class()
	ctx := identity.NewContext(context.Background(), &identity.Caller{Name: "alice", Admin: true,
		Account: &identity.Account{Name: "alice", UID: 1234, GID: 1234}})
	inst, err := x.GetInstance(ctx, c, cim.ObjectPath{Class: c.Name, Keys: []cim.KeyBinding{{Name: "Id", Value: cim.Uint32(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Value("Name").Str() != "alice" || !inst.Value("Active").Bool() || inst.Value("Owner").Str() != "alice" || inst.Value("Size").Uint() != 1234 {
		t.Errorf("the provider saw %v %v %v %v", inst.Value("Name"), inst.Value("Active"), inst.Value("Owner"), inst.Value("Size"))
	}
	// An enumeration carries it too; an in-process call has none.
	var got []*cim.Instance
	err = x.EnumerateInstances(ctx, c, provider.EmitFunc(func(i *cim.Instance) error { got = append(got, i); return nil }))
	if err != nil || len(got) != 1 || got[0].Value("Name").Str() != "alice" {
		t.Errorf("enumeration: %v %v", got, err)
	}
	inst, err = x.GetInstance(context.Background(), c, cim.ObjectPath{Class: c.Name, Keys: []cim.KeyBinding{{Name: "Id", Value: cim.Uint32(0)}}})
	if err != nil || inst.Value("Name").Str() != "(nobody)" {
		t.Errorf("no caller: %v %v", inst, err)
	}
}
