package cim

import (
	"fmt"
	"testing"
)

// TestNewNullInstance: every property NULL whatever its default, the
// class's place kept, values settable and independent between instances,
// and one allocation up to 16 properties (two beyond).
func TestNewNullInstance(t *testing.T) {
	for _, n := range []int{0, 1, 5, 10, 16, 17, 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c := &Class{Name: "T", Server: "host", Namespace: `root\test`}
			for i := range n {
				c.Properties = append(c.Properties, Property{Name: fmt.Sprintf("P%d", i), Type: TypeUint32, Default: Uint32(7)})
			}
			a, b := c.NewNullInstance(), c.NewNullInstance()
			if a.Class() != c || a.Len() != n || a.server != "host" || a.namespace != `root\test` {
				t.Fatalf("class %v, %d values, at %s %s", a.Class(), a.Len(), a.server, a.namespace)
			}
			for i := range n {
				if !a.At(i).IsNull() {
					t.Fatalf("property %d = %v, want NULL (not the default)", i, a.At(i))
				}
				a.SetAt(i, Uint32(uint32(i)))
			}
			for i := range n {
				if a.At(i).Uint() != uint64(i) || !b.At(i).IsNull() {
					t.Fatalf("property %d: %v and %v", i, a.At(i), b.At(i))
				}
			}
			if n > 0 && cap(a.values) != n {
				t.Fatalf("the values have room for %d, want %d", cap(a.values), n)
			}
			want := 1.0
			if n > 16 {
				want = 2
			}
			if allocs := testing.AllocsPerRun(100, func() { c.NewNullInstance() }); allocs != want {
				t.Errorf("%v allocations, want %v", allocs, want)
			}
		})
	}
}

// TestNewNullInstances: as NewNullInstance — every property NULL, the
// class's place kept, values settable and independent between instances,
// none with room to grow into the next one's — for n instances in two
// allocations (one without properties).
func TestNewNullInstances(t *testing.T) {
	for _, props := range []int{0, 1, 10, 40} {
		t.Run(fmt.Sprint(props), func(t *testing.T) {
			c := &Class{Name: "T", Server: "host", Namespace: `root\test`}
			for i := range props {
				c.Properties = append(c.Properties, Property{Name: fmt.Sprintf("P%d", i), Type: TypeUint32, Default: Uint32(7)})
			}
			const n = 5
			insts := c.NewNullInstances(n)
			if len(insts) != n {
				t.Fatalf("%d instances, want %d", len(insts), n)
			}
			for k := range insts {
				a := &insts[k]
				if a.Class() != c || a.Len() != props || cap(a.values) != props || a.server != "host" || a.namespace != `root\test` {
					t.Fatalf("instance %d: class %v, %d values (room for %d), at %s %s", k, a.Class(), a.Len(), cap(a.values), a.server, a.namespace)
				}
				for i := range props {
					if !a.At(i).IsNull() {
						t.Fatalf("instance %d: property %d = %v, want NULL (not the default)", k, i, a.At(i))
					}
				}
			}
			for i := range props {
				insts[2].SetAt(i, Uint32(uint32(i)))
			}
			for k := range insts {
				for i := range props {
					if v := insts[k].At(i); (k == 2) != !v.IsNull() || k == 2 && v.Uint() != uint64(i) {
						t.Fatalf("instance %d: property %d = %v after setting instance 2's", k, i, v)
					}
				}
			}
			want := 2.0 // the instances, their values
			if props == 0 {
				want = 1
			}
			if allocs := testing.AllocsPerRun(100, func() { sinkInstances = c.NewNullInstances(n) }); allocs != want {
				t.Errorf("%v allocations, want %v", allocs, want)
			}
		})
	}
}

// sinkInstances keeps what a benchmark of allocations makes on the heap.
var sinkInstances []Instance
