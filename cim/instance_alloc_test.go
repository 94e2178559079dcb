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
