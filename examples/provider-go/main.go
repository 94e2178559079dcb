// Command provider-go is an out-of-process provider of gowbem, in Go: it
// serves the class Example_Item (three instances to begin with, created,
// modified and deleted with PutInstance and DeleteInstance, an instance
// method Grow and a static method Sleep) and raises the extrinsic event
// Example_ItemGrown whenever Grow changes an item, and the intrinsic events
// of the items' changes. Build it, register it with register.mof,
// and the daemon starts it on the first query or subscription. See
// README.md.
package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
)

func main() {
	plugin.Serve(newItems())
}

// items keeps the items, which Grow, PutInstance and DeleteInstance change,
// for as long as the process runs, and the subscriptions to
// Example_ItemGrown and to the changes of Example_Item.
type items struct {
	mu    sync.Mutex
	items map[uint32]*item
	subs  map[*subscription]bool
}

// item is one Example_Item.
type item struct {
	name    string
	size    uint64
	created cim.Value // a datetime
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
	return &items{items: map[uint32]*item{
		0: {"apple", 100, created}, 1: {"banana", 200, created}, 2: {"cherry", 300, created},
	}, subs: map[*subscription]bool{}}
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

// grown raises Example_ItemGrown, and the modification of item id from
// before; p.mu is held.
func (p *items) grown(id uint32, before item) {
	it := p.items[id]
	for s := range p.subs {
		if s.changes {
			continue
		}
		ev := s.class.NewInstance()
		ev.Set("Id", cim.Uint32(id))
		ev.Set("Name", cim.String(it.name))
		ev.Set("NewSize", cim.Uint64(it.size))
		s.sink.Indicate(ev) // never blocks; an error means the subscription ended
	}
	p.changed(id, &before, it)
}

// changed raises the creation (before nil), modification or deletion (now
// nil) of item id into the subscriptions to the changes of the items; p.mu
// is held.
func (p *items) changed(id uint32, before, now *item) {
	for s := range p.subs {
		if !s.changes {
			continue
		}
		switch {
		case before == nil:
			s.sink.InstanceCreated(build(s.class, id, now))
		case now == nil:
			s.sink.InstanceDeleted(build(s.class, id, before))
		default:
			s.sink.InstanceModified(build(s.class, id, before), build(s.class, id, now))
		}
	}
}

var created = cim.TimeValue(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))

func build(class *cim.Class, id uint32, it *item) *cim.Instance {
	inst := class.NewInstance()
	inst.Set("Id", cim.Uint32(id))
	inst.Set("Name", cim.String(it.name))
	inst.Set("Size", cim.Uint64(it.size))
	inst.Set("Created", it.created)
	return inst
}

// EnumerateInstances implements provider.InstanceProvider.
func (p *items) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(p.items)) {
		if err := out.Emit(build(class, id, p.items[id])); err != nil {
			return err // the consumer has gone: stop
		}
	}
	return nil
}

// id returns the item a path names; p.mu is held.
func (p *items) id(path cim.ObjectPath) (uint32, error) {
	for _, k := range path.Keys {
		if cim.EqualFold(k.Name, "Id") && p.items[uint32(k.Value.Uint())] != nil {
			return uint32(k.Value.Uint()), nil
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
	return build(class, id, p.items[id]), nil
}

// PutInstance implements provider.InstanceWriter: an item without an Id
// gets the next free one (the path returned says which), an update replaces
// the item; an item needs a Name.
func (p *items) PutInstance(ctx context.Context, inst *cim.Instance, mode provider.PutMode) (cim.ObjectPath, error) {
	name := inst.Value("Name")
	if name.IsNull() || strings.TrimSpace(name.Str()) == "" {
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Name", Description: "an item needs a Name"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	idv := inst.Value("Id")
	if idv.IsNull() && mode == provider.UpdateOnly {
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Id", Description: "an update names its item by Id"}
	}
	id := uint32(idv.Uint())
	if idv.IsNull() {
		id = 0
		for k := range p.items {
			id = max(id, k+1)
		}
	}
	path := cim.ObjectPath{Class: "Example_Item", Keys: []cim.KeyBinding{{Name: "Id", Value: cim.Uint32(id)}}}
	before := p.items[id]
	switch {
	case before != nil && mode == provider.CreateOnly:
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: path.RelPath(), Description: fmt.Sprintf("item %d exists", id)}
	case before == nil && mode == provider.UpdateOnly:
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: path.RelPath(), Description: fmt.Sprintf("no item %d", id)}
	}
	now := &item{name: name.Str(), size: inst.Value("Size").Uint(), created: inst.Value("Created")}
	switch {
	case !now.created.IsNull():
	case before != nil:
		now.created = before.created
	default:
		now.created = cim.TimeValue(time.Now().UTC())
	}
	p.items[id] = now
	p.changed(id, before, now)
	return path, nil
}

// DeleteInstance implements provider.InstanceWriter.
func (p *items) DeleteInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, err := p.id(path)
	if err != nil {
		return err
	}
	before := p.items[id]
	delete(p.items, id)
	p.changed(id, before, nil)
	return nil
}

// ExecMethod implements provider.MethodProvider.
func (p *items) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	switch {
	case cim.EqualFold(call.Method.Name, "Grow"):
		p.mu.Lock()
		id, err := p.id(call.Path)
		if err == nil {
			before := *p.items[id]
			p.items[id] = &item{name: before.name, size: before.size + call.In.Value("By").Uint(), created: before.created}
			out.Set("NewSize", cim.Uint64(p.items[id].size))
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
