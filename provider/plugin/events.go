package plugin

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wql"
)

// MaxQueuedEvents bounds the events of one subscription waiting to be sent
// to the daemon; past it a provider's newest events are dropped, so that
// Indicate never blocks, and the subscriber is told how many of them its
// WHERE clause takes in an __EventQueueOverflowEvent (providerwire.LostNotice).
const MaxQueuedEvents = 4096

// Events implements providerwire.ProviderServer: the provider's
// ProvideEvents runs with a ctx the daemon cancels when the subscription
// ends, and what it raises into the sink is sent from this goroutine. With
// req.Target, the subscription is to the intrinsic events of the target's
// instances, which the provider raises with the sink's InstanceCreated,
// InstanceModified and InstanceDeleted when it implements
// provider.InstanceEventProvider and says so for the target.
func (s *server) Events(req *providerwire.EventsRequest, stream providerwire.Provider_EventsServer) error {
	ctx, cancel := context.WithCancel(providerwire.CallerContext(stream.Context(), req.Call.GetCaller()))
	defer cancel()
	name := req.Call.GetProvider()
	var sink *eventSink
	err := s.unary(req.Call, req.Class, func(p any, c *cim.Class) error {
		ep, ok := p.(provider.EventProvider)
		if !ok {
			return notCapable(name, "raise events")
		}
		ereq := &provider.EventRequest{Namespace: req.Call.GetNamespace(), Class: c, Query: req.Query}
		if req.Target != nil {
			target, err := providerwire.DecodeClass(req.Target)
			if err != nil {
				return err
			}
			ip, ok := p.(provider.InstanceEventProvider)
			if !ok || !ip.ProvidesInstanceEvents(target) {
				return notCapable(name, "raise the instance events of "+target.Name)
			}
			ereq.Target = target
		}
		for _, m := range req.Subclasses {
			sub, err := providerwire.DecodeClass(m)
			if err != nil {
				return err
			}
			ereq.Subclasses = append(ereq.Subclasses, sub)
		}
		if req.Query != "" {
			q, err := wql.Parse(req.Query)
			if err != nil {
				return err
			}
			ereq.Select, _ = q.(*wql.SelectQuery)
		}
		known := append([]*cim.Class{c}, ereq.Subclasses...)
		if ereq.Target != nil {
			known = append(known, ereq.Target)
		}
		ereq.Lookup = func(name string) (*cim.Class, error) {
			for _, x := range known {
				if cim.EqualFold(x.Name, name) {
					return x, nil
				}
			}
			what := c.Name + " or one of its subclasses"
			if ereq.Target != nil {
				what += ", or " + ereq.Target.Name
			}
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name,
				Description: fmt.Sprintf("class %s is not %s", name, what)}
		}
		sink = newEventSink(ctx, name, ereq)
		return ep.ProvideEvents(ctx, ereq, sink)
	})
	if err != nil {
		return stream.Send(&providerwire.EventsReply{Kind: &providerwire.EventsReply_Done{Done: &providerwire.Done{Error: providerwire.EncodeError(err)}}})
	}
	if err := stream.Send(&providerwire.EventsReply{Kind: &providerwire.EventsReply_Ready{Ready: &providerwire.Ready{}}}); err != nil {
		return err
	}
	return sink.send(ctx, stream)
}

// eventSink is a provider's provider.EventSink in a provider process: a
// bounded queue that the Events call sends from.
type eventSink struct {
	ctx    context.Context
	name   string
	class  *cim.Class
	target *cim.Class // intrinsic events: the class watched; else nil
	// The subscription's query and classes: what a full queue loses is
	// counted only when its WHERE clause holds (takesLocked).
	query  *wql.SelectQuery
	lookup func(string) (*cim.Class, error)

	mu      sync.Mutex
	queue   []*providerwire.EventsReply // Event and InstanceEvent messages
	dropped int                         // lost since the last notice
	first   *providerwire.Instance      // the first of them, if known
	total   int                         // lost in all, for the log
	failed  error
	wake    chan struct{}
	filter  *wql.Filter // the query's, compiled when the queue first overflows
	nofilt  bool        // it does not compile here: every loss counts
}

// newEventSink makes the sink of req's subscription for provider name.
func newEventSink(ctx context.Context, name string, req *provider.EventRequest) *eventSink {
	return &eventSink{ctx: ctx, name: name, class: req.Class, target: req.Target,
		query: req.Select, lookup: req.Lookup, wake: make(chan struct{}, 1)}
}

var errSubscriptionEnded = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the subscription has ended"}

func (k *eventSink) signal() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// Indicate implements provider.EventSink.
func (k *eventSink) Indicate(ev *cim.Instance) error {
	if k.ctx.Err() != nil {
		return errSubscriptionEnded
	}
	if ev == nil {
		return nil
	}
	if !ev.Class().IsA(k.class.Name) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: ev.ClassName(), Provider: k.name,
			Description: "provider " + k.name + " raised an event of class " + ev.ClassName() + ", which is not a " + k.class.Name}
	}
	m := providerwire.EncodeInstance(ev, k.class.Name)
	m.Class = nil // the daemon has the definition
	return k.queueReply(&providerwire.EventsReply{Kind: &providerwire.EventsReply_Event{Event: m}}, raised{event: ev})
}

// raised is what the provider raised, for the subscription's WHERE clause
// when the queue is full: an extrinsic event, or an intrinsic event's
// kind and instances.
type raised struct {
	event          *cim.Instance
	kind           providerwire.InstanceEvent_Kind
	previous, inst *cim.Instance
}

// queueReply queues a message for the daemon. If the queue is full it is
// lost, and counted when the subscription would have taken it (ev, the
// event raised, passes its WHERE clause); the first counted is named in
// the notice: the event, or for an instance event the intrinsic event the
// daemon would have made of it (providerwire.LostInstanceEvent), raised
// now.
func (k *eventSink) queueReply(r *providerwire.EventsReply, ev raised) error {
	k.mu.Lock()
	if k.failed != nil {
		k.mu.Unlock()
		return errSubscriptionEnded
	}
	if len(k.queue) >= MaxQueuedEvents {
		var first *providerwire.Instance
		switch m := r.Kind.(type) {
		case *providerwire.EventsReply_Event:
			first = m.Event
		case *providerwire.EventsReply_InstanceEvent:
			first = providerwire.LostInstanceEvent(m.InstanceEvent, time.Now())
		}
		if !k.takesLocked(ev, first) {
			k.mu.Unlock()
			return nil
		}
		k.lostLocked(1, first)
		k.mu.Unlock()
		k.signal()
		return nil
	}
	k.queue = append(k.queue, r)
	k.mu.Unlock()
	k.signal()
	return nil
}

// takesLocked reports whether the subscription's WHERE clause holds for
// ev, which a full queue loses (first: its message, the intrinsic event's
// class named). It runs only then, so the query is compiled on the first
// loss. The daemon checks every event again, so where this process cannot
// tell (no query, a query that does not compile with the classes it was
// given, an intrinsic event class it was not given) the loss counts.
func (k *eventSink) takesLocked(ev raised, first *providerwire.Instance) bool {
	if k.query == nil || k.query.Where == nil || k.nofilt {
		return true
	}
	if k.filter == nil {
		q := *k.query // only the WHERE clause: the daemon has checked the rest
		q.All, q.Props, q.Within, q.GroupWithin, q.By, q.Having = true, nil, 0, 0, nil, nil
		f, err := wql.Compile(&q, k.class, nil)
		if err != nil {
			k.nofilt = true
			return true
		}
		k.filter = f
	}
	e := ev.event
	if e != nil {
		if i := e.Class().PropertyIndex("time_created"); i >= 0 && e.At(i).IsNull() {
			e = e.Clone() // the daemon sets it, when not raised, before its WHERE clause runs
			e.SetAt(i, cim.Uint64(providerwire.FileTime(time.Now())))
		}
	}
	if k.target != nil {
		if first == nil || k.lookup == nil {
			return true
		}
		c, err := k.lookup(first.ClassName)
		if err != nil || c == nil {
			return true
		}
		e = c.NewInstance()
		e.Set("TIME_CREATED", cim.Uint64(providerwire.FileTime(time.Now())))
		if e.Set("TargetInstance", cim.Embedded(ev.inst)) != nil {
			return true
		}
		if ev.kind == providerwire.InstanceEvent_MODIFIED && e.Set("PreviousInstance", cim.Embedded(ev.previous)) != nil {
			return true
		}
	}
	return e == nil || k.filter.Match(e)
}

// lostLocked counts n lost events, first the first of them (or nil).
func (k *eventSink) lostLocked(n int, first *providerwire.Instance) {
	if k.dropped == 0 {
		k.first = first
	}
	k.dropped += n
	before := k.total
	k.total += n
	if before == 0 || before/1000 != k.total/1000 {
		fmt.Fprintf(os.Stderr, "provider %s: %d events of %s lost: the daemon does not take them as fast as they are raised\n", k.name, k.total, k.class.Name)
	}
}

// EventsLost implements provider.EventLossReporter: the provider's own
// losses go to the subscriber with the sink's.
func (k *eventSink) EventsLost(n int, first *cim.Instance) {
	if n <= 0 || k.ctx.Err() != nil {
		return
	}
	var m *providerwire.Instance
	if first != nil && first.Class().IsA(k.class.Name) {
		m = providerwire.EncodeInstance(first, k.class.Name)
		m.Class = nil
	}
	k.mu.Lock()
	if k.failed == nil {
		k.lostLocked(n, m)
	}
	k.mu.Unlock()
	k.signal()
}

var _ provider.EventLossReporter = (*eventSink)(nil)

// instanceEvent queues an intrinsic event about inst (and previous, for a
// modification). The first lost one is named in the notice as the
// intrinsic event the daemon would have made of it.
func (k *eventSink) instanceEvent(kind providerwire.InstanceEvent_Kind, previous, inst *cim.Instance) error {
	if k.ctx.Err() != nil {
		return errSubscriptionEnded
	}
	if k.target == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Provider: k.name,
			Description: "provider " + k.name + " raised an instance event on a subscription to the extrinsic events of " + k.class.Name}
	}
	m := &providerwire.InstanceEvent{Kind: kind}
	for _, x := range []struct {
		inst *cim.Instance
		to   **providerwire.Instance
	}{{inst, &m.Instance}, {previous, &m.Previous}} {
		if x.inst == nil {
			continue
		}
		if !x.inst.Class().IsA(k.target.Name) {
			return &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: x.inst.ClassName(), Provider: k.name,
				Description: "provider " + k.name + " raised an instance event about an instance of " + x.inst.ClassName() + ", which is not a " + k.target.Name}
		}
		*x.to = providerwire.EncodeInstance(x.inst, k.target.Name)
		(*x.to).Class = nil // the daemon has the definition
	}
	return k.queueReply(&providerwire.EventsReply{Kind: &providerwire.EventsReply_InstanceEvent{InstanceEvent: m}},
		raised{kind: kind, previous: previous, inst: inst})
}

// InstanceCreated implements provider.EventSink.
func (k *eventSink) InstanceCreated(inst *cim.Instance) error {
	if inst == nil {
		return nil
	}
	return k.instanceEvent(providerwire.InstanceEvent_CREATED, nil, inst)
}

// InstanceDeleted implements provider.EventSink.
func (k *eventSink) InstanceDeleted(inst *cim.Instance) error {
	if inst == nil {
		return nil
	}
	return k.instanceEvent(providerwire.InstanceEvent_DELETED, nil, inst)
}

// InstanceModified implements provider.EventSink.
func (k *eventSink) InstanceModified(previous, inst *cim.Instance) error {
	if previous == nil || inst == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "InstanceModified needs the previous and the new instance")
	}
	return k.instanceEvent(providerwire.InstanceEvent_MODIFIED, previous, inst)
}

// Fail implements provider.EventSink.
func (k *eventSink) Fail(err error) {
	if err == nil {
		return
	}
	k.mu.Lock()
	if k.failed == nil {
		k.failed = err
	}
	k.mu.Unlock()
	k.signal()
}

// send sends the queued events until ctx ends or the provider fails the
// subscription.
func (k *eventSink) send(ctx context.Context, stream providerwire.Provider_EventsServer) error {
	for {
		k.mu.Lock()
		batch, failed := k.queue, k.failed
		k.queue = nil
		if k.dropped > 0 { // lost after what is queued: the notice follows it
			notice := providerwire.LostNotice(uint64(k.dropped), k.first)
			batch = append(batch, &providerwire.EventsReply{Kind: &providerwire.EventsReply_Event{Event: notice}})
			k.dropped, k.first = 0, nil
		}
		k.mu.Unlock()
		for _, r := range batch {
			if err := stream.Send(r); err != nil {
				return err
			}
		}
		if failed != nil {
			e := *cim.AsError(failed)
			if e.Provider == "" {
				e.Provider = k.name
			}
			return stream.Send(&providerwire.EventsReply{Kind: &providerwire.EventsReply_Done{Done: &providerwire.Done{Error: providerwire.EncodeError(&e)}}})
		}
		select {
		case <-ctx.Done():
			k.mu.Lock()
			k.failed = errSubscriptionEnded
			k.mu.Unlock()
			return nil
		case <-k.wake:
		}
	}
}
