package providerwire

import "strings"

// LostEventsClass is the class of the notice a provider sends on an Events
// stream when the subscription lost events before they could be sent (its
// queue overflowed): an Instance of the system class
// __EventQueueOverflowEvent, with the property NumberOfEvents (unsigned)
// saying how many and, optionally, Event (an object) the first of them.
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
