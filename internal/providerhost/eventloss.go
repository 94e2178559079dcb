package providerhost

import (
	"math"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
)

// lost hands a provider process's notice of lost events
// (providerwire.LostNotice) to sink, the object manager's, which tells the
// subscriber in its __EventQueueOverflowEvent. The first lost event is
// decoded as an event of the subscription — on a subscription to intrinsic
// events, made as the object manager makes them (lostInstanceEvent) — and
// left out when it does not decode so; the count stands.
func (x *Proxy) lost(sink provider.EventSink, req *provider.EventRequest, n uint64, first *providerwire.Instance) {
	r, ok := sink.(provider.EventLossReporter)
	if !ok || n == 0 {
		return
	}
	var ev *cim.Instance
	switch {
	case first == nil:
	case req.Target != nil:
		ev = x.lostInstanceEvent(first, req)
	default:
		ev, _ = x.decodeEvent(first, req)
	}
	r.EventsLost(int(min(n, math.MaxInt32)), ev)
}

// lostInstanceEvent makes the intrinsic event a provider process lost
// (providerwire.LostInstanceEvent) as the object manager makes those it
// delivers: the event class of the repository, TargetInstance and
// PreviousInstance decoded with the repository's class of the instance,
// TIME_CREATED when the provider raised it (now, if it did not say). It is
// nil when the message is not such an event of the subscription's class
// about an instance of its target.
func (x *Proxy) lostInstanceEvent(m *providerwire.Instance, req *provider.EventRequest) *cim.Instance {
	ie, created, ok := providerwire.ParseLostInstanceEvent(m)
	if !ok || req.Lookup == nil {
		return nil
	}
	class, err := req.Lookup(m.ClassName)
	if err != nil || class == nil || !class.IsA(req.Class.Name) {
		return nil
	}
	inst, err := x.decodeTarget(ie.Instance, req)
	if err != nil {
		return nil
	}
	ev := class.NewInstance()
	if created == 0 {
		created = providerwire.FileTime(time.Now())
	}
	if ev.Set("TIME_CREATED", cim.Uint64(created)) != nil || ev.Set("TargetInstance", cim.Embedded(inst)) != nil {
		return nil
	}
	if ie.Kind == providerwire.InstanceEvent_MODIFIED {
		prev, err := x.decodeTarget(ie.Previous, req)
		if err != nil || ev.Set("PreviousInstance", cim.Embedded(prev)) != nil {
			return nil
		}
	}
	return ev
}
