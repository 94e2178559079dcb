package cim

// NewNullInstance returns an instance of c with every property NULL, where
// NewInstance gives each property its class default: for decoders, which
// set every value they read (SetAt) and the defaults of those the encoding
// left out. The instance and its values are one allocation for classes of
// up to 16 properties (NewInstance makes two), which counts when an
// instance is decoded per microsecond.
func (c *Class) NewNullInstance() *Instance {
	inst := withValues(len(c.Properties))
	inst.class, inst.server, inst.namespace = c, c.Server, c.Namespace
	return inst
}

// withValues allocates an Instance and n NULL values together.
func withValues(n int) *Instance {
	switch n {
	case 0:
		return &Instance{values: []Value{}}
	case 1:
		return packed(func(a *[1]Value) []Value { return a[:] })
	case 2:
		return packed(func(a *[2]Value) []Value { return a[:] })
	case 3:
		return packed(func(a *[3]Value) []Value { return a[:] })
	case 4:
		return packed(func(a *[4]Value) []Value { return a[:] })
	case 5:
		return packed(func(a *[5]Value) []Value { return a[:] })
	case 6:
		return packed(func(a *[6]Value) []Value { return a[:] })
	case 7:
		return packed(func(a *[7]Value) []Value { return a[:] })
	case 8:
		return packed(func(a *[8]Value) []Value { return a[:] })
	case 9:
		return packed(func(a *[9]Value) []Value { return a[:] })
	case 10:
		return packed(func(a *[10]Value) []Value { return a[:] })
	case 11:
		return packed(func(a *[11]Value) []Value { return a[:] })
	case 12:
		return packed(func(a *[12]Value) []Value { return a[:] })
	case 13:
		return packed(func(a *[13]Value) []Value { return a[:] })
	case 14:
		return packed(func(a *[14]Value) []Value { return a[:] })
	case 15:
		return packed(func(a *[15]Value) []Value { return a[:] })
	case 16:
		return packed(func(a *[16]Value) []Value { return a[:] })
	}
	return &Instance{values: make([]Value, n)}
}

// packed allocates an Instance and the array A of its values as one
// object; all of returns the array as a slice.
func packed[A any](all func(*A) []Value) *Instance {
	p := new(struct {
		inst   Instance
		values A
	})
	v := all(&p.values)
	p.inst.values = v[:len(v):len(v)]
	return &p.inst
}

// NewNullInstances returns n instances of c with every property NULL, as
// NewNullInstance makes them, in two allocations for all n (their structs,
// and their values one after the other; one without properties): for a
// decoder that reads many instances at a time and would otherwise allocate
// each on its own. The memory is the caller's to bound: as long as any one
// of the instances is reachable, all n are kept. The instances share no
// values: each has its own part of the array, with no room to grow into
// the next one's.
func (c *Class) NewNullInstances(n int) []Instance {
	p := len(c.Properties)
	insts := make([]Instance, n)
	values := make([]Value, n*p)
	for i := range insts {
		// Field by field: a struct assigned whole is copied with a bulk
		// write barrier while the collector marks.
		inst := &insts[i]
		inst.class = c
		inst.values = values[i*p : (i+1)*p : (i+1)*p]
		inst.server, inst.namespace = c.Server, c.Namespace
	}
	return insts
}
