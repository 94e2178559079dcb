// Command provider-go is an out-of-process provider of gowbem, in Go: it
// serves the class Example_Item (three instances, an instance method Grow and
// a static method Sleep) and raises the extrinsic event Example_ItemGrown
// and the intrinsic __InstanceModificationEvent whenever Grow changes an
// item. Build it, register it with register.mof,
// and the daemon starts it on the first query or subscription. See
// README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
)

func main() {
	plugin.Serve(newItems())
}

// items keeps the items' sizes, which Grow changes, for as long as the
// process runs, and the subscriptions to Example_ItemGrown and to the
// changes of Example_Item.
type items struct {
	mu    sync.Mutex
	names []string
	sizes []uint64
	subs  map[*subscription]bool
}

// subscription is one subscription to the provider's events: the class to
// make events of (for the changes of the items: the items' class), and where
// they go.
type subscription struct {
	class   *cim.Class
	changes bool // the intrinsic events of the items, not Example_ItemGrown
	sink    provider.EventSink
}

func newItems() *items {
	return &items{names: []string{"apple", "banana", "cherry"}, sizes: []uint64{100, 200, 300}, subs: map[*subscription]bool{}}
}

// ProvidesInstanceEvents implements provider.InstanceEventProvider: the
// provider raises the intrinsic events of Example_Item itself (register.mof
// registers it for them), so the daemon need not poll it.
func (p *items) ProvidesInstanceEvents(class *cim.Class) bool {
	return class.IsA("Example_Item")
}

// ProvideEvents implements provider.EventProvider: the daemon calls it when
// someone subscribes to Example_ItemGrown or to the changes of Example_Item
// (req.Target), and cancels ctx when that subscription ends. Events go to
// every subscription; the daemon filters them by each one's WHERE clause.
func (p *items) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	s := &subscription{class: req.Class, sink: sink}
	if req.Target != nil {
		s.class, s.changes = req.Target, true
	}
	p.mu.Lock()
	p.subs[s] = true
	p.mu.Unlock()
	context.AfterFunc(ctx, func() {
		p.mu.Lock()
		delete(p.subs, s)
		p.mu.Unlock()
	})
	return nil
}

// grown raises Example_ItemGrown, and the modification of item id from its
// size before; p.mu is held.
func (p *items) grown(id int, before uint64) {
	for s := range p.subs {
		if s.changes {
			now := p.build(s.class, id)
			prev := p.build(s.class, id)
			prev.Set("Size", cim.Uint64(before))
			s.sink.InstanceModified(prev, now)
			continue
		}
		ev := s.class.NewInstance()
		ev.Set("Id", cim.Uint32(uint32(id)))
		ev.Set("Name", cim.String(p.names[id]))
		ev.Set("NewSize", cim.Uint64(p.sizes[id]))
		s.sink.Indicate(ev) // never blocks; an error means the subscription ended
	}
}

var created = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func (p *items) build(class *cim.Class, id int) *cim.Instance {
	inst := class.NewInstance()
	inst.Set("Id", cim.Uint32(uint32(id)))
	inst.Set("Name", cim.String(p.names[id]))
	inst.Set("Size", cim.Uint64(p.sizes[id]))
	inst.Set("Created", cim.TimeValue(created))
	return inst
}

// EnumerateInstances implements provider.InstanceProvider.
func (p *items) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.names {
		if err := out.Emit(p.build(class, id)); err != nil {
			return err // the consumer has gone: stop
		}
	}
	return nil
}

// id returns the item a path names.
func (p *items) id(path cim.ObjectPath) (int, error) {
	for _, k := range path.Keys {
		if cim.EqualFold(k.Name, "Id") && k.Value.Uint() < uint64(len(p.names)) {
			return int(k.Value.Uint()), nil
		}
	}
	return 0, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: path.RelPath(), Description: "no item " + path.RelPath()}
}

// GetInstance implements provider.InstanceProvider.
func (p *items) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, err := p.id(path)
	if err != nil {
		return nil, err
	}
	return p.build(class, id), nil
}

// ExecMethod implements provider.MethodProvider.
func (p *items) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	switch {
	case cim.EqualFold(call.Method.Name, "Grow"):
		p.mu.Lock()
		id, err := p.id(call.Path)
		if err == nil {
			before := p.sizes[id]
			p.sizes[id] += call.In.Value("By").Uint()
			out.Set("NewSize", cim.Uint64(p.sizes[id]))
			p.grown(id, before)
		}
		p.mu.Unlock()
		if err != nil {
			return nil, err
		}
	case cim.EqualFold(call.Method.Name, "Sleep"):
		// Standard error reaches the daemon's log, under the provider's name.
		fmt.Fprintln(os.Stderr, "sleeping", call.In.Value("Milliseconds").Uint(), "ms")
		select {
		case <-time.After(time.Duration(call.In.Value("Milliseconds").Uint()) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	default:
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: call.Method.Name, Description: "no method " + call.Method.Name}
	}
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}
