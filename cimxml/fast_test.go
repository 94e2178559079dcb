package cimxml

import (
	"bytes"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
)

// fastClasses are the classes the fast path is tried with.
func fastClasses(t testing.TB) map[string]*cim.Class {
	out := map[string]*cim.Class{}
	om := interop.NewObjectManager(nil)
	for _, name := range []string{workload.ClassName, "Test_Foo", "Test_Dep"} {
		cr, err := om.Services(workload.Namespace).GetObject(t.Context(), name, 0)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := cr.ResultObject(0)
		out[name] = obj.(*cim.Class)
	}
	return out
}

func fastSeeds(classes map[string]*cim.Class) []string {
	enc := &encoder{host: "h", ns: `root\cimv2`}
	var out []string
	var b bytes.Buffer
	for i := range 3 {
		b.Reset()
		enc.instance(&b, workload.Build(classes[workload.ClassName], i), instOpts{})
		out = append(out, b.String())
	}
	foo := classes["Test_Foo"].NewInstance()
	foo.Set("Id", cim.String("a <&> \"b\" ü"))
	foo.Set("List", cim.Array(cim.TypeUint16, cim.Uint16(1), cim.Uint16(65535)))
	foo.Set("Ratio", cim.Real64(-1.5e300))
	b.Reset()
	enc.instance(&b, foo, instOpts{origin: true})
	out = append(out, b.String(), `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"/><PROPERTY.ARRAY NAME="List" TYPE="uint16"><VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>`)
	return out
}

// Whatever the fast path reads, the tree reads the same: the same values,
// the same properties present.
func FuzzFastInstance(f *testing.F) {
	classes := fastClasses(f)
	for _, s := range fastSeeds(classes) {
		f.Add(s)
	}
	lookup := func(name string) (*cim.Class, error) {
		for n, c := range classes {
			if cim.EqualFold(n, name) {
				return c, nil
			}
		}
		return nil, cim.ErrInvalidClass
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, inst, seen, end, ok := fastInstance(s, lookup)
		if !ok {
			return
		}
		n, err := parseDocument(s[:end])
		if err != nil {
			t.Fatalf("the fast path read what is not XML (%v): %q", err, s[:end])
		}
		want, wantSeen, err := (&decoder{ns: `root\cimv2`, lookup: lookup}).instance(n, c)
		if err != nil {
			t.Fatalf("the fast path read what the tree refuses (%v): %q", err, s[:end])
		}
		for i := range c.Properties {
			if seen[i] != wantSeen[i] || !cim.Equal(inst.At(i), want.At(i)) || inst.At(i).Type() != want.At(i).Type() {
				t.Fatalf("%s: fast %#v (seen %v), tree %#v (seen %v) in %q", c.Properties[i].Name, inst.At(i), seen[i], want.At(i), wantSeen[i], s)
			}
		}
	})
}

// The seeds take the fast path (a regression to the slow one would go
// unnoticed otherwise).
func TestFastPathTaken(t *testing.T) {
	classes := fastClasses(t)
	for _, s := range fastSeeds(classes) {
		_, _, _, end, ok := fastInstance(s, func(name string) (*cim.Class, error) { return classes[name], nil })
		if !ok || end != len(s) {
			t.Errorf("fast path not taken for %q", s)
		}
	}
}
