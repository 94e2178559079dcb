package plugin

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// The sink of a provider process never blocks: at MaxQueuedEvents waiting
// events it drops the newest and counts them; it checks an event's class,
// refuses instance events (they do not cross), and refuses everything once
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
	k := newEventSink(ctx, "P", base)
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
	if err := k.InstanceCreated(base.NewInstance()); cim.AsError(err).Status != cim.WBEM_E_NOT_SUPPORTED {
		t.Errorf("an instance event: %v", err)
	}
	cancel()
	if err := k.Indicate(base.NewInstance()); err == nil {
		t.Error("Indicate after the subscription ended succeeded")
	}
}
