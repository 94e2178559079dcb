// Package workload is the synthetic workload of gowbem's tests and benchmarks:
// a 10-property class (4 strings, 4 integers, a datetime, a boolean) and a
// provider that yields N instances of it.
package workload

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// ClassName is the name of the workload class.
const ClassName = "GW_Item"

// ProviderName is the name the workload class gives its provider.
const ProviderName = "GW_ItemProvider"

// Class returns the workload class, dynamic, served by ProviderName.
func Class() *cim.Class {
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	c, err := cim.Derive(nil, &cim.Class{
		Name: ClassName,
		Qualifiers: cim.Qualifiers{
			{Name: "Dynamic", Value: cim.Bool(true)},
			{Name: "Provider", Value: cim.String(ProviderName)},
		},
		Properties: []cim.Property{
			{Name: "Id", Type: cim.TypeUint32, Qualifiers: key},
			{Name: "Name", Type: cim.TypeString},
			{Name: "Description", Type: cim.TypeString},
			{Name: "Owner", Type: cim.TypeString},
			{Name: "Status", Type: cim.TypeString},
			{Name: "Count", Type: cim.TypeSint64},
			{Name: "Size", Type: cim.TypeUint64},
			{Name: "Flags", Type: cim.TypeUint16},
			{Name: "Created", Type: cim.TypeDatetime},
			{Name: "Active", Type: cim.TypeBoolean},
		},
		Methods: []cim.Method{{
			Name: "Echo", ReturnType: cim.TypeUint32,
			Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}, {Name: "Implemented", Value: cim.Bool(true)}},
			Params: []cim.Parameter{
				{Name: "Text", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}},
				{Name: "Reply", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}}},
			},
		}, {
			Name: "Bump", ReturnType: cim.TypeUint32,
			Qualifiers: cim.Qualifiers{{Name: "Implemented", Value: cim.Bool(true)}},
			Params: []cim.Parameter{
				{Name: "By", Type: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}},
				{Name: "Result", Type: cim.TypeUint64, Qualifiers: cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}}},
			},
		}},
	})
	if err != nil {
		panic(err)
	}
	return c
}

var created = cim.DatetimeValue(cim.DatetimeFromTime(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)))

// Build returns instance i of class c, as the provider yields it.
func Build(c *cim.Class, i int) *cim.Instance {
	inst := c.NewInstance()
	n := strconv.Itoa(i)
	inst.SetAt(0, cim.Uint32(uint32(i)))
	inst.SetAt(1, cim.String("item-"+n))
	inst.SetAt(2, cim.String("synthetic workload item"))
	inst.SetAt(3, cim.String("root"))
	inst.SetAt(4, cim.String("OK"))
	inst.SetAt(5, cim.Sint64(int64(i)*3))
	inst.SetAt(6, cim.Uint64(uint64(i)*4096))
	inst.SetAt(7, cim.Uint16(uint16(i)))
	inst.SetAt(8, created)
	inst.SetAt(9, cim.Bool(i%2 == 0))
	return inst
}

// Provider yields N instances of the workload class. It honours ctx and the
// emitter's error, and records what happened for tests.
type Provider struct {
	N     int           // how many instances to yield
	Delay time.Duration // pause before each instance (a slow provider)
	// Batch, when above 1, makes the provider hand its instances over
	// Batch at a time (provider.EmitAll's way) when its emitter is a
	// provider.BatchEmitter; Emitted then counts each batch once it is
	// handed over.
	Batch int
	// Fail makes the enumeration fail with this error after FailAfter instances.
	Fail      error
	FailAfter int
	// Panic makes the enumeration panic after FailAfter instances.
	Panic bool

	Started   atomic.Int32 // enumerations started
	Stopped   atomic.Int32 // enumerations that stopped early (ctx done or emit failed)
	Completed atomic.Int32 // enumerations that yielded all N
	Emitted   atomic.Int64 // instances emitted
	// ProgressEvery makes the provider report progress every so many
	// instances, if the emitter takes progress.
	ProgressEvery int
	// Done receives one value each time an enumeration returns, if not nil.
	Done chan error
	// Gate, when not nil, paces the provider: it takes one value from Gate
	// before each instance it yields and before it runs a method (closing
	// Gate lets everything through), giving up when ctx is done.
	Gate chan struct{}
	// Methods counts the method calls that ran to completion; MethodDone,
	// if not nil, receives what each method call returned.
	Methods    atomic.Int32
	MethodDone chan error

	mu  sync.Mutex
	put map[uint64]*cim.Instance // Id → what PutInstance stored
}

// pass waits for the gate, if there is one.
func (p *Provider) pass(ctx context.Context) error {
	if p.Gate == nil {
		return nil
	}
	select {
	case <-p.Gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeviceClass is a base class a test may define: abstract, static, with the
// key DeviceID. The provider serves any dynamic subclass of it that names it
// (as Win32_Processor derives from CIM_Processor): N instances with the
// DeviceIDs CPU0, CPU1, …
const DeviceClass = "GW_Device"

// device returns device i of class c, a subclass of DeviceClass.
func device(c *cim.Class, i int) *cim.Instance {
	inst := c.NewInstance()
	inst.Set("DeviceID", cim.String("CPU"+strconv.Itoa(i)))
	return inst
}

// EnumerateInstances implements provider.InstanceProvider.
func (p *Provider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) (err error) {
	if class.IsA(DeviceClass) {
		for i := range p.N {
			if err := out.Emit(device(class, i)); err != nil {
				return err
			}
		}
		return nil
	}
	p.Started.Add(1)
	defer func() {
		if p.Done != nil {
			p.Done <- err
		}
	}()
	pr, _ := out.(provider.Progresser)
	// With Batch, the instances go out Batch at a time when the emitter
	// takes batches: chunk holds those built and not yet handed over.
	var chunk []*cim.Instance
	be, _ := out.(provider.BatchEmitter)
	if p.Batch > 1 && be != nil {
		chunk = make([]*cim.Instance, 0, p.Batch)
	}
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := be.EmitBatch(chunk)
		if err == nil {
			p.Emitted.Add(int64(len(chunk)))
		}
		clear(chunk)
		chunk = chunk[:0]
		return err
	}
	for i := range p.N {
		if p.Panic && i == p.FailAfter {
			flush()
			panic("workload provider told to panic")
		}
		if p.Fail != nil && i == p.FailAfter {
			if err := flush(); err != nil {
				p.Stopped.Add(1)
				return err
			}
			return p.Fail
		}
		if err := p.pass(ctx); err != nil {
			p.Stopped.Add(1)
			return err
		}
		if p.Delay > 0 {
			t := time.NewTimer(p.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				p.Stopped.Add(1)
				return ctx.Err()
			case <-t.C:
			}
		} else if i&1023 == 0 && ctx.Err() != nil {
			p.Stopped.Add(1)
			return ctx.Err()
		}
		if chunk != nil {
			chunk = append(chunk, Build(class, i))
			if len(chunk) == cap(chunk) || i == p.N-1 {
				if err := flush(); err != nil {
					p.Stopped.Add(1)
					return err
				}
			}
		} else {
			if err := out.Emit(Build(class, i)); err != nil {
				p.Stopped.Add(1)
				return err
			}
			p.Emitted.Add(1)
		}
		if pr != nil && p.ProgressEvery > 0 && (i+1)%p.ProgressEvery == 0 {
			if err := flush(); err != nil {
				p.Stopped.Add(1)
				return err
			}
			pr.Progress(i+1, p.N)
		}
	}
	if p.Fail != nil && p.FailAfter >= p.N {
		return p.Fail
	}
	p.Completed.Add(1)
	return nil
}

// The capabilities the workload provider means to have.
var (
	_ provider.InstanceProvider = (*Provider)(nil)
	_ provider.QueryProvider    = (*Provider)(nil)
	_ provider.MethodProvider   = (*Provider)(nil)
	_ provider.InstanceWriter   = (*Provider)(nil)
)

// PutInstance implements provider.InstanceWriter, as a provider that assigns
// keys does: an instance whose Id is NULL gets the next Id after the N the
// provider yields and those assigned before. Instances put are kept apart
// from the N and found by GetInstance; Enumerate does not list them.
func (p *Provider) PutInstance(ctx context.Context, inst *cim.Instance, mode provider.PutMode) (cim.ObjectPath, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.put == nil {
		p.put = map[uint64]*cim.Instance{}
	}
	id := inst.Value("Id")
	if id.IsNull() {
		next := uint64(p.N) + uint64(len(p.put))
		for p.put[next] != nil {
			next++
		}
		if err := inst.Set("Id", cim.Uint32(uint32(next))); err != nil {
			return cim.ObjectPath{}, err
		}
		id = inst.Value("Id")
	}
	exists := id.Uint() < uint64(p.N) || p.put[id.Uint()] != nil
	switch {
	case exists && mode == provider.CreateOnly:
		return cim.ObjectPath{}, cim.Errorf(cim.WBEM_E_ALREADY_EXISTS, "%s.Id=%d exists", inst.ClassName(), id.Uint())
	case !exists && mode == provider.UpdateOnly:
		return cim.ObjectPath{}, cim.Errorf(cim.WBEM_E_NOT_FOUND, "%s.Id=%d does not exist", inst.ClassName(), id.Uint())
	}
	p.put[id.Uint()] = inst
	return inst.ObjectPath(), nil
}

// DeleteInstance implements provider.InstanceWriter: it deletes an instance
// that PutInstance stored.
func (p *Provider) DeleteInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range path.Keys {
		if cim.EqualFold(k.Name, "Id") && p.put[k.Value.Uint()] != nil {
			delete(p.put, k.Value.Uint())
			return nil
		}
	}
	return cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s %s was put", class.Name, path.RelPath())
}

// GetInstance implements provider.InstanceProvider.
func (p *Provider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	if class.IsA(DeviceClass) {
		for i := range p.N {
			if d := device(class, i); d.ObjectPath().KeyString() == path.KeyString() {
				return d, nil
			}
		}
		return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s %s", class.Name, path.RelPath())
	}
	p.mu.Lock()
	for _, k := range path.Keys {
		if inst := p.put[k.Value.Uint()]; inst != nil && cim.EqualFold(k.Name, "Id") {
			p.mu.Unlock()
			return inst.Clone(), nil
		}
	}
	p.mu.Unlock()
	for _, k := range path.Keys {
		if cim.EqualFold(k.Name, "Id") {
			id := int(k.Value.Uint())
			if id < p.N {
				return Build(class, id), nil
			}
		}
	}
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s with key %s", class.Name, path.RelPath())
}

// ExecQuery implements provider.QueryProvider: an Id equality reads one item.
func (p *Provider) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	if ids, ok := hint.Values("Id"); ok {
		for _, v := range ids {
			if id := int(v.Uint()); v.Type().IsInteger() && id < p.N {
				if err := out.Emit(Build(class, id)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return p.EnumerateInstances(ctx, class, out)
}

// ExecMethod implements provider.MethodProvider: Echo copies Text to Reply,
// Bump returns the instance's Size plus By.
func (p *Provider) ExecMethod(ctx context.Context, call *provider.MethodCall) (_ *cim.Instance, err error) {
	if p.MethodDone != nil {
		defer func() { p.MethodDone <- err }()
	}
	if err := p.pass(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err == nil {
			p.Methods.Add(1)
		}
	}()
	out := call.Out.NewInstance()
	switch {
	case cim.EqualFold(call.Method.Name, "Echo"):
		if err := out.Set("Reply", call.In.Value("Text")); err != nil {
			return nil, err
		}
	case cim.EqualFold(call.Method.Name, "Bump"):
		var id uint64
		for _, k := range call.Path.Keys {
			id = k.Value.Uint()
		}
		if err := out.Set("Result", cim.Uint64(id*4096+call.In.Value("By").Uint())); err != nil {
			return nil, err
		}
	}
	if err := out.Set("ReturnValue", cim.Uint32(0)); err != nil {
		return nil, err
	}
	return out, nil
}
