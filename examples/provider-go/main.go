// Command provider-go is an out-of-process provider of gowbem, in Go: it
// serves the class Example_Item (three instances, an instance method Grow and
// a static method Sleep). Build it, register it with register.mof, and the
// daemon starts it on the first query. See README.md.
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
// process runs.
type items struct {
	mu    sync.Mutex
	names []string
	sizes []uint64
}

func newItems() *items {
	return &items{names: []string{"apple", "banana", "cherry"}, sizes: []uint64{100, 200, 300}}
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
			p.sizes[id] += call.In.Value("By").Uint()
			out.Set("NewSize", cim.Uint64(p.sizes[id]))
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
