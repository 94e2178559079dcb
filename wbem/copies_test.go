package wbem_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// classText spells out every name and qualifier of c.
func classText(c *cim.Class) string {
	var b strings.Builder
	quals := func(qs cim.Qualifiers) {
		for _, q := range qs {
			fmt.Fprintf(&b, "[%s=%s]", q.Name, q.Value.Text())
		}
	}
	fmt.Fprintf(&b, "%s:%s %v ", c.Name, c.Superclass, c.Derivation)
	quals(c.Qualifiers)
	for _, p := range c.Properties {
		fmt.Fprintf(&b, " %s %s", p.Type, p.Name)
		quals(p.Qualifiers)
	}
	for _, m := range c.Methods {
		fmt.Fprintf(&b, " %s(", m.Name)
		quals(m.Qualifiers)
		for _, p := range m.Params {
			fmt.Fprintf(&b, " %s", p.Name)
			quals(p.Qualifiers)
		}
		b.WriteString(")")
	}
	return b.String()
}

// scribbleQualifiers changes, in place, what a class's qualifiers and
// derivation hold, not its properties' names and types: a client that typed
// instances with that class would not notice it.
func scribbleQualifiers(c *cim.Class) {
	for i := range c.Derivation {
		c.Derivation[i] = "Scribbled"
	}
	for i := range c.Qualifiers {
		c.Qualifiers[i].Name = "Scribbled"
	}
	for i := range c.Properties {
		for j := range c.Properties[i].Qualifiers {
			c.Properties[i].Qualifiers[j].Value = cim.String("scribbled")
		}
	}
}

// scribble changes, in place, what a class's slices hold.
func scribble(c *cim.Class) {
	for i := range c.Derivation {
		c.Derivation[i] = "Scribbled"
	}
	for i := range c.Qualifiers {
		c.Qualifiers[i].Name = "Scribbled"
	}
	for i := range c.Properties {
		c.Properties[i].Name = "Scribbled"
		for j := range c.Properties[i].Qualifiers {
			c.Properties[i].Qualifiers[j].Value = cim.String("scribbled")
		}
	}
	for i := range c.Methods {
		c.Methods[i].Name = "Scribbled"
		for j := range c.Methods[i].Params {
			c.Methods[i].Params[j].Name = "Scribbled"
		}
	}
}

// A class an operation returns is the caller's own: changing it (as a
// caller about to PutClass it back does) changes nothing the backend holds.
func TestReturnedClassesAreTheCallers(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, open func(p *workload.Provider) *wbem.Services) {
		svc := open(&workload.Provider{N: 1})
		get := func() *cim.Class {
			t.Helper()
			cr, err := svc.GetObject(ctx, workload.ClassName, 0)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := cr.ResultObject(wbem.Infinite)
			if err != nil {
				t.Fatal(err)
			}
			return obj.(*cim.Class)
		}
		want := classText(get())
		// An instance's class still reads as the class (a client types
		// instances with the classes it keeps).
		instClass := func(after string) {
			t.Helper()
			cr, err := svc.GetObject(ctx, workload.ClassName+".Id=0", 0)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := cr.ResultObject(wbem.Infinite)
			if err != nil {
				t.Fatal(err)
			}
			if got := classText(obj.(*cim.Instance).Class()); got != want {
				t.Errorf("the instance's class after changing %s:\n got %s\nwant %s", after, got, want)
			}
		}
		c := get()
		scribbleQualifiers(c)
		instClass("what GetObject returned")
		scribble(c)
		if got := classText(get()); got != want {
			t.Errorf("GetObject after changing what an earlier one returned:\n got %s\nwant %s", got, want)
		}
		// Class enumerations and schema queries hand out copies too.
		for _, run := range []func() (*wbem.Enumerator, error){
			func() (*wbem.Enumerator, error) { return svc.CreateClassEnum(ctx, "", 0) },
			func() (*wbem.Enumerator, error) {
				return svc.ExecQuery(ctx, "WQL", "SELECT * FROM meta_class WHERE __CLASS = '"+workload.ClassName+"'", 0)
			},
		} {
			e, err := run()
			if err != nil {
				t.Fatal(err)
			}
			var got []*cim.Class
			for obj, err := range e.All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if c, ok := obj.(*cim.Class); ok && c.Name == workload.ClassName {
					scribbleQualifiers(c)
					got = append(got, c)
				}
			}
			e.Close()
			instClass("an enumerated class")
			for _, c := range got {
				scribble(c)
			}
			if got := classText(get()); got != want {
				t.Errorf("GetObject after changing an enumerated class:\n got %s\nwant %s", got, want)
			}
		}
	})
}
