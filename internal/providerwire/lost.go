package providerwire

import (
	"strings"
	"time"
)

// LostEventsClass is the class of the notice a provider sends on an Events
// stream when the subscription lost events before they could be sent (its
// queue overflowed): an Instance of the system class
// __EventQueueOverflowEvent, with the property NumberOfEvents (unsigned)
// saying how many (the Go SDK counts only those the subscription's WHERE
// clause takes) and, optionally, Event (an object) the first of them —
// on a subscription to intrinsic events, the event the daemon would have
// made (LostInstanceEvent).
// The daemon adds them to the subscription's own losses, so the subscriber
// gets one __EventQueueOverflowEvent for both; the notice is never
// delivered as it is. (An additive convention: provider.proto has no
// message of its own for it, and an older daemon refuses the notice as an
// event of a class the subscription did not ask for.)
const LostEventsClass = "__EventQueueOverflowEvent"

// LostNotice returns the notice of n lost events, first the first of them
// (nil when unknown).
func LostNotice(n uint64, first *Instance) *Instance {
	m := &Instance{ClassName: LostEventsClass, Properties: []*PropertyValue{
		{Name: "NumberOfEvents", Value: &Value{Kind: &Value_Unsigned{Unsigned: n}}}}}
	if first != nil {
		m.Properties = append(m.Properties, &PropertyValue{Name: "Event", Value: &Value{Kind: &Value_Object{Object: first}}})
	}
	return m
}

// ParseLostNotice reports whether m is a notice of lost events and, if it
// is, how many and the first of them (nil when not sent).
func ParseLostNotice(m *Instance) (n uint64, first *Instance, ok bool) {
	if m == nil || !strings.EqualFold(m.ClassName, LostEventsClass) {
		return 0, nil, false
	}
	for _, p := range m.Properties {
		switch {
		case strings.EqualFold(p.GetName(), "NumberOfEvents"):
			switch v := p.GetValue().GetKind().(type) {
			case *Value_Unsigned:
				n = v.Unsigned
			case *Value_Signed:
				if v.Signed > 0 {
					n = uint64(v.Signed)
				}
			}
		case strings.EqualFold(p.GetName(), "Event"):
			first = p.GetValue().GetObject()
		}
	}
	return n, first, true
}

// Intrinsic event classes by the kind of an InstanceEvent.
var instanceEventClasses = map[InstanceEvent_Kind]string{
	InstanceEvent_CREATED:  "__InstanceCreationEvent",
	InstanceEvent_MODIFIED: "__InstanceModificationEvent",
	InstanceEvent_DELETED:  "__InstanceDeletionEvent",
}

// FileTime is a time as WMI's TIME_CREATED holds it: 100-nanosecond
// intervals since 1601-01-01 UTC.
func FileTime(t time.Time) uint64 {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	return uint64(t.UnixNano()/100 + epochDiff)
}

// LostInstanceEvent returns the first lost event of a subscription to
// intrinsic events, for a notice's Event, as the subscriber would have
// got it: an Instance of __InstanceCreationEvent,
// __InstanceModificationEvent or __InstanceDeletionEvent (by m's kind)
// with TargetInstance (the instance; for a deletion, as it was),
// PreviousInstance (a modification's previous instance) and TIME_CREATED
// (when it was raised, a FILETIME). It returns nil for an unknown kind.
func LostInstanceEvent(m *InstanceEvent, at time.Time) *Instance {
	class, ok := instanceEventClasses[m.GetKind()]
	if !ok {
		return nil
	}
	ev := &Instance{ClassName: class, Properties: []*PropertyValue{
		{Name: "TIME_CREATED", Value: &Value{Kind: &Value_Unsigned{Unsigned: FileTime(at)}}}}}
	if m.GetInstance() != nil {
		ev.Properties = append(ev.Properties, &PropertyValue{Name: "TargetInstance", Value: &Value{Kind: &Value_Object{Object: m.Instance}}})
	}
	if m.GetPrevious() != nil {
		ev.Properties = append(ev.Properties, &PropertyValue{Name: "PreviousInstance", Value: &Value{Kind: &Value_Object{Object: m.Previous}}})
	}
	return ev
}

// ParseLostInstanceEvent reads what LostInstanceEvent wrote: the event's
// kind, instance and previous instance, and its TIME_CREATED (0 when not
// sent); ok is false when m is not an intrinsic instance event.
func ParseLostInstanceEvent(m *Instance) (ev *InstanceEvent, timeCreated uint64, ok bool) {
	for kind, class := range instanceEventClasses {
		if m != nil && strings.EqualFold(m.ClassName, class) {
			ev, ok = &InstanceEvent{Kind: kind}, true
		}
	}
	if !ok {
		return nil, 0, false
	}
	for _, p := range m.Properties {
		switch {
		case strings.EqualFold(p.GetName(), "TargetInstance"):
			ev.Instance = p.GetValue().GetObject()
		case strings.EqualFold(p.GetName(), "PreviousInstance"):
			ev.Previous = p.GetValue().GetObject()
		case strings.EqualFold(p.GetName(), "TIME_CREATED"):
			timeCreated = p.GetValue().GetUnsigned()
		}
	}
	return ev, timeCreated, true
}
