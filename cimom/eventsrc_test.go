package cimom_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// procs is a provider of the dynamic class GW_Proc whose instances the test
// changes; it counts its enumerations.
type procs struct {
	mu      sync.Mutex
	set     map[uint32]string // Id → Name
	enums   atomic.Int32
	running atomic.Int32
	fail    error
}

func (p *procs) put(id uint32, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil {
		p.set = map[uint32]string{}
	}
	p.set[id] = name
}

func (p *procs) del(id uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.set, id)
}

func (p *procs) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	p.enums.Add(1)
	p.running.Add(1)
	defer p.running.Add(-1)
	p.mu.Lock()
	if p.fail != nil {
		p.mu.Unlock()
		return p.fail
	}
	var ids []uint32
	for id := range p.set {
		ids = append(ids, id)
	}
	names := map[uint32]string{}
	for id, n := range p.set {
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
	return ctx.Err()
}

func (p *procs) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

var keyQ = cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}

func dynamic(name string) cim.Qualifiers {
	return cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String(name)}}
}

// eventOM returns services over an object manager with GW_Proc (polled),
// GW_Svc (whose provider raises its instance events) and the extrinsic
// event classes GW_Alarm ← GW_BigAlarm (raised by alarms).
func eventOM(t *testing.T, p *procs, a *alarms, opts ...cimom.Option) (*cimom.ObjectManager, *wbem.Services) {
	t.Helper()
	opts = append([]cimom.Option{cimom.WithProvider("procs", p), cimom.WithProvider("alarms", a)}, opts...)
	om := workload.NewObjectManager(&workload.Provider{}, opts...)
	svc := om.Services(workload.Namespace)
	for _, c := range []*cim.Class{
		{Name: "GW_Proc", Qualifiers: dynamic("procs"), Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32, Qualifiers: keyQ}, {Name: "Name", Type: cim.TypeString}}},
		{Name: "GW_Svc", Qualifiers: dynamic("alarms"), Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Qualifiers: keyQ}, {Name: "State", Type: cim.TypeString}}},
		{Name: "GW_Alarm", Superclass: "__ExtrinsicEvent", Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String("alarms")}},
			Properties: []cim.Property{{Name: "Level", Type: cim.TypeUint32}, {Name: "Text", Type: cim.TypeString}}},
		{Name: "GW_BigAlarm", Superclass: "GW_Alarm", Properties: []cim.Property{{Name: "Why", Type: cim.TypeString}}},
		{Name: "GW_Quiet", Superclass: "__ExtrinsicEvent"},
	} {
		if _, err := svc.PutClass(t.Context(), c, 0); err != nil {
			t.Fatal(err)
		}
	}
	return om, svc
}

// alarms raises GW_Alarm events and the instance events of GW_Svc.
type alarms struct {
	mu      sync.Mutex
	calls   []*provider.EventRequest
	sinks   []provider.EventSink
	active  atomic.Int32
	refuse  error
	panicky bool
}

func (a *alarms) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	if a.panicky {
		panic("alarms told to panic")
	}
	if a.refuse != nil {
		return a.refuse
	}
	a.mu.Lock()
	a.calls = append(a.calls, req)
	a.sinks = append(a.sinks, sink)
	a.mu.Unlock()
	a.active.Add(1)
	go func() {
		<-ctx.Done()
		a.active.Add(-1)
	}()
	return nil
}

func (a *alarms) ProvidesInstanceEvents(class *cim.Class) bool { return class.Name == "GW_Svc" }

func (a *alarms) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return nil
}

func (a *alarms) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

func (a *alarms) sink(i int) provider.EventSink {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sinks[i]
}

// One poller per (namespace, class, interval), whatever the number of
// subscriptions; it diffs by path, honours WITHIN and stops with the last
// subscriber.
func TestPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &procs{}
		p.put(1, "init")
		_, svc := eventOM(t, p, &alarms{})
		const n = 100
		var subs []*wbem.Enumerator
		for range n {
			e, err := svc.ExecNotificationQuery(t.Context(), "WQL", "SELECT * FROM __InstanceOperationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc'", semisync)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, e)
		}
		if got := p.enums.Load(); got != 1 {
			t.Fatalf("%d subscriptions made %d baseline enumerations, want 1", n, got)
		}
		p.put(2, "new")
		p.put(1, "renamed")
		time.Sleep(time.Second + time.Millisecond)
		synctest.Wait()
		if got := p.enums.Load(); got != 2 {
			t.Fatalf("one interval later: %d enumerations, want 2 (one poller)", got)
		}
		for i, e := range subs {
			evs := map[string]*cim.Instance{}
			for range 2 {
				ev := nextEvent(t, e)
				evs[ev.ClassName()] = ev
			}
			if c := evs["__InstanceCreationEvent"]; c == nil || target(t, c, "TargetInstance").Value("Id").Uint() != 2 {
				t.Fatalf("subscription %d: no creation of Id 2 in %v", i, evs)
			}
			m := evs["__InstanceModificationEvent"]
			if m == nil || target(t, m, "TargetInstance").Value("Name").Str() != "renamed" || target(t, m, "PreviousInstance").Value("Name").Str() != "init" {
				t.Fatalf("subscription %d: no modification of Id 1 in %v", i, evs)
			}
		}
		// Gone between two polls: nothing, as in WMI.
		p.put(3, "flash")
		p.del(3)
		p.del(2)
		time.Sleep(time.Second)
		synctest.Wait()
		for _, e := range subs {
			ev := nextEvent(t, e)
			if ev.ClassName() != "__InstanceDeletionEvent" || target(t, ev, "TargetInstance").Value("Id").Uint() != 2 {
				t.Fatalf("want the deletion of Id 2, got %v", ev)
			}
			noEvent(t, e)
		}
		// Another interval gets its own poller.
		slow := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'GW_Proc'")
		before := p.enums.Load()
		for _, e := range subs {
			e.Close()
		}
		synctest.Wait()
		time.Sleep(3 * time.Second) // the 1 s poller is gone; the 5 s one has not polled yet
		synctest.Wait()
		if got := p.enums.Load(); got != before {
			t.Fatalf("%d enumerations after the last 1 s subscriber left", got-before)
		}
		slow.Close()
		synctest.Wait()
		time.Sleep(10 * time.Second)
		if got := p.enums.Load(); got != before {
			t.Fatalf("%d enumerations after every subscriber left", got-before)
		}
	})
}

func TestPollingRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &procs{}
		_, svc := eventOM(t, p, &alarms{})
		for _, tc := range []struct {
			query string
			want  cim.Status
		}{
			{"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Proc'", cim.WBEMESS_E_REGISTRATION_TOO_PRECISE},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 0.5 WHERE TargetInstance ISA 'GW_Proc'", cim.WBEMESS_E_REGISTRATION_TOO_PRECISE},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1", cim.WBEMESS_E_REGISTRATION_TOO_BROAD},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Nope'", cim.WBEM_E_INVALID_CLASS},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc' GROUP WITHIN 2 BY TargetInstance", cim.WBEM_E_AGGREGATING_BY_OBJECT},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc' BY TargetInstance.Name", cim.WBEM_E_MISSING_GROUP_WITHIN},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc' GROUP BY TargetInstance.Name", cim.WBEM_E_UNPARSABLE_QUERY},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TIME_CREATED.X = 1 AND TargetInstance ISA 'GW_Proc'", cim.WBEM_E_PROPERTY_NOT_AN_OBJECT},
			{"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE Nope = 1", cim.WBEM_E_INVALID_QUERY},
			{"SELECT * FROM __AggregateEvent", cim.WBEM_E_NOT_SUPPORTED},
			{"SELECT * FROM GW_Quiet", cim.WBEM_E_NOT_SUPPORTED},
			{"SELECT * FROM GW_Proc", cim.WBEM_E_NOT_EVENT_CLASS},
			{"ASSOCIATORS OF {GW_Proc.Id=1}", cim.WBEM_E_UNPARSABLE_QUERY},
			{"SELECT * FROM", cim.WBEM_E_UNPARSABLE_QUERY},
		} {
			_, err := svc.ExecNotificationQuery(t.Context(), "WQL", tc.query, semisync)
			if got := wbem.StatusOf(err); got != tc.want {
				t.Errorf("%s: %v (%v), want %v", tc.query, got, err, tc.want)
			}
		}
		if _, err := svc.ExecNotificationQuery(t.Context(), "SQL", "SELECT * FROM __InstanceCreationEvent", semisync); wbem.StatusOf(err) != cim.WBEM_E_INVALID_QUERY_TYPE {
			t.Errorf("language SQL: %v", err)
		}
		if p.enums.Load() != 0 {
			t.Fatal("a refused subscription polled")
		}
		// The least interval is the object manager's to choose.
		p2 := &procs{}
		_, fast := eventOM(t, p2, &alarms{}, cimom.WithMinPollInterval(100*time.Millisecond))
		subscribe(t, fast, "SELECT * FROM __InstanceCreationEvent WITHIN 0.5 WHERE TargetInstance ISA 'GW_Proc'")
	})
}

// A provider failing while polled ends its subscriptions with its status.
func TestPollingFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &procs{}
		_, svc := eventOM(t, p, &alarms{})
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc'")
		p.mu.Lock()
		p.fail = cim.Errorf(cim.WBEM_E_ACCESS_DENIED, "no /proc for you")
		p.mu.Unlock()
		time.Sleep(time.Second)
		_, err := e.Next(time.Second, make([]cim.Object, 1))
		if wbem.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
			t.Fatalf("Next after the provider failed = %v", err)
		}
		// A failing baseline fails the call.
		_, err = svc.ExecNotificationQuery(t.Context(), "WQL", "SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA 'GW_Proc'", semisync)
		if wbem.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
			t.Fatalf("subscribing to a failing provider = %v", err)
		}
	})
}

// Extrinsic events: the provider runs only while someone subscribes, gets
// the query, and what it raises is filtered by the WHERE clause.
func TestExtrinsicEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &alarms{}
		om, svc := eventOM(t, a.procs(), a)
		if a.active.Load() != 0 {
			t.Fatal("the provider runs before anyone subscribed")
		}
		const q = "SELECT * FROM GW_Alarm WHERE Level > 2"
		e := subscribe(t, svc, q)
		synctest.Wait()
		if a.active.Load() != 1 || len(a.calls) != 1 {
			t.Fatalf("%d calls active after one subscription", a.active.Load())
		}
		req := a.calls[0]
		if req.Query != q || req.Class.Name != "GW_Alarm" || req.Target != nil || req.Namespace != workload.Namespace || req.Select == nil || req.Select.Where == nil {
			t.Fatalf("request %+v", req)
		}
		big, err := req.Lookup("GW_BigAlarm")
		if err != nil {
			t.Fatal(err)
		}
		alarm := req.Class
		raise := func(c *cim.Class, level uint32, text string) {
			ev := c.NewInstance()
			ev.Set("Level", cim.Uint32(level))
			ev.Set("Text", cim.String(text))
			if err := a.sink(0).Indicate(ev); err != nil {
				t.Fatal(err)
			}
		}
		raise(alarm, 1, "low")
		raise(alarm, 5, "high")
		raise(big, 9, "subclass")
		if ev := nextEvent(t, e); ev.Value("Text").Str() != "high" || ev.Value("TIME_CREATED").IsNull() {
			t.Fatalf("first event %v", ev)
		}
		if ev := nextEvent(t, e); ev.ClassName() != "GW_BigAlarm" {
			t.Fatalf("second event %v", ev)
		}
		noEvent(t, e)
		// An event of the wrong class is refused.
		if err := a.sink(0).Indicate(systemClassOf(t, svc, "__TimerEvent").NewInstance()); wbem.StatusOf(err) != cim.WBEM_E_INVALID_CLASS {
			t.Fatalf("Indicate of a foreign class = %v", err)
		}
		// A subscription to the subclass asks for the subclass.
		sub := subscribe(t, svc, "SELECT * FROM GW_BigAlarm")
		synctest.Wait()
		if len(a.calls) != 2 || a.calls[1].Class.Name != "GW_BigAlarm" {
			t.Fatalf("calls %v", a.calls)
		}
		if err := a.sink(1).Indicate(alarm.NewInstance()); wbem.StatusOf(err) != cim.WBEM_E_INVALID_CLASS {
			t.Fatalf("a GW_Alarm raised for GW_BigAlarm = %v", err)
		}
		raise(alarm, 7, "not big")
		ev := big.NewInstance()
		ev.Set("Text", cim.String("big"))
		if err := a.sink(1).Indicate(ev); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, sub); ev.Value("Text").Str() != "big" {
			t.Fatalf("GW_BigAlarm subscription got %v", ev)
		}
		noEvent(t, sub)
		e.Close()
		sub.Close()
		synctest.Wait()
		if a.active.Load() != 0 || om.Subscriptions() != 0 {
			t.Fatalf("after Close: %d provider calls, %d subscriptions", a.active.Load(), om.Subscriptions())
		}
		if err := a.sink(0).Indicate(alarm.NewInstance()); wbem.StatusOf(err) != cim.WBEM_E_CALL_CANCELLED {
			t.Fatalf("Indicate after Close = %v", err)
		}
	})
}

func (a *alarms) procs() *procs { return &procs{} }

// A provider's failure, before or after it started, is the subscription's
// status; a panic fails only that subscription.
func TestEventProviderFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &alarms{refuse: cim.Errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "no such alarms")}
		_, svc := eventOM(t, &procs{}, a)
		_, err := svc.ExecNotificationQuery(t.Context(), "WQL", "SELECT * FROM GW_Alarm", semisync)
		if we, ok := err.(*cim.Error); !ok || we.Status != cim.WBEM_E_PROVIDER_NOT_CAPABLE || we.Provider != "alarms" {
			t.Fatalf("refused subscription = %#v", err)
		}
		a.refuse, a.panicky = nil, true
		_, err = svc.ExecNotificationQuery(t.Context(), "WQL", "SELECT * FROM GW_Alarm", semisync)
		if wbem.StatusOf(err) != cim.WBEM_E_PROVIDER_FAILURE {
			t.Fatalf("panicking provider = %v", err)
		}
		a.panicky = false
		e := subscribe(t, svc, "SELECT * FROM GW_Alarm")
		a.sink(0).Fail(errors.New("the source broke"))
		_, err = e.Next(time.Second, make([]cim.Object, 1))
		if we, ok := err.(*cim.Error); !ok || we.Status != cim.WBEM_E_PROVIDER_FAILURE || we.Provider != "alarms" {
			t.Fatalf("Next after Fail = %#v", err)
		}
		synctest.Wait()
		if a.active.Load() != 0 {
			t.Fatal("the provider call was not cancelled after its failure")
		}
	})
}

// A provider that raises the instance events of its class spares the
// polling: no WITHIN needed.
func TestProviderInstanceEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &alarms{}
		_, svc := eventOM(t, &procs{}, a)
		e := subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Svc' AND TargetInstance.State = 'running'")
		synctest.Wait()
		req := a.calls[0]
		if req.Target == nil || req.Target.Name != "GW_Svc" || req.Class.Name != "__InstanceOperationEvent" {
			t.Fatalf("request %+v", req)
		}
		mk := func(name, state string) *cim.Instance {
			inst := req.Target.NewInstance()
			inst.Set("Name", cim.String(name))
			inst.Set("State", cim.String(state))
			return inst
		}
		k := a.sink(0)
		k.InstanceCreated(mk("sshd", "starting"))
		k.InstanceModified(mk("sshd", "starting"), mk("sshd", "running"))
		k.InstanceDeleted(mk("cron", "running"))
		if err := k.InstanceModified(nil, mk("x", "y")); wbem.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER {
			t.Fatalf("InstanceModified without the previous instance = %v", err)
		}
		ev := nextEvent(t, e)
		if ev.ClassName() != "__InstanceModificationEvent" || target(t, ev, "PreviousInstance").Value("State").Str() != "starting" {
			t.Fatalf("first event %v", ev)
		}
		if p := target(t, ev, "TargetInstance").ObjectPath(); p.Namespace != workload.Namespace {
			t.Fatalf("the provider's instance is not located: %v", p)
		}
		if ev := nextEvent(t, e); ev.ClassName() != "__InstanceDeletionEvent" {
			t.Fatalf("second event %v", ev)
		}
		noEvent(t, e)
	})
}

// GROUP WITHIN … BY … HAVING: one __AggregateEvent per group and window,
// with the count and the first event as representative.
func TestAggregateEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := workload.NewObjectManager(&workload.Provider{}).Services(workload.Namespace)
		byName := subscribe(t, svc, "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'GW_Base' GROUP WITHIN 10 BY TargetInstance.Name HAVING NumberOfEvents >= 2")
		all := subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Base' GROUP WITHIN 10")
		for i := range 3 {
			if err := putEventBase(t, svc, "A", uint32(i), 0); err != nil { // 1 creation, 2 modifications
				t.Fatal(err)
			}
		}
		if err := putEventBase(t, svc, "B", 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := putEventBase(t, svc, "B", 1, 0); err != nil { // B: 1 modification
			t.Fatal(err)
		}
		time.Sleep(8 * time.Second)
		synctest.Wait()
		noEvent(t, all) // the window is still open at 9 s
		ev := nextEventWithin(t, all, 5*time.Second)
		if ev.ClassName() != "__AggregateEvent" || ev.Value("NumberOfEvents").Uint() != 5 {
			t.Fatalf("aggregate of all: %v", ev)
		}
		rep := target(t, ev, "Representative")
		if rep.ClassName() != "__InstanceCreationEvent" || target(t, rep, "TargetInstance").Value("Size").Uint() != 0 {
			t.Fatalf("the representative is not the first event: %v", rep)
		}
		agg := nextEventWithin(t, byName, 5*time.Second)
		if agg.Value("NumberOfEvents").Uint() != 2 || target(t, target(t, agg, "Representative"), "TargetInstance").Value("Name").Str() != "A" {
			t.Fatalf("aggregate of A: %v", agg)
		}
		noEvent(t, byName) // B had one modification: HAVING drops it
		// A new window starts with the next event.
		if err := putEventBase(t, svc, "A", 9, 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEventWithin(t, all, 11*time.Second); ev.Value("NumberOfEvents").Uint() != 1 {
			t.Fatalf("second window: %v", ev)
		}
	})
}

// __TimerEvent through __IntervalTimerInstruction: fires while subscribed,
// follows changes to the instruction, stops when it is deleted.
func TestTimerEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := workload.NewObjectManager(&workload.Provider{}).Services(workload.Namespace)
		ti := systemClassOf(t, svc, "__IntervalTimerInstruction")
		put := func(id string, ms uint32) {
			inst := ti.NewInstance()
			inst.Set("TimerId", cim.String(id))
			inst.Set("IntervalBetweenEvents", cim.Uint32(ms))
			if _, err := svc.PutInstance(t.Context(), inst, 0); err != nil {
				t.Fatal(err)
			}
		}
		put("tick", 1000)
		put("other", 300)
		e := subscribe(t, svc, "SELECT * FROM __TimerEvent WHERE TimerId = 'tick'")
		start := time.Now()
		for i := range 3 {
			ev := nextEventWithin(t, e, 2*time.Second)
			if ev.Value("TimerId").Str() != "tick" || ev.Value("NumFirings").Uint() != 1 {
				t.Fatalf("timer event %v", ev)
			}
			if d := time.Since(start); d != time.Duration(i+1)*time.Second {
				t.Fatalf("firing %d after %v", i+1, d)
			}
		}
		put("tick", 5000)
		start = time.Now()
		if nextEventWithin(t, e, 10*time.Second); time.Since(start) != 5*time.Second {
			t.Fatalf("after the change the timer fired after %v, want 5s", time.Since(start))
		}
		if _, err := svc.DeleteInstance(t.Context(), `__IntervalTimerInstruction.TimerId="tick"`, 0); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.Next(20*time.Second, make([]cim.Object, 1)); n != 0 {
			t.Fatal("a deleted timer fired")
		}
	})
}

func nextEventWithin(t *testing.T, e *wbem.Enumerator, d time.Duration) *cim.Instance {
	t.Helper()
	buf := make([]cim.Object, 1)
	if n, err := e.Next(d, buf); n != 1 {
		t.Fatalf("no event within %v: %v", d, err)
	}
	return buf[0].(*cim.Instance)
}

// Closing a subscription leaves nothing running: no poller, no provider
// call, no timer, no goroutine of the engine.
func TestEventCloseLeavesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, a := &procs{}, &alarms{}
		om, svc := eventOM(t, p, a)
		ti := systemClassOf(t, svc, "__IntervalTimerInstruction").NewInstance()
		ti.Set("TimerId", cim.String("t"))
		ti.Set("IntervalBetweenEvents", cim.Uint32(1000))
		if _, err := svc.PutInstance(t.Context(), ti, 0); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var es []*wbem.Enumerator
		for _, q := range []string{
			"SELECT * FROM __InstanceOperationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Proc'",
			"SELECT * FROM GW_Alarm",
			"SELECT * FROM __TimerEvent",
			"SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Base' GROUP WITHIN 30",
		} {
			e, err := svc.ExecNotificationQuery(ctx, "WQL", q, semisync)
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
		if err := putEventBase(t, svc, "open-group", 1, 0); err != nil {
			t.Fatal(err)
		}
		if om.Subscriptions() != 4 {
			t.Fatalf("%d subscriptions", om.Subscriptions())
		}
		es[0].Close()
		es[1].Close()
		cancel() // the caller's context ends the others
		synctest.Wait()
		if om.Subscriptions() != 0 || a.active.Load() != 0 {
			t.Fatalf("after Close: %d subscriptions, %d provider calls", om.Subscriptions(), a.active.Load())
		}
		enums := p.enums.Load()
		time.Sleep(time.Minute)
		synctest.Wait()
		if p.enums.Load() != enums {
			t.Fatal("the poller went on after Close")
		}
		for _, e := range es {
			e.Close()
		}
		// synctest.Test fails if a goroutine of the bubble is left.
	})
}

// Many subscriptions and many changes, concurrently: no race, no loss
// below the queue's bound.
func TestEventsConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := workload.NewObjectManager(&workload.Provider{}).Services(workload.Namespace)
		var es []*wbem.Enumerator
		for range 10 {
			es = append(es, subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'"))
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					if err := putEventBase(t, svc, fmt.Sprintf("w%d-%d", w, i), 0, 0); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		for _, e := range es {
			seen := map[string]bool{}
			for range 200 {
				seen[target(t, nextEvent(t, e), "TargetInstance").Value("Name").Str()] = true
			}
			if len(seen) != 200 {
				t.Fatalf("%d distinct events of 200", len(seen))
			}
			noEvent(t, e)
		}
	})
}

// A provider that lost events itself reports them (provider.EventLossReporter,
// as the proxy of a provider process does): the subscriber gets them in an
// __EventQueueOverflowEvent, with the first of them, in order with the
// events raised around them; a report after the end is ignored.
func TestProviderReportsLostEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, e, r, raise := lossReporter(t, "SELECT * FROM GW_Alarm")
		if err := a.sink(0).Indicate(raise("before")); err != nil {
			t.Fatal(err)
		}
		r.EventsLost(0, nil) // nothing lost: no notice
		r.EventsLost(5, raise("first lost"))
		r.EventsLost(2, nil)
		if err := a.sink(0).Indicate(raise("after")); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, e); ev.Value("Text").Str() != "before" {
			t.Fatalf("first %v", ev)
		}
		// The consumer has room: each report is a notice of its own.
		wantLossNotice(t, e, 5, "first lost")
		wantLossNotice(t, e, 2, "")
		if ev := nextEvent(t, e); ev.Value("Text").Str() != "after" {
			t.Fatalf("last %v", ev)
		}
		noEvent(t, e)
		e.Close()
		synctest.Wait()
		r.EventsLost(3, nil) // ended: ignored, no panic
	})
}

// The first lost event a provider reports is named in the notice only when
// the subscription's query would have delivered it: a subscriber does not
// see, through a loss notice, an event its WHERE clause leaves out. The
// count is the provider's either way.
func TestProviderLostEventOutsideTheQuery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e, r, raise := lossReporter(t, "SELECT * FROM GW_Alarm WHERE Text <> 'hidden'")
		r.EventsLost(4, raise("hidden"))
		r.EventsLost(1, raise("shown"))
		wantLossNotice(t, e, 4, "")
		wantLossNotice(t, e, 1, "shown")
		noEvent(t, e)
	})
}

// lossReporter subscribes to query over the alarms provider (inside a
// synctest bubble) and returns the provider, the subscriber's enumerator,
// the provider's sink as a reporter of lost events, and a maker of
// GW_Alarm events with a Text.
func lossReporter(t *testing.T, query string) (*alarms, *wbem.Enumerator, provider.EventLossReporter, func(text string) *cim.Instance) {
	t.Helper()
	a := &alarms{}
	_, svc := eventOM(t, a.procs(), a)
	e := subscribe(t, svc, query)
	synctest.Wait()
	alarm := a.calls[0].Class
	raise := func(text string) *cim.Instance {
		ev := alarm.NewInstance()
		ev.Set("Text", cim.String(text))
		return ev
	}
	r, ok := a.sink(0).(provider.EventLossReporter)
	if !ok {
		t.Fatal("the object manager's sink does not take reports of lost events")
	}
	return a, e, r, raise
}

// wantLossNotice reads e's next event: an __EventQueueOverflowEvent of n
// lost events whose first, named in Event, has Text first ("": none named).
func wantLossNotice(t *testing.T, e *wbem.Enumerator, n uint64, first string) {
	t.Helper()
	ev := nextEvent(t, e)
	if ev.ClassName() != "__EventQueueOverflowEvent" || ev.Value("NumberOfEvents").Uint() != n {
		t.Fatalf("the notice: %s NumberOfEvents=%v, want %d", ev.ClassName(), ev.Value("NumberOfEvents"), n)
	}
	got := ""
	if ev, _ := ev.Value("Event").Object().(*cim.Instance); ev != nil {
		got = ev.Value("Text").Str()
	}
	if got != first {
		t.Fatalf("the notice's first event: %q, want %q", got, first)
	}
}
