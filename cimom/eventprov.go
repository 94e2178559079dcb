package cimom

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// eventSource is one provider call a subscription needs.
type eventSource struct {
	prov   provider.EventProvider
	name   string       // the provider's name
	class  *cim.Class   // the event class asked for
	target *cim.Class   // intrinsic events: the dynamic class watched
	subs   []*cim.Class // extrinsic events: the classes derived from class
}

// extrinsicSources finds the providers of the extrinsic event classes a
// subscription to c takes: c and its descendants, each class that names a
// provider served by that provider (once for a class and its subclasses).
func (e *eventEngine) extrinsicSources(ctx context.Context, ns string, c *cim.Class) ([]eventSource, error) {
	if !c.IsA("__ExtrinsicEvent") && !systemClass("__ExtrinsicEvent").IsA(c.Name) {
		return nil, nil // an intrinsic event class: no extrinsic subclasses
	}
	var classes []*cim.Class
	err := e.om.store.View(ctx, func(tx repository.Tx) error {
		desc, err := e.om.descendants(tx, ns, c.Name)
		if err != nil {
			return err
		}
		classes = append([]*cim.Class{c}, desc...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []eventSource
	served := map[string]bool{} // lower-case class names whose provider is called
	for _, d := range classes {
		if !d.IsA("__ExtrinsicEvent") {
			continue
		}
		name := d.ProviderName()
		if name == "" || coveredBy(d, served) {
			continue
		}
		p, err := e.om.lookup(ctx, ns, name) // registered in the repository too
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_FOUND, Parameter: d.Name, Provider: name,
				Description: fmt.Sprintf("provider %q of event class %s is not registered", name, d.Name)}
		}
		ep, ok := p.(provider.EventProvider)
		if !ok {
			return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Parameter: d.Name, Provider: name,
				Description: fmt.Sprintf("provider %q does not raise events", name)}
		}
		served[strings.ToLower(d.Name)] = true
		var subs []*cim.Class
		for _, x := range classes {
			if x != d && x.IsA(d.Name) {
				subs = append(subs, x)
			}
		}
		out = append(out, eventSource{prov: ep, name: name, class: d, subs: subs})
	}
	return out, nil
}

// coveredBy reports whether an ancestor of d is among served.
func coveredBy(d *cim.Class, served map[string]bool) bool {
	for _, a := range d.Derivation {
		if served[strings.ToLower(a)] {
			return true
		}
	}
	return false
}

// startProvider asks a provider to raise the events of one source for s.
func (e *eventEngine) startProvider(ctx context.Context, s *subscription, op *wbem.Op, src eventSource) error {
	req := &provider.EventRequest{Namespace: s.ns, Class: src.class, Target: src.target, Subclasses: src.subs, Query: op.Query, Select: s.ev.Query,
		Lookup: func(name string) (*cim.Class, error) { return e.om.schemaOf(ctx, s.ns).Class(name) }}
	sink := &eventSink{e: e, s: s, req: req, name: src.name, ctx: ctx}
	return e.om.guard(src.name, func() error { return src.prov.ProvideEvents(ctx, req, sink) })
}

// eventSink is what a provider raises one subscription's events into.
type eventSink struct {
	e    *eventEngine
	s    *subscription
	req  *provider.EventRequest
	name string
	ctx  context.Context
}

var errEventSinkClosed = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the subscription has ended"}

func (k *eventSink) check() error {
	if k.ctx.Err() != nil {
		return errEventSinkClosed
	}
	return nil
}

// Indicate implements provider.EventSink.
func (k *eventSink) Indicate(ev *cim.Instance) error {
	if err := k.check(); err != nil {
		return err
	}
	if ev == nil {
		return nil
	}
	if !ev.Class().IsA(k.req.Class.Name) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: ev.ClassName(), Provider: k.name,
			Description: "provider " + k.name + " raised an event of class " + ev.ClassName() + ", which is not a " + k.req.Class.Name}
	}
	if i := ev.Class().PropertyIndex("time_created"); i >= 0 && ev.At(i).IsNull() {
		ev.SetAt(i, cim.Uint64(fileTime(time.Now())))
	}
	ev.SetLocation(k.e.om.server, k.s.ns)
	k.s.offer(ev, false) // the provider's: each consumer gets a copy
	return nil
}

func (k *eventSink) instance(prev, inst *cim.Instance) error {
	if err := k.check(); err != nil {
		return err
	}
	for _, x := range []*cim.Instance{prev, inst} {
		if x != nil {
			x.SetLocation(k.e.om.server, k.s.ns)
		}
	}
	k.s.offer(k.e.instanceEvent(k.s.ns, prev, inst, time.Now()), true)
	return nil
}

// InstanceCreated implements provider.EventSink.
func (k *eventSink) InstanceCreated(inst *cim.Instance) error {
	if inst == nil {
		return nil
	}
	return k.instance(nil, inst)
}

// InstanceDeleted implements provider.EventSink.
func (k *eventSink) InstanceDeleted(inst *cim.Instance) error {
	if inst == nil {
		return nil
	}
	return k.instance(inst, nil)
}

// InstanceModified implements provider.EventSink.
func (k *eventSink) InstanceModified(prev, inst *cim.Instance) error {
	if prev == nil || inst == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "InstanceModified needs the previous and the new instance")
	}
	return k.instance(prev, inst)
}

// EventsLost implements provider.EventLossReporter: the provider's losses
// join the subscription's own, in its next __EventQueueOverflowEvent. The
// first lost event is named there only when the subscription would have
// delivered it (of its class, and its WHERE clause holds): a subscriber is
// never shown an event its query left out. The count stands either way:
// only the provider saw what it lost (the Go SDK's sink counts only the
// events the WHERE clause takes; another provider may count more).
func (k *eventSink) EventsLost(n int, first *cim.Instance) {
	if n <= 0 || k.check() != nil {
		return
	}
	if first != nil && (!first.Class().IsA(k.s.class.Name) || !k.s.ev.Filter.Match(first)) {
		first = nil
	}
	if first != nil {
		first.SetLocation(k.e.om.server, k.s.ns)
	}
	k.s.q.lose(n, first)
}

var _ provider.EventLossReporter = (*eventSink)(nil)

// Fail implements provider.EventSink.
func (k *eventSink) Fail(err error) {
	if err == nil || k.ctx.Err() != nil {
		return
	}
	k.s.fail(errorOf(k.name, err))
}
