package wbem_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The event conformance tests run over every backend against an object
// manager the test holds, so that it can change things behind the
// subscriber's back and look at the server's side.
type eventBackend struct {
	name string
	open func(t *testing.T, om *cimom.ObjectManager, opts wsman.Options) *wbem.Services
}

var eventBackends = []eventBackend{
	{"inprocess", func(t *testing.T, om *cimom.ObjectManager, _ wsman.Options) *wbem.Services {
		return om.Services(workload.Namespace)
	}},
	{"wsman", func(t *testing.T, om *cimom.ObjectManager, opts wsman.Options) *wbem.Services {
		opts.Authenticator = auth.NewBasic(auth.Static{"user": {Password: "pass", Admin: true}}, auth.BasicOptions{})
		opts.ServerName = "testhost"
		srv := wsman.NewServer(om, opts)
		hs := httptest.NewUnstartedServer(srv)
		hs.Config.ConnContext = wsman.ConnContext
		hs.Start()
		svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman", workload.Namespace, wbem.Credentials{User: "user", Password: "pass"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svc.Backend().(*wsman.Client).CloseIdleConnections()
			srv.Close()
			hs.Close()
		})
		return svc
	}},
}

func forEachEventBackend(t *testing.T, fn func(t *testing.T, b eventBackend)) {
	for _, b := range eventBackends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// A test provider: GW_Proc, polled; GW_Alarm, extrinsic events.
type evProvider struct {
	mu     sync.Mutex
	procs  map[uint32]string
	enums  atomic.Int32
	sinks  []provider.EventSink
	active atomic.Int32
}

func (p *evProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	p.enums.Add(1)
	p.mu.Lock()
	var ids []uint32
	for id := range p.procs {
		ids = append(ids, id)
	}
	names := map[uint32]string{}
	for id, n := range p.procs {
		names[id] = n
	}
	p.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		inst := class.NewInstance()
		inst.Set("Id", cim.Uint32(id))
		inst.Set("Name", cim.String(names[id]))
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (p *evProvider) GetInstance(context.Context, *cim.Class, cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

func (p *evProvider) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	p.mu.Lock()
	p.sinks = append(p.sinks, sink)
	p.mu.Unlock()
	p.active.Add(1)
	context.AfterFunc(ctx, func() { p.active.Add(-1) })
	return nil
}

func (p *evProvider) raise(t *testing.T, c *cim.Class, level uint32) {
	t.Helper()
	p.mu.Lock()
	sinks := append([]provider.EventSink(nil), p.sinks...)
	p.mu.Unlock()
	for _, s := range sinks {
		ev := c.NewInstance()
		ev.Set("Level", cim.Uint32(level))
		s.Indicate(ev)
	}
}

func (p *evProvider) set(id uint32, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if name == "" {
		delete(p.procs, id)
		return
	}
	p.procs[id] = name
}

func eventObjectManager(t *testing.T, p *evProvider, opts ...cimom.Option) *cimom.ObjectManager {
	t.Helper()
	opts = append([]cimom.Option{cimom.WithProvider("ev", p), cimom.WithMinPollInterval(20 * time.Millisecond)}, opts...)
	om := workload.NewObjectManager(&workload.Provider{}, opts...)
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	for _, c := range []*cim.Class{
		{Name: "GW_Proc", Qualifiers: cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("ev")}},
			Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32, Qualifiers: key}, {Name: "Name", Type: cim.TypeString}}},
		{Name: "GW_Alarm", Superclass: "__ExtrinsicEvent", Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String("ev")}},
			Properties: []cim.Property{{Name: "Level", Type: cim.TypeUint32}}},
	} {
		if _, err := om.Services(workload.Namespace).PutClass(t.Context(), c, 0); err != nil {
			t.Fatal(err)
		}
	}
	return om
}

func evSubscribe(t *testing.T, svc *wbem.Services, q string) *wbem.Enumerator {
	t.Helper()
	e, err := svc.ExecNotificationQuery(t.Context(), "WQL", q, semisync)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func evNext(t *testing.T, e *wbem.Enumerator) *cim.Instance {
	t.Helper()
	buf := make([]cim.Object, 1)
	n, err := e.Next(10*time.Second, buf)
	if n != 1 || err != nil {
		t.Fatalf("no event: Next = %d, %v", n, err)
	}
	return buf[0].(*cim.Instance)
}

func evNone(t *testing.T, e *wbem.Enumerator, wait time.Duration) {
	t.Helper()
	buf := make([]cim.Object, 1)
	if n, err := e.Next(wait, buf); n != 0 || err != wbem.ErrTimedOut {
		t.Fatalf("want no event: Next = %d, %v, %v", n, err, buf[0])
	}
}

func embedded(t *testing.T, ev *cim.Instance, prop string) cim.Object {
	t.Helper()
	o := ev.Value(prop).Object()
	if o == nil {
		t.Fatalf("%s has no %s: %v", ev.ClassName(), prop, ev)
	}
	return o
}

// waitFor polls cond for a few seconds: the server side of a remote
// subscription ends after the client's Release reaches it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Each intrinsic event kind of the repository, made through the backend
// itself, with the statuses of wrong queries at the call.
func TestEventsRepository(t *testing.T) {
	forEachEventBackend(t, func(t *testing.T, b eventBackend) {
		om := eventObjectManager(t, &evProvider{procs: map[uint32]string{}})
		svc := b.open(t, om, wsman.Options{})
		ctx := t.Context()
		insts := evSubscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Base'")
		classes := evSubscribe(t, svc, "SELECT * FROM __ClassOperationEvent WHERE TargetClass ISA 'GW_Base'")
		nss := evSubscribe(t, svc, "SELECT * FROM __NamespaceOperationEvent")

		cr, err := svc.GetObject(ctx, "GW_Base", 0)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := cr.ResultObject(wbem.Infinite)
		base := obj.(*cim.Class)
		for _, size := range []uint32{1, 2} {
			inst := base.NewInstance()
			inst.Set("Name", cim.String("a"))
			inst.Set("Size", cim.Uint32(size))
			if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.DeleteInstance(ctx, `GW_Base.Name="a"`, 0); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"__InstanceCreationEvent", "__InstanceModificationEvent", "__InstanceDeletionEvent"} {
			ev := evNext(t, insts)
			if ev.ClassName() != want {
				t.Fatalf("got %s, want %s", ev.ClassName(), want)
			}
			ti := embedded(t, ev, "TargetInstance").(*cim.Instance)
			if ti.ClassName() != "GW_Base" || ti.Value("Name").Str() != "a" {
				t.Fatalf("%s about %v", want, ti)
			}
			if want == "__InstanceModificationEvent" && embedded(t, ev, "PreviousInstance").(*cim.Instance).Value("Size").Uint() != 1 {
				t.Fatalf("PreviousInstance of %v", ev)
			}
		}
		sub := &cim.Class{Name: "GW_Sub", Superclass: "GW_Base"}
		if _, err := svc.PutClass(ctx, sub, 0); err != nil {
			t.Fatal(err)
		}
		sub2 := &cim.Class{Name: "GW_Sub", Superclass: "GW_Base", Properties: []cim.Property{{Name: "Added", Type: cim.TypeString}}}
		if _, err := svc.PutClass(ctx, sub2, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeleteClass(ctx, "GW_Sub", 0); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"__ClassCreationEvent", "__ClassModificationEvent", "__ClassDeletionEvent"} {
			ev := evNext(t, classes)
			if ev.ClassName() != want || embedded(t, ev, "TargetClass").ClassName() != "GW_Sub" {
				t.Fatalf("got %v, want %s of GW_Sub", ev, want)
			}
			if want != "__ClassModificationEvent" {
				continue
			}
			if embedded(t, ev, "TargetClass").(*cim.Class).PropertyIndex("Added") < 0 || embedded(t, ev, "PreviousClass").(*cim.Class).PropertyIndex("Added") >= 0 {
				t.Fatalf("modification of GW_Sub: TargetClass should have Added and PreviousClass not: %v", ev)
			}
		}
		// A namespace made by an __NAMESPACE instance.
		cr, err = svc.GetObject(ctx, "__NAMESPACE", 0)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ = cr.ResultObject(wbem.Infinite)
		n := obj.(*cim.Class).NewInstance()
		n.Set("Name", cim.String("child"))
		if _, err := svc.PutInstance(ctx, n, 0); err != nil {
			t.Fatal(err)
		}
		if ev := evNext(t, nss); ev.ClassName() != "__NamespaceCreationEvent" || embedded(t, ev, "TargetNamespace").(*cim.Instance).Value("Name").Str() != "child" {
			t.Fatalf("namespace creation: %v", ev)
		}
		if _, err := svc.DeleteInstance(ctx, `__NAMESPACE.Name="child"`, 0); err != nil {
			t.Fatal(err)
		}
		if ev := evNext(t, nss); ev.ClassName() != "__NamespaceDeletionEvent" || embedded(t, ev, "TargetNamespace").(*cim.Instance).Value("Name").Str() != "child" {
			t.Fatalf("namespace deletion: %v", ev)
		}
		evNone(t, insts, 50*time.Millisecond)

		for q, want := range map[string]cim.Status{
			"SELECT * FROM GW_Base": cim.WBEM_E_NOT_EVENT_CLASS,
			"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Proc'":          cim.WBEMESS_E_REGISTRATION_TOO_PRECISE,
			"SELECT * FROM __InstanceCreationEvent WITHIN 10":                                   cim.WBEMESS_E_REGISTRATION_TOO_BROAD,
			"SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'NoSuch'": cim.WBEM_E_INVALID_CLASS,
			"SELECT FROM WHERE": cim.WBEM_E_UNPARSABLE_QUERY,
		} {
			e, err := svc.ExecNotificationQuery(ctx, "WQL", q, semisync)
			if got := wbem.StatusOf(err); got != want || e != nil {
				t.Errorf("%s: %v (%v), want %v at the call", q, got, err, want)
			}
		}
	})
}

// A provider's class polled with WITHIN, an extrinsic provider, GROUP
// WITHIN with HAVING; Close leaves nothing running on the server.
func TestEventsProviders(t *testing.T) {
	forEachEventBackend(t, func(t *testing.T, b eventBackend) {
		p := &evProvider{procs: map[uint32]string{1: "init"}}
		om := eventObjectManager(t, p)
		svc := b.open(t, om, wsman.Options{})
		polled := evSubscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WITHIN 0.05 WHERE TargetInstance ISA 'GW_Proc' AND TargetInstance.Name <> 'skip'")
		alarms := evSubscribe(t, svc, "SELECT * FROM GW_Alarm WHERE Level >= 3")
		grouped := evSubscribe(t, svc, "SELECT * FROM GW_Alarm GROUP WITHIN 0.3 HAVING NumberOfEvents > 2")
		if p.active.Load() != 2 {
			t.Fatalf("%d provider calls for two subscriptions to GW_Alarm", p.active.Load())
		}
		p.set(2, "skip")
		p.set(3, "new")
		ev := evNext(t, polled)
		if ti := embedded(t, ev, "TargetInstance").(*cim.Instance); ti.Value("Id").Uint() != 3 {
			t.Fatalf("polled creation: %v", ti)
		}
		alarm := classOf(t, svc, "GW_Alarm")
		for _, level := range []uint32{1, 5, 7} {
			p.raise(t, alarm, level)
		}
		if ev := evNext(t, alarms); ev.Value("Level").Uint() != 5 {
			t.Fatalf("alarm %v", ev)
		}
		if ev := evNext(t, alarms); ev.Value("Level").Uint() != 7 {
			t.Fatalf("alarm %v", ev)
		}
		agg := evNext(t, grouped)
		if agg.ClassName() != "__AggregateEvent" || agg.Value("NumberOfEvents").Uint() != 3 || embedded(t, agg, "Representative").(*cim.Instance).Value("Level").Uint() != 1 {
			t.Fatalf("aggregate %v", agg)
		}
		if om.Subscriptions() != 3 {
			t.Fatalf("%d subscriptions on the server", om.Subscriptions())
		}
		polled.Close()
		alarms.Close()
		grouped.Close()
		waitFor(t, "closed on the server", func() bool { return om.Subscriptions() == 0 && p.active.Load() == 0 })
		// A poll that had begun before Close may still reach the provider;
		// a poller that went on would enumerate every 50 ms after it.
		time.Sleep(100 * time.Millisecond)
		enums := p.enums.Load()
		time.Sleep(300 * time.Millisecond)
		if p.enums.Load() != enums {
			t.Fatal("the poller went on after Close")
		}
	})
}

// The asynchronous form over each backend: Indicate per event until
// CancelAsyncCall, then one SetStatus with WBEM_E_CALL_CANCELLED and the
// subscription gone on the server; a query that cannot be set up fails the
// call and leaves its sink alone.
func TestEventsAsync(t *testing.T) {
	forEachEventBackend(t, func(t *testing.T, b eventBackend) {
		om := eventObjectManager(t, &evProvider{procs: map[uint32]string{}})
		svc := b.open(t, om, wsman.Options{})
		ctx := t.Context()
		bad := newSink()
		if err := svc.ExecNotificationQueryAsync(ctx, "WQL", "SELECT * FROM GW_Base", 0, bad); wbem.StatusOf(err) != cim.WBEM_E_NOT_EVENT_CLASS {
			t.Fatalf("async with a data class = %v, want WBEM_E_NOT_EVENT_CLASS at the call", err)
		}
		sink := newSink()
		if err := svc.ExecNotificationQueryAsync(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", 0, sink); err != nil {
			t.Fatal(err)
		}
		base := classOf(t, svc, "GW_Base")
		for i := range 3 {
			inst := base.NewInstance()
			inst.Set("Name", cim.String(fmt.Sprint("async", i)))
			if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		waitFor(t, "three events indicated", func() bool {
			sink.mu.Lock()
			defer sink.mu.Unlock()
			names = names[:0]
			for _, obj := range sink.objs {
				names = append(names, embedded(t, obj.(*cim.Instance), "TargetInstance").(*cim.Instance).Value("Name").Str())
			}
			return len(names) >= 3
		})
		if fmt.Sprint(names) != "[async0 async1 async2]" {
			t.Fatalf("indicated %v, want the three creations in order", names)
		}
		if st := sink.completes(); len(st) != 0 {
			t.Fatalf("SetStatus before the cancellation: %v", st)
		}
		if err := svc.CancelAsyncCall(sink); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sink.done:
		case <-time.After(10 * time.Second):
			t.Fatal("no SetStatus after CancelAsyncCall")
		}
		if st := sink.completes(); len(st) != 1 || wbem.StatusOf(st[0].Err) != cim.WBEM_E_CALL_CANCELLED {
			t.Fatalf("statuses after the cancellation: %v", st)
		}
		waitFor(t, "the subscription gone on the server", func() bool { return om.Subscriptions() == 0 })
		bad.mu.Lock()
		defer bad.mu.Unlock()
		if len(bad.objs)+len(bad.statuses) != 0 {
			t.Fatal("the sink of a failed call was used")
		}
	})
}

// A consumer that never reads: the object manager keeps a bounded number of
// events and tells how many it lost.
func TestEventsOverflow(t *testing.T) {
	forEachEventBackend(t, func(t *testing.T, b eventBackend) {
		om := eventObjectManager(t, &evProvider{procs: map[uint32]string{}}, cimom.WithEventQueueSize(16))
		svc := b.open(t, om, wsman.Options{})
		e := evSubscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'")
		const total = 5000
		var mof []byte
		for i := range total {
			mof = fmt.Appendf(mof, "instance of GW_Base { Name = \"%d\"; };\n", i)
		}
		if _, err := om.CompileMOF(t.Context(), fstest.MapFS{"m.mof": {Data: mof}}, "m.mof", workload.Namespace); err != nil {
			t.Fatal(err)
		}
		delivered, lost := 0, uint64(0)
		buf := make([]cim.Object, 1) // Next waits for a full batch
		for uint64(delivered)+lost < total {
			n, err := e.Next(10*time.Second, buf)
			for _, obj := range buf[:n] {
				if ev := obj.(*cim.Instance); ev.ClassName() == "__EventQueueOverflowEvent" {
					lost += ev.Value("NumberOfEvents").Uint()
				} else {
					delivered++
				}
			}
			if err == wbem.ErrTimedOut && n == 0 {
				break
			}
		}
		evNone(t, e, 100*time.Millisecond)
		if lost == 0 || uint64(delivered)+lost != total {
			t.Fatalf("%d delivered + %d lost, want %d in all with some lost", delivered, lost, total)
		}
	})
}

// A subscription whose consumer has gone is cleaned up on the server: by
// Close, by the caller's context, and over WS-Management by idle expiry.
func TestEventsCleanup(t *testing.T) {
	forEachEventBackend(t, func(t *testing.T, b eventBackend) {
		om := eventObjectManager(t, &evProvider{procs: map[uint32]string{}})
		svc := b.open(t, om, wsman.Options{IdleTimeout: 300 * time.Millisecond})
		ctx, cancel := context.WithCancel(t.Context())
		if _, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisync); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "subscribed", func() bool { return om.Subscriptions() == 1 })
		cancel()
		waitFor(t, "ended by the context", func() bool { return om.Subscriptions() == 0 })
	})
}

func classOf(t *testing.T, svc *wbem.Services, name string) *cim.Class {
	t.Helper()
	cr, err := svc.GetObject(t.Context(), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*cim.Class)
}
