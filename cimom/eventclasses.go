package cimom

import (
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// eventSystemClassDecls are the system classes of the event engine beyond
// the intrinsic events of system.go: the notices a subscriber gets when it
// loses events, and WMI's interval timers.
func eventSystemClassDecls() []*cim.Class {
	abstract := cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	return []*cim.Class{
		{Name: "__SystemEvent", Superclass: "__ExtrinsicEvent"},
		// Event is the first event lost, NumberOfEvents how many were lost
		// (gowbem's addition: WMI sends one notice per event).
		{Name: "__EventDroppedEvent", Superclass: "__SystemEvent", Properties: []cim.Property{
			{Name: "Event", Type: cim.TypeObject}, {Name: "NumberOfEvents", Type: cim.TypeUint32}}},
		{Name: "__EventQueueOverflowEvent", Superclass: "__EventDroppedEvent"},
		{Name: "__TimerEvent", Superclass: "__Event", Properties: []cim.Property{
			{Name: "TimerId", Type: cim.TypeString}, {Name: "NumFirings", Type: cim.TypeUint32}}},
		{Name: "__TimerInstruction", Superclass: "__SystemClass", Qualifiers: abstract, Properties: []cim.Property{
			{Name: "TimerId", Type: cim.TypeString, Qualifiers: key}, {Name: "SkipIfPassed", Type: cim.TypeBoolean}}},
		// IntervalBetweenEvents is in milliseconds.
		{Name: "__IntervalTimerInstruction", Superclass: "__TimerInstruction", Properties: []cim.Property{
			{Name: "IntervalBetweenEvents", Type: cim.TypeUint32}}},
	}
}

// systemClasses are the system classes derived once, by lower-case name:
// the event engine builds its events from them, and compiles queries over
// them, whatever namespace it serves (every namespace has the same ones).
var systemClasses = sync.OnceValue(func() map[string]*cim.Class {
	out := map[string]*cim.Class{}
	for _, decl := range systemClassDecls() {
		var parent *cim.Class
		if decl.Superclass != "" {
			parent = out[strings.ToLower(decl.Superclass)]
		}
		c, err := cim.Derive(parent, decl)
		if err != nil {
			panic("cimom: system class " + decl.Name + ": " + err.Error())
		}
		out[strings.ToLower(c.Name)] = c
	}
	return out
})

// systemClass returns the built-in definition of a system class, or nil.
func systemClass(name string) *cim.Class {
	if !isSystemName(name) {
		return nil
	}
	return systemClasses()[strings.ToLower(name)]
}

// Event classes by kind of repository change.
var changeClassNames = [...]string{
	changeInstanceCreated:  "__InstanceCreationEvent",
	changeInstanceModified: "__InstanceModificationEvent",
	changeInstanceDeleted:  "__InstanceDeletionEvent",
	changeClassCreated:     "__ClassCreationEvent",
	changeClassModified:    "__ClassModificationEvent",
	changeClassDeleted:     "__ClassDeletionEvent",
	changeNamespaceCreated: "__NamespaceCreationEvent",
	changeNamespaceDeleted: "__NamespaceDeletionEvent",
}

// eventClass is the layout of one event class with the positions of the
// properties the engine sets.
type eventClass struct {
	c                             *cim.Class
	timeCreated, target, previous int
}

var eventClasses = sync.OnceValue(func() map[string]*eventClass {
	out := map[string]*eventClass{}
	for _, name := range []string{"__InstanceCreationEvent", "__InstanceModificationEvent", "__InstanceDeletionEvent",
		"__ClassCreationEvent", "__ClassModificationEvent", "__ClassDeletionEvent",
		"__NamespaceCreationEvent", "__NamespaceDeletionEvent", "__AggregateEvent",
		"__EventDroppedEvent", "__EventQueueOverflowEvent", "__TimerEvent"} {
		c := systemClass(name)
		ec := &eventClass{c: c, timeCreated: c.PropertyIndex("time_created"), target: -1, previous: -1}
		for _, t := range []string{"targetinstance", "targetclass", "targetnamespace"} {
			if i := c.PropertyIndex(t); i >= 0 {
				ec.target = i
			}
		}
		for _, p := range []string{"previousinstance", "previousclass"} {
			if i := c.PropertyIndex(p); i >= 0 {
				ec.previous = i
			}
		}
		out[strings.ToLower(name)] = ec
	}
	return out
})

// fileTime is a time as WMI's TIME_CREATED holds it: 100-nanosecond
// intervals since 1601-01-01 UTC.
func fileTime(t time.Time) uint64 {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	return uint64(t.UnixNano()/100 + epochDiff)
}

// newEvent returns an event of the named system class created at t in ns.
func (e *eventEngine) newEvent(name, ns string, t time.Time) (*cim.Instance, *eventClass) {
	ec := eventClasses()[strings.ToLower(name)]
	inst := ec.c.NewInstance()
	inst.SetAt(ec.timeCreated, cim.Uint64(fileTime(t)))
	inst.SetLocation(e.om.server, ns)
	return inst, ec
}

// located returns a copy of inst placed in ns of this object manager, fit to
// travel in an event (values are immutable; the copy is the event's own).
func (e *eventEngine) located(inst *cim.Instance, ns string) *cim.Instance {
	c := inst.Clone()
	c.SetLocation(e.om.server, ns)
	return c
}

// target returns the new version of a changed instance, located, for its
// event: the change's own instance when nothing else has it (owned), else a
// copy.
func (e *eventEngine) target(ch *change) *cim.Instance {
	if !ch.owned {
		return e.located(ch.inst, ch.ns)
	}
	ch.inst.SetLocation(e.om.server, ch.ns)
	return ch.inst
}

// changeEvent builds the intrinsic event of a repository change.
func (e *eventEngine) changeEvent(ch *change, t time.Time) *cim.Instance {
	ev, ec := e.newEvent(changeClassNames[ch.kind], ch.ns, t)
	switch ch.kind {
	case changeInstanceCreated:
		ev.SetAt(ec.target, cim.Embedded(e.target(ch)))
	case changeInstanceModified:
		ev.SetAt(ec.target, cim.Embedded(e.target(ch)))
		ev.SetAt(ec.previous, cim.Embedded(e.located(ch.prev, ch.ns)))
	case changeInstanceDeleted:
		ev.SetAt(ec.target, cim.Embedded(e.located(ch.prev, ch.ns)))
	case changeClassCreated, changeClassDeleted:
		ev.SetAt(ec.target, cim.Embedded(ch.class.Located(e.om.server, ch.ns)))
	case changeClassModified:
		ev.SetAt(ec.target, cim.Embedded(ch.class.Located(e.om.server, ch.ns)))
		ev.SetAt(ec.previous, cim.Embedded(ch.prevClass.Located(e.om.server, ch.ns)))
	case changeNamespaceCreated, changeNamespaceDeleted:
		n := systemClass("__NAMESPACE").NewInstance()
		n.Set("Name", cim.String(ch.child))
		n.SetLocation(e.om.server, ch.ns)
		ev.SetAt(ec.target, cim.Embedded(n))
	}
	return ev
}

// instanceEvent builds an intrinsic instance event that a poller or a
// provider found: created (prev nil), deleted (inst nil) or modified.
func (e *eventEngine) instanceEvent(ns string, prev, inst *cim.Instance, t time.Time) *cim.Instance {
	switch {
	case prev == nil:
		ev, ec := e.newEvent("__InstanceCreationEvent", ns, t)
		ev.SetAt(ec.target, cim.Embedded(inst))
		return ev
	case inst == nil:
		ev, ec := e.newEvent("__InstanceDeletionEvent", ns, t)
		ev.SetAt(ec.target, cim.Embedded(prev))
		return ev
	}
	ev, ec := e.newEvent("__InstanceModificationEvent", ns, t)
	ev.SetAt(ec.target, cim.Embedded(inst))
	ev.SetAt(ec.previous, cim.Embedded(prev))
	return ev
}
