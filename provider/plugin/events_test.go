package plugin

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
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
	k := newEventSink(ctx, "P", base, nil)
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
	k := newEventSink(ctx, "P", class, nil)
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
	count := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.sent)
	}
	for count() < MaxQueuedEvents+1 {
		<-f.got
	}
	if err := k.Indicate(event(99999)); err != nil {
		t.Fatal(err)
	}
	for count() < MaxQueuedEvents+2 {
		<-f.got
	}
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
	k := newEventSink(ctx, "P", evClass, target)
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
