package provider

import (
	"context"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wql"
)

// EventProvider is implemented by providers that raise events. It is WMI's
// event provider (IWbemEventProvider::ProvideEvents with
// IWbemEventProviderQuerySink's NewQuery and CancelQuery) in one call per
// subscription: the object manager calls ProvideEvents when a subscription
// that needs the provider's events starts — that is NewQuery, with the
// subscription's query so the provider may filter at the source — and
// cancels ctx when the subscription ends — that is CancelQuery. A provider
// therefore runs only while someone listens; one that serves many
// subscriptions from one source (a netlink socket, a D-Bus match) shares it
// among its calls itself.
//
// A provider raises two kinds of events:
//
//   - extrinsic events of its own event classes: classes derived from
//     __ExtrinsicEvent that name the provider with the qualifier
//     [Provider("name")] (Dynamic is not needed). A subscription to such a
//     class, to one of its superclasses or to a subclass, calls the
//     provider with req.Class set to the class that names it;
//   - intrinsic instance events (__InstanceCreationEvent,
//     __InstanceDeletionEvent, __InstanceModificationEvent) of the dynamic
//     classes it serves, when it also implements InstanceEventProvider and
//     says so for the class: subscribers then need no WITHIN clause, and the
//     object manager does not poll. req.Target is then the watched class.
//
// The object manager checks every event it is given against the
// subscription's WHERE clause, so a provider may raise more than the query
// asks for.
type EventProvider interface {
	// ProvideEvents starts raising the events req describes into sink and
	// returns once it is ready: every event that happens after it returned
	// nil must be raised. It goes on raising them, from goroutines of its
	// own, until ctx is done, and then stops promptly, leaving no goroutine
	// behind. A non-nil error refuses the subscription with that status
	// (WBEM_E_PROVIDER_NOT_CAPABLE for a query it cannot serve); a failure
	// after it returned goes to sink.Fail, which ends the subscription with
	// that status.
	ProvideEvents(ctx context.Context, req *EventRequest, sink EventSink) error
}

// EventLossReporter is implemented by the EventSinks the object manager
// gives providers (and by the SDK's sink in a provider process): a
// provider that lost events of a subscription before it could raise them —
// its own queue overflowed, as a provider process's does when the daemon
// does not take its events as fast as they come — reports how many, and
// the first of them (nil when it has none). The subscriber is told in an
// __EventQueueOverflowEvent (NumberOfEvents, Event), the notice of its own
// queue's losses, which counts both. It never blocks.
type EventLossReporter interface {
	EventsLost(n int, first *cim.Instance)
}

// InstanceEventProvider is implemented by event providers that also raise
// the intrinsic instance events of dynamic classes they serve.
type InstanceEventProvider interface {
	EventProvider
	// ProvidesInstanceEvents reports whether the provider raises creation,
	// deletion and modification events for the instances of class (one of
	// the dynamic classes that name it). When it does not, the object
	// manager finds those changes by polling the class every WITHIN
	// interval. Out of process (package provider/plugin), the provider's
	// registration must say so too, in its EventQueryList
	// (docs/providers.md): the daemon decides before it starts the process.
	ProvidesInstanceEvents(class *cim.Class) bool
}

// EventRequest is one subscription as an event provider sees it.
type EventRequest struct {
	// Namespace is the namespace of the subscription (`root\cimv2`).
	Namespace string
	// Class is the event class asked for: for extrinsic events the class
	// subscribed to, or the topmost of its subclasses that names the
	// provider (events must be of Class or of a subclass of it); for
	// intrinsic events the class subscribed to, e.g.
	// __InstanceCreationEvent or their base __InstanceOperationEvent.
	Class *cim.Class
	// Target is, for intrinsic events, the dynamic class whose instances are
	// watched (events about instances of its subclasses that the provider
	// serves are welcome too); nil for extrinsic events.
	Target *cim.Class
	// Subclasses are, for extrinsic events, the classes of the namespace
	// derived from Class, whose events the provider may raise too (an
	// out-of-process provider gets their definitions with the request).
	Subclasses []*cim.Class
	// Query is the subscription's WQL text and Select its parsed form, so
	// the provider may filter at the source (e.g. watch only the process
	// named in "WHERE TargetInstance.Name = 'x'").
	Query  string
	Select *wql.SelectQuery
	// Lookup returns the definition of a class of the namespace, e.g. the
	// subclass of Class an event is an instance of.
	Lookup func(name string) (*cim.Class, error)
}

// EventSink receives the events of one ProvideEvents call. Its methods are
// safe for concurrent use and never block: each subscription has a bounded
// queue, and a subscriber that does not keep up loses its oldest events
// (and is told how many), so a provider is never held up. They return an
// error once the subscription has ended; the provider should then stop.
type EventSink interface {
	// Indicate raises an extrinsic event: an instance of req.Class or of a
	// subclass of it. TIME_CREATED is filled in when the provider left it
	// NULL. The provider must not modify the event afterwards.
	Indicate(event *cim.Instance) error
	// InstanceCreated, InstanceDeleted and InstanceModified raise the
	// intrinsic events about an instance of req.Target (or a subclass):
	// created, deleted (inst is the instance as it was), and modified
	// (previous is the instance before the change).
	InstanceCreated(inst *cim.Instance) error
	InstanceDeleted(inst *cim.Instance) error
	InstanceModified(previous, inst *cim.Instance) error
	// Fail ends the subscription with err, a failure of the provider after
	// ProvideEvents returned; its subscriber receives it as the status of
	// the subscription (WBEM_E_PROVIDER_FAILURE unless err is a WBEM status).
	Fail(err error)
}
