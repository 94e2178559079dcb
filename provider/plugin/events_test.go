package plugin

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wql"
	"google.golang.org/grpc"
)

// The sink of a provider process never blocks: at MaxQueuedEvents waiting
// events it drops the newest and counts them; it checks an event's class,
// refuses instance events on a subscription to extrinsic ones, and refuses
// everything once
// the subscription has ended.
func TestEventSinkLimits(t *testing.T) {
	base, err := cim.Derive(nil, &cim.Class{Name: "T_Event", Properties: []cim.Property{{Name: "N", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cim.Derive(nil, &cim.Class{Name: "T_Other"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := newEventSink(ctx, "P", &provider.EventRequest{Class: base})
	for i := range MaxQueuedEvents + 5 {
		ev := base.NewInstance()
		ev.Set("N", cim.Uint32(uint32(i)))
		if err := k.Indicate(ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if len(k.queue) != MaxQueuedEvents || k.dropped != 5 {
		t.Errorf("%d queued, %d dropped; want %d, 5", len(k.queue), k.dropped, MaxQueuedEvents)
	}
	if err := k.Indicate(other.NewInstance()); cim.AsError(err).Status != cim.WBEM_E_INVALID_CLASS {
		t.Errorf("an event of another class: %v", err)
	}
	if err := k.InstanceCreated(base.NewInstance()); cim.AsError(err).Status != cim.WBEM_E_INVALID_OPERATION {
		t.Errorf("an instance event on an extrinsic subscription: %v", err)
	}
	cancel()
	if err := k.Indicate(base.NewInstance()); err == nil {
		t.Error("Indicate after the subscription ended succeeded")
	}
}

// fakeEvents is the daemon's end of an Events stream: it keeps what is sent.
type fakeEvents struct {
	grpc.ServerStream
	mu   sync.Mutex
	sent []*providerwire.EventsReply
	got  chan struct{}
}

func (f *fakeEvents) Send(m *providerwire.EventsReply) error {
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	select {
	case f.got <- struct{}{}:
	default:
	}
	return nil
}

// waitSent waits until at least n messages were sent.
func (f *fakeEvents) waitSent(n int) {
	for {
		f.mu.Lock()
		k := len(f.sent)
		f.mu.Unlock()
		if k >= n {
			return
		}
		<-f.got
	}
}

// The events a full queue loses are not only counted: the stream carries a
// notice (providerwire.LostNotice) after what was queued before them, with
// their number, the provider's own reports (EventsLost) added, and the
// first of them; the next batch without losses carries none.
func TestEventSinkOverflowNotice(t *testing.T) {
	class, err := cim.Derive(nil, &cim.Class{Name: "T_Event", Properties: []cim.Property{{Name: "N", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	event := func(n int) *cim.Instance {
		ev := class.NewInstance()
		ev.Set("N", cim.Uint32(uint32(n)))
		return ev
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newEventSink(ctx, "P", &provider.EventRequest{Class: class})
	for i := range MaxQueuedEvents + 5 { // the stream does not send yet
		if err := k.Indicate(event(i)); err != nil {
			t.Fatal(err)
		}
	}
	var r provider.EventLossReporter = k
	r.EventsLost(3, event(-1)) // not the first: 5 were lost before
	r.EventsLost(0, event(-2)) // nothing
	f := &fakeEvents{got: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- k.send(ctx, f) }()
	f.waitSent(MaxQueuedEvents + 1)
	if err := k.Indicate(event(99999)); err != nil {
		t.Fatal(err)
	}
	f.waitSent(MaxQueuedEvents + 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) != MaxQueuedEvents+2 {
		t.Fatalf("%d messages sent, want %d", len(f.sent), MaxQueuedEvents+2)
	}
	for i, m := range f.sent {
		ev := m.GetEvent()
		n, first, lost := providerwire.ParseLostNotice(ev)
		switch {
		case ev == nil:
			t.Fatalf("message %d is not an event: %v", i, m)
		case i < MaxQueuedEvents || i == MaxQueuedEvents+1:
			if lost {
				t.Fatalf("message %d is a notice of %d lost events", i, n)
			}
		case !lost || n != 8:
			t.Fatalf("message %d: %v, want the notice of 8 lost events", i, ev)
		default:
			got, err := providerwire.DecodeInstance(first, class)
			if err != nil || got.Value("N").Uint() != MaxQueuedEvents {
				t.Fatalf("the notice's first event: %v, %v; want N=%d", got, err, MaxQueuedEvents)
			}
		}
	}
}

// On a subscription to intrinsic events (a target class), the sink sends
// InstanceCreated, InstanceModified and InstanceDeleted as InstanceEvent
// messages, in order with the rest, each instance by name in the target's
// layout (class_name for a subclass); it refuses an instance of another
// class and a modification without its previous instance, and counts what
// a full queue loses, naming the first as the intrinsic event it would have
// been (__InstanceModificationEvent with TargetInstance, PreviousInstance
// and the TIME_CREATED of its raising).
func TestEventSinkInstanceEvents(t *testing.T) {
	target, err := cim.Derive(nil, &cim.Class{Name: "T_Item", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cim.Derive(target, &cim.Class{Name: "T_SubItem", Superclass: "T_Item", Properties: []cim.Property{{Name: "Extra", Type: cim.TypeString}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cim.Derive(nil, &cim.Class{Name: "T_Other"})
	if err != nil {
		t.Fatal(err)
	}
	evClass, err := cim.Derive(nil, &cim.Class{Name: "__InstanceOperationEvent", Properties: []cim.Property{{Name: "TargetInstance", Type: cim.TypeObject}}})
	if err != nil {
		t.Fatal(err)
	}
	item := func(c *cim.Class, id int) *cim.Instance {
		inst := c.NewInstance()
		inst.Set("Id", cim.Uint32(uint32(id)))
		return inst
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newEventSink(ctx, "P", &provider.EventRequest{Class: evClass, Target: target})
	if err := k.InstanceCreated(item(target, 1)); err != nil {
		t.Fatal(err)
	}
	if err := k.InstanceModified(item(target, 1), item(target, 2)); err != nil {
		t.Fatal(err)
	}
	s := item(sub, 3)
	s.Set("Extra", cim.String("x"))
	if err := k.InstanceDeleted(s); err != nil {
		t.Fatal(err)
	}
	if err := k.InstanceCreated(item(other, 4)); cim.AsError(err).Status != cim.WBEM_E_INVALID_CLASS {
		t.Errorf("an instance of another class: %v", err)
	}
	if err := k.InstanceModified(nil, item(target, 5)); cim.AsError(err).Status != cim.WBEM_E_INVALID_PARAMETER {
		t.Errorf("a modification without the previous instance: %v", err)
	}
	want := []struct {
		kind     providerwire.InstanceEvent_Kind
		class    string
		id, prev uint64
	}{
		{providerwire.InstanceEvent_CREATED, "", 1, 0},
		{providerwire.InstanceEvent_MODIFIED, "", 2, 1},
		{providerwire.InstanceEvent_DELETED, "T_SubItem", 3, 0},
	}
	if len(k.queue) != len(want) {
		t.Fatalf("%d queued, want %d", len(k.queue), len(want))
	}
	for i, w := range want {
		m := k.queue[i].GetInstanceEvent()
		if m == nil || m.Kind != w.kind || m.Instance.GetClassName() != w.class || m.Instance.GetClass() != nil {
			t.Fatalf("message %d: %v, want %v of class %q without its definition", i, k.queue[i], w.kind, w.class)
		}
		c := target
		if w.class != "" {
			c = sub
		}
		got, err := providerwire.DecodeInstance(m.Instance, c)
		if err != nil || got.Value("Id").Uint() != w.id {
			t.Errorf("message %d: %v, %v; want Id %d", i, got, err, w.id)
		}
		if w.class != "" && got.Value("Extra").Str() != "x" {
			t.Errorf("message %d: the subclass's property: %v", i, got.Value("Extra"))
		}
		if (m.Previous != nil) != (w.prev != 0) {
			t.Fatalf("message %d: previous %v", i, m.Previous)
		}
		if m.Previous != nil {
			if p, err := providerwire.DecodeInstance(m.Previous, target); err != nil || p.Value("Id").Uint() != w.prev {
				t.Errorf("message %d: previous %v, %v; want Id %d", i, p, err, w.prev)
			}
		}
	}
	for range MaxQueuedEvents - len(want) {
		k.InstanceCreated(item(target, 9))
	}
	before := time.Now()
	k.InstanceModified(item(target, 7), item(sub, 8)) // lost, the first
	after := time.Now()
	k.InstanceCreated(item(target, 10)) // lost
	if len(k.queue) != MaxQueuedEvents || k.dropped != 2 {
		t.Fatalf("%d queued, %d dropped; want %d, 2", len(k.queue), k.dropped, MaxQueuedEvents)
	}
	// The notice names the first lost as the intrinsic event the daemon
	// would have made of it.
	if k.first.GetClassName() != "__InstanceModificationEvent" {
		t.Fatalf("the first lost event: %v, want an __InstanceModificationEvent", k.first)
	}
	m, created, ok := providerwire.ParseLostInstanceEvent(k.first)
	if !ok || m.Kind != providerwire.InstanceEvent_MODIFIED || m.Instance.GetClassName() != "T_SubItem" || m.Previous == nil {
		t.Fatalf("the first lost event: %v", k.first)
	}
	if created < providerwire.FileTime(before) || created > providerwire.FileTime(after) {
		t.Errorf("its TIME_CREATED %d is not when it was raised (%d–%d)", created, providerwire.FileTime(before), providerwire.FileTime(after))
	}
	if got, err := providerwire.DecodeInstance(m.Instance, sub); err != nil || got.Value("Id").Uint() != 8 {
		t.Errorf("its TargetInstance: %v, %v; want Id 8", got, err)
	}
	if got, err := providerwire.DecodeInstance(m.Previous, target); err != nil || got.Value("Id").Uint() != 7 {
		t.Errorf("its PreviousInstance: %v, %v; want Id 7", got, err)
	}
}

// What a full queue loses is counted only when the subscription's WHERE
// clause holds for it: the notice's count and its first event are of the
// events the subscriber would have received, on a subscription to
// extrinsic events and on one to intrinsic events (TargetInstance's
// properties), TIME_CREATED set as the daemon sets it. The events that fit in the queue are all sent: the daemon
// filters those.
func TestEventSinkOverflowCountsOnlyMatching(t *testing.T) {
	class, err := cim.Derive(nil, &cim.Class{Name: "T_Event", Properties: []cim.Property{{Name: "N", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	target, err := cim.Derive(nil, &cim.Class{Name: "T_Item", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	created, err := cim.Derive(nil, &cim.Class{Name: "__InstanceCreationEvent", Properties: []cim.Property{
		{Name: "TIME_CREATED", Type: cim.TypeUint64}, {Name: "TargetInstance", Type: cim.TypeObject}}})
	if err != nil {
		t.Fatal(err)
	}
	timed, err := cim.Derive(nil, &cim.Class{Name: "T_Timed", Properties: []cim.Property{
		{Name: "TIME_CREATED", Type: cim.TypeUint64}, {Name: "N", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(name string) (*cim.Class, error) {
		for _, c := range []*cim.Class{class, target, created, timed} {
			if cim.EqualFold(c.Name, name) {
				return c, nil
			}
		}
		return nil, cim.Errorf(cim.WBEM_E_INVALID_CLASS, "no class %s", name)
	}
	for _, tc := range []struct {
		name, query string
		class       *cim.Class
		target      *cim.Class
		raise       func(k *eventSink, n int) error
		number      func(first *providerwire.Instance) uint64
	}{{
		name:  "extrinsic",
		query: "SELECT * FROM T_Event WHERE N >= 10000 AND N < 10004 OR N > 10010",
		class: class,
		raise: func(k *eventSink, n int) error {
			ev := class.NewInstance()
			ev.Set("N", cim.Uint32(uint32(n)))
			return k.Indicate(ev)
		},
		number: func(first *providerwire.Instance) uint64 {
			ev, err := providerwire.DecodeInstance(first, class)
			if err != nil {
				return 0
			}
			return ev.Value("N").Uint()
		},
	}, {
		// The daemon gives an event raised without TIME_CREATED the time
		// it arrived before its WHERE clause runs: so does the count.
		name:  "TIME_CREATED",
		query: "SELECT * FROM T_Timed WHERE TIME_CREATED > 0 AND (N >= 10000 AND N < 10004 OR N > 10010)",
		class: timed,
		raise: func(k *eventSink, n int) error {
			ev := timed.NewInstance()
			ev.Set("N", cim.Uint32(uint32(n)))
			return k.Indicate(ev)
		},
		number: func(first *providerwire.Instance) uint64 {
			ev, err := providerwire.DecodeInstance(first, timed)
			if err != nil || !ev.Value("TIME_CREATED").IsNull() {
				return 0 // the provider's event, as raised
			}
			return ev.Value("N").Uint()
		},
	}, {
		name:   "intrinsic",
		query:  "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Item' AND (TargetInstance.Id >= 10000 AND TargetInstance.Id < 10004 OR TargetInstance.Id > 10010)",
		class:  created,
		target: target,
		raise: func(k *eventSink, n int) error {
			inst := target.NewInstance()
			inst.Set("Id", cim.Uint32(uint32(n)))
			return k.InstanceCreated(inst)
		},
		number: func(first *providerwire.Instance) uint64 {
			ie, _, ok := providerwire.ParseLostInstanceEvent(first)
			if !ok {
				return 0
			}
			inst, err := providerwire.DecodeInstance(ie.Instance, target)
			if err != nil {
				return 0
			}
			return inst.Value("Id").Uint()
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := wql.Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			k := newEventSink(ctx, "P", &provider.EventRequest{Class: tc.class, Target: tc.target,
				Query: tc.query, Select: q.(*wql.SelectQuery), Lookup: lookup})
			for i := range MaxQueuedEvents { // none of these match: the queue takes them all
				if err := tc.raise(k, i); err != nil {
					t.Fatal(err)
				}
			}
			// Lost: 10000..10003 and 10011..10019 match (13), 10004..10010 do not.
			for n := 9990; n < 10020; n++ {
				if err := tc.raise(k, n); err != nil {
					t.Fatal(err)
				}
			}
			f := &fakeEvents{got: make(chan struct{}, 1)}
			done := make(chan error, 1)
			go func() { done <- k.send(ctx, f) }()
			f.waitSent(MaxQueuedEvents)
			// The queue and its notice are one batch, sent whole before
			// the sender sees the end.
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.sent) != MaxQueuedEvents+1 {
				t.Fatalf("%d messages sent, want %d", len(f.sent), MaxQueuedEvents+1)
			}
			notice := f.sent[MaxQueuedEvents].GetEvent()
			n, first, ok := providerwire.ParseLostNotice(notice)
			if !ok || n != 13 {
				t.Fatalf("the last message: %v; want the notice of 13 lost events", notice)
			}
			if got := tc.number(first); got != 10000 {
				t.Errorf("the notice's first event is number %d, want 10000", got)
			}
		})
	}
}
