package plugin

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wql"
)

// MaxQueuedEvents bounds the events of one subscription waiting to be sent
// to the daemon; past it a provider's newest events are dropped (and
// counted on standard error), so that Indicate never blocks.
const MaxQueuedEvents = 4096

// Events implements providerwire.ProviderServer: the provider's
// ProvideEvents runs with a ctx the daemon cancels when the subscription
// ends, and what it raises into the sink is sent from this goroutine.
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
		ereq.Lookup = func(name string) (*cim.Class, error) {
			for _, x := range append([]*cim.Class{c}, ereq.Subclasses...) {
				if cim.EqualFold(x.Name, name) {
					return x, nil
				}
			}
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name,
				Description: fmt.Sprintf("class %s is not %s or one of its subclasses", name, c.Name)}
		}
		sink = newEventSink(ctx, name, c)
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
	ctx   context.Context
	name  string
	class *cim.Class

	mu      sync.Mutex
	queue   []*providerwire.Instance
	dropped int
	failed  error
	wake    chan struct{}
}

func newEventSink(ctx context.Context, name string, class *cim.Class) *eventSink {
	return &eventSink{ctx: ctx, name: name, class: class, wake: make(chan struct{}, 1)}
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
	k.mu.Lock()
	if k.failed != nil {
		k.mu.Unlock()
		return errSubscriptionEnded
	}
	if len(k.queue) >= MaxQueuedEvents {
		k.dropped++
		if k.dropped == 1 || k.dropped%1000 == 0 {
			fmt.Fprintf(os.Stderr, "provider %s: %d events of %s dropped: the daemon does not take them as fast as they are raised\n", k.name, k.dropped, k.class.Name)
		}
		k.mu.Unlock()
		return nil
	}
	k.queue = append(k.queue, m)
	k.mu.Unlock()
	k.signal()
	return nil
}

func (k *eventSink) instanceEvents() error {
	return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Provider: k.name,
		Description: "instance events do not cross the process boundary: the daemon finds the changes of an out-of-process provider's instances by polling (WITHIN)"}
}

// InstanceCreated implements provider.EventSink: not across the boundary.
func (k *eventSink) InstanceCreated(*cim.Instance) error { return k.instanceEvents() }

// InstanceDeleted implements provider.EventSink: not across the boundary.
func (k *eventSink) InstanceDeleted(*cim.Instance) error { return k.instanceEvents() }

// InstanceModified implements provider.EventSink: not across the boundary.
func (k *eventSink) InstanceModified(_, _ *cim.Instance) error { return k.instanceEvents() }

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
		k.mu.Unlock()
		for _, m := range batch {
			if err := stream.Send(&providerwire.EventsReply{Kind: &providerwire.EventsReply_Event{Event: m}}); err != nil {
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
