// Package storetest is a conformance suite for implementations of
// repository.Store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// NS is the namespace the suite creates (under root) for its own classes and
// instances, so that it makes no assumption about what a new store holds
// besides root.
const NS = `root\storetest`

// Run runs the conformance suite. open must return a new, empty store (holding
// at least the namespace root) for each call; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) repository.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s repository.Store)
	}{
		{"Namespaces", testNamespaces},
		{"NamespaceDeletion", testNamespaceDeletion},
		{"ClassRoundTrip", testClassRoundTrip},
		{"ClassCopies", testClassCopies},
		{"ClassCaseInsensitive", testClassCaseInsensitive},
		{"Subclasses", testSubclasses},
		{"DeleteClass", testDeleteClass},
		{"InstanceCRUD", testInstanceCRUD},
		{"KeyedPut", testKeyedPut},
		{"InstanceValues", testInstanceValues},
		{"InstanceClassEvolution", testInstanceClassEvolution},
		{"Rollback", testRollback},
		{"ReadOnlyView", testReadOnlyView},
		{"SnapshotIsolation", testSnapshotIsolation},
		{"Streaming", testStreaming},
		{"StreamingEarlyStop", testStreamingEarlyStop},
		{"StreamingWriterInCallback", testStreamingWriterInCallback},
		{"Cancelled", testCancelled},
		{"Concurrent", testConcurrent},
		{"Qualifiers", testQualifiers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			mustUpdate(t, s, func(tx repository.Tx) error { return tx.CreateNamespace(NS) })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func mustUpdate(t *testing.T, s repository.Store, fn func(repository.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustView(t *testing.T, s repository.Store, fn func(repository.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantStatus fails unless err carries status.
func wantStatus(t *testing.T, what string, err error, status cim.Status) {
	t.Helper()
	if got := cim.StatusOf(err); got != status {
		t.Errorf("%s: got %v (%v), want %v", what, got, err, status)
	}
}

func derive(t *testing.T, parent, decl *cim.Class) *cim.Class {
	t.Helper()
	c, err := cim.Derive(parent, decl)
	if err != nil {
		t.Fatalf("Derive %s: %v", decl.Name, err)
	}
	return c
}

// keyed returns a complete class with a string key Name and an integer Size.
func keyed(t *testing.T, parent *cim.Class, name string) *cim.Class {
	t.Helper()
	decl := &cim.Class{Name: name, Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Size", Type: cim.TypeUint32, Default: cim.Uint32(7)},
	}}
	if parent != nil {
		decl.Superclass = parent.Name
		decl.Properties = decl.Properties[1:] // the key is inherited
		decl.Properties[0].Name = name + "Size"
	}
	return derive(t, parent, decl)
}

func newInst(t *testing.T, c *cim.Class, vals ...any) *cim.Instance {
	t.Helper()
	inst := c.NewInstance()
	for i := 0; i < len(vals); i += 2 {
		v, err := cim.ValueOf(vals[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Set(vals[i].(string), v); err != nil {
			t.Fatalf("Set %s: %v", vals[i], err)
		}
	}
	return inst
}

func names(t *testing.T, s repository.Store, fn func(repository.Tx) ([]string, error)) []string {
	t.Helper()
	var out []string
	mustView(t, s, func(tx repository.Tx) (err error) { out, err = fn(tx); return })
	slices.Sort(out)
	return out
}

func testNamespaces(t *testing.T, s repository.Store) {
	mustView(t, s, func(tx repository.Tx) error {
		for _, ns := range []string{"root", "ROOT", NS, `ROOT\StoreTest`} {
			if !tx.NamespaceExists(ns) {
				t.Errorf("NamespaceExists(%s) = false", ns)
			}
		}
		if tx.NamespaceExists(NS + `\nope`) {
			t.Errorf("NamespaceExists of a missing namespace = true")
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error {
		for _, ns := range []string{NS + `\B`, NS + `\a`, NS + `\a\deep`, NS + `\a b`, NS + `\ab`} {
			if err := tx.CreateNamespace(ns); err != nil {
				return err
			}
		}
		return nil
	})
	got := names(t, s, func(tx repository.Tx) ([]string, error) { return tx.Namespaces(NS) })
	want := []string{NS + `\B`, NS + `\a`, NS + `\a b`, NS + `\ab`}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Namespaces(%s) = %q, want %q", NS, got, want)
	}
	got = names(t, s, func(tx repository.Tx) ([]string, error) { return tx.Namespaces(NS + `\A`) })
	if want := []string{NS + `\a\deep`}; !slices.Equal(got, want) {
		t.Errorf("Namespaces(%s\\A) = %q, want %q", NS, got, want)
	}
	got = names(t, s, func(tx repository.Tx) ([]string, error) { return tx.Namespaces("root") })
	if !slices.Contains(got, NS) || slices.Contains(got, NS+`\a`) {
		t.Errorf("Namespaces(root) = %q: want %s and no grandchildren", got, NS)
	}
	err := s.Update(ctx, func(tx repository.Tx) error { return tx.CreateNamespace(NS + `\A`) })
	wantStatus(t, "CreateNamespace of an existing namespace (other case)", err, cim.WBEM_E_ALREADY_EXISTS)
	err = s.Update(ctx, func(tx repository.Tx) error { return tx.CreateNamespace(NS + `\missing\child`) })
	wantStatus(t, "CreateNamespace without parent", err, cim.WBEM_E_INVALID_NAMESPACE)
	err = s.View(ctx, func(tx repository.Tx) error { _, err := tx.Namespaces(NS + `\missing`); return err })
	wantStatus(t, "Namespaces of a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
	err = s.Update(ctx, func(tx repository.Tx) error { return tx.DeleteNamespace(NS + `\missing`) })
	wantStatus(t, "DeleteNamespace of a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
	err = s.View(ctx, func(tx repository.Tx) error { _, err := tx.Class(NS+`\missing`, "X"); return err })
	wantStatus(t, "Class in a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
}

func testNamespaceDeletion(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error {
		for _, ns := range []string{NS + `\a`, NS + `\a\deep`, NS + `\a\deep\er`, NS + `\a b`, NS + `\ab`} {
			if err := tx.CreateNamespace(ns); err != nil {
				return err
			}
			if err := tx.PutClass(ns, c); err != nil {
				return err
			}
			if err := tx.PutInstance(ns, newInst(t, c, "Name", "x")); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.DeleteNamespace(NS + `\A`) })
	mustView(t, s, func(tx repository.Tx) error {
		for _, ns := range []string{NS + `\a`, NS + `\a\deep`, NS + `\a\deep\er`} {
			if tx.NamespaceExists(ns) {
				t.Errorf("%s survived the deletion of its ancestor", ns)
			}
		}
		for _, ns := range []string{NS + `\a b`, NS + `\ab`} {
			if !tx.NamespaceExists(ns) {
				t.Errorf("sibling %s was deleted", ns)
			}
			if _, err := tx.Instance(ns, c, repository.InstanceKey(newInst(t, c, "Name", "x"))); err != nil {
				t.Errorf("instance in sibling %s: %v", ns, err)
			}
		}
		return nil
	})
	// A namespace created again under the same name starts empty.
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.CreateNamespace(NS + `\a`) })
	mustView(t, s, func(tx repository.Tx) error {
		_, err := tx.Class(NS+`\a`, "Thing")
		wantStatus(t, "class in a re-created namespace", err, cim.WBEM_E_NOT_FOUND)
		has, err := tx.HasInstances(NS+`\a`, "Thing")
		if err != nil || has {
			t.Errorf("HasInstances in a re-created namespace = %v, %v", has, err)
		}
		if sub, _ := tx.Namespaces(NS + `\a`); len(sub) != 0 {
			t.Errorf("re-created namespace has children %q", sub)
		}
		return nil
	})
}

// richClass has a property, qualifier and method of every shape.
func richClass(t *testing.T) (*cim.Class, *cim.Class) {
	base := derive(t, nil, &cim.Class{Name: "Rich_Base",
		Qualifiers: cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}, {Name: "Description", Value: cim.String("base ✓")}},
		Properties: []cim.Property{
			{Name: "ID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
			{Name: "Counts", Type: cim.TypeUint16.ArrayOf(), Default: cim.Array(cim.TypeUint16, cim.Uint16(1), cim.Uint16(2)),
				Qualifiers: cim.Qualifiers{{Name: "ValueMap", Value: cim.Array(cim.TypeString, cim.String("1"), cim.String("2")), Flavor: cim.FlavorToSubclass | cim.FlavorAmended}}},
		},
		Methods: []cim.Method{{Name: "Reset", ReturnType: cim.TypeUint32,
			Params: []cim.Parameter{
				{Name: "Force", Type: cim.TypeBoolean, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}, {Name: "ID", Value: cim.Sint32(0)}}},
				{Name: "Target", Type: cim.TypeReference, RefClass: "Rich_Base", Qualifiers: cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}, {Name: "ID", Value: cim.Sint32(1)}}},
			},
			Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}}}},
	})
	rich := derive(t, base, &cim.Class{Name: "Rich", Superclass: "Rich_Base",
		Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String("p")}},
		Properties: []cim.Property{
			{Name: "Owner", Type: cim.TypeReference, RefClass: "Rich_Base"},
			{Name: "When", Type: cim.TypeDatetime, Default: cim.TimeValue(time.Date(2024, 2, 29, 12, 30, 0, 123456000, time.UTC))},
			{Name: "Ratio", Type: cim.TypeReal64, Default: cim.Real64(-0.5)},
			{Name: "Blob", Type: cim.TypeObject, RefClass: "Rich_Base"},
			{Name: "Letter", Type: cim.TypeChar16, Default: cim.Char16('é'), Qualifiers: cim.Qualifiers{{Name: "MaxLen", Value: cim.Uint32(1), Flavor: cim.FlavorToInstance}}},
		},
	})
	return base, rich
}

func testClassRoundTrip(t *testing.T, s repository.Store) {
	base, rich := richClass(t)
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, base); err != nil {
			return err
		}
		return tx.PutClass(NS, rich)
	})
	mustView(t, s, func(tx repository.Tx) error {
		for _, want := range []*cim.Class{base, rich} {
			got, err := tx.Class(NS, want.Name)
			if err != nil {
				t.Errorf("Class(%s): %v", want.Name, err)
				continue
			}
			if d := DiffClass(got, want); d != "" {
				t.Errorf("Class(%s) differs from what was stored: %s", want.Name, d)
			}
		}
		_, err := tx.Class(NS, "Missing")
		wantStatus(t, "Class of a missing class", err, cim.WBEM_E_NOT_FOUND)
		return nil
	})
	// Replacing keeps one class of that name.
	rich2 := derive(t, base, &cim.Class{Name: "RICH", Superclass: "Rich_Base"})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, rich2) })
	mustView(t, s, func(tx repository.Tx) error {
		got, err := tx.Class(NS, "rich")
		if err != nil {
			return err
		}
		if d := DiffClass(got, rich2); d != "" {
			t.Errorf("replaced class: %s", d)
		}
		subs, err := tx.Subclasses(NS, "Rich_Base")
		if err != nil {
			return err
		}
		if !slices.Equal(subs, []string{"RICH"}) {
			t.Errorf("Subclasses after replacing = %q, want [RICH]", subs)
		}
		return nil
	})
}

// corrupt changes every slice a class holds, in place.
func corrupt(c *cim.Class) {
	c.Derivation[0] = "Changed"
	c.Qualifiers[0].Name = "Changed"
	c.Properties[0].Name = "Changed"
	c.Properties[1].Qualifiers[0].Value = cim.String("changed")
	c.Methods[0].Name = "Changed"
	c.Methods[0].Qualifiers[0].Name = "Changed"
	c.Methods[0].Params[0].Name = "Changed"
	c.Methods[0].Params[1].Qualifiers[0].Name = "Changed"
}

// testClassCopies: a class Tx.Class returns is the caller's own, and so is
// the one it passed to PutClass: changing either leaves the stored class.
func testClassCopies(t *testing.T, s repository.Store) {
	base, rich := richClass(t)
	want := rich.Clone()
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, base); err != nil {
			return err
		}
		return tx.PutClass(NS, rich)
	})
	corrupt(rich)
	for range 2 {
		mustView(t, s, func(tx repository.Tx) error {
			got, err := tx.Class(NS, "Rich")
			if err != nil {
				return err
			}
			if d := DiffClass(got, want); d != "" {
				t.Errorf("the stored class changed with a copy: %s", d)
			}
			corrupt(got)
			return nil
		})
	}
}

func testClassCaseInsensitive(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "MixedCase")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(`ROOT\STORETEST`, c) })
	mustView(t, s, func(tx repository.Tx) error {
		for _, n := range []string{"MixedCase", "mixedcase", "MIXEDCASE"} {
			got, err := tx.Class(`root\StoreTest`, n)
			if err != nil {
				t.Errorf("Class(%s): %v", n, err)
			} else if got.Name != "MixedCase" {
				t.Errorf("Class(%s).Name = %s, want MixedCase", n, got.Name)
			}
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error {
		return tx.PutInstance(NS, newInst(t, c, "Name", "k"))
	})
	mustView(t, s, func(tx repository.Tx) error {
		has, err := tx.HasInstances(NS, "MIXEDCASE")
		if err != nil || !has {
			t.Errorf("HasInstances(MIXEDCASE) = %v, %v", has, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.DeleteClass(NS, "mixedCASE") })
	mustView(t, s, func(tx repository.Tx) error {
		_, err := tx.Class(NS, "MixedCase")
		wantStatus(t, "Class after DeleteClass in another case", err, cim.WBEM_E_NOT_FOUND)
		return nil
	})
}

func testSubclasses(t *testing.T, s repository.Store) {
	a := keyed(t, nil, "A")
	b := keyed(t, a, "B")
	c := keyed(t, a, "c")
	d := keyed(t, b, "D")
	z := keyed(t, nil, "Z")
	mustUpdate(t, s, func(tx repository.Tx) error {
		for _, x := range []*cim.Class{d, c, b, a, z} { // order does not matter
			if err := tx.PutClass(NS, x); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		of   string
		want []string
	}{
		{"", []string{"A", "Z"}},
		{"A", []string{"B", "c"}},
		{"a", []string{"B", "c"}},
		{"B", []string{"D"}},
		{"D", nil},
		{"Nothing", nil},
	}
	check := func() {
		t.Helper()
		for _, tc := range cases {
			got := names(t, s, func(tx repository.Tx) ([]string, error) { return tx.Subclasses(NS, tc.of) })
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Subclasses(%q) = %q, want %q", tc.of, got, want)
			}
		}
	}
	check()
	// Moving D under Z updates the index.
	d2 := keyed(t, z, "D")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, d2) })
	cases[3].want = nil
	cases = append(cases, struct {
		of   string
		want []string
	}{"Z", []string{"D"}})
	check()
	err := s.View(ctx, func(tx repository.Tx) error { _, err := tx.Subclasses(NS+`\missing`, ""); return err })
	wantStatus(t, "Subclasses in a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
}

func testDeleteClass(t *testing.T, s repository.Store) {
	a := keyed(t, nil, "A")
	b := keyed(t, a, "B")
	mustUpdate(t, s, func(tx repository.Tx) error {
		for _, x := range []*cim.Class{a, b} {
			if err := tx.PutClass(NS, x); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.PutInstance(NS, newInst(t, a, "Name", fmt.Sprint("a", i))); err != nil {
				return err
			}
			if err := tx.PutInstance(NS, newInst(t, b, "Name", fmt.Sprint("b", i))); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.DeleteClass(NS, "A") })
	mustView(t, s, func(tx repository.Tx) error {
		_, err := tx.Class(NS, "A")
		wantStatus(t, "Class after DeleteClass", err, cim.WBEM_E_NOT_FOUND)
		if has, err := tx.HasInstances(NS, "A"); err != nil || has {
			t.Errorf("HasInstances(A) after DeleteClass = %v, %v", has, err)
		}
		if _, err := tx.Class(NS, "B"); err != nil {
			t.Errorf("subclass B after deleting A: %v", err)
		}
		if has, err := tx.HasInstances(NS, "B"); err != nil || !has {
			t.Errorf("HasInstances(B) after deleting A = %v, %v", has, err)
		}
		top, _ := tx.Subclasses(NS, "")
		if slices.Contains(top, "A") {
			t.Errorf("deleted class A still listed among top-level classes")
		}
		return nil
	})
	if n := count(t, s, a); n != 0 {
		t.Errorf("Instances of deleted class A: %d", n)
	}
	// Re-creating the class does not bring its instances back.
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, a) })
	if n := count(t, s, a); n != 0 {
		t.Errorf("Instances of re-created class A: %d", n)
	}
	err := s.Update(ctx, func(tx repository.Tx) error { return tx.DeleteClass(NS, "Missing") })
	wantStatus(t, "DeleteClass of a missing class", err, cim.WBEM_E_NOT_FOUND)
}

func count(t *testing.T, s repository.Store, c *cim.Class) int {
	t.Helper()
	n := 0
	if err := s.Instances(ctx, NS, c, func(*cim.Instance) error { n++; return nil }); err != nil {
		t.Fatalf("Instances(%s): %v", c.Name, err)
	}
	return n
}

func testInstanceCRUD(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	one := newInst(t, c, "Name", "One", "Size", uint32(1))
	key := repository.InstanceKey(one)
	mustView(t, s, func(tx repository.Tx) error {
		if has, err := tx.HasInstances(NS, "Thing"); err != nil || has {
			t.Errorf("HasInstances before any Put = %v, %v", has, err)
		}
		_, err := tx.Instance(NS, c, key)
		wantStatus(t, "Instance before Put", err, cim.WBEM_E_NOT_FOUND)
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutInstance(NS, one) })
	// The store keeps its own copy.
	one.Set("Size", cim.Uint32(99))
	get := func() *cim.Instance {
		t.Helper()
		var got *cim.Instance
		mustView(t, s, func(tx repository.Tx) (err error) { got, err = tx.Instance(NS, c, key); return })
		return got
	}
	if got := get(); got.Value("Size").Uint() != 1 || got.Value("Name").Str() != "One" {
		t.Errorf("Instance = Name %v Size %v, want One 1", got.Value("Name"), got.Value("Size"))
	}
	// Replacing.
	mustUpdate(t, s, func(tx repository.Tx) error {
		return tx.PutInstance(NS, newInst(t, c, "Name", "One", "Size", uint32(2)))
	})
	if got := get(); got.Value("Size").Uint() != 2 {
		t.Errorf("after replacing, Size = %v, want 2", got.Value("Size"))
	}
	if n := count(t, s, c); n != 1 {
		t.Errorf("after replacing, %d instances, want 1", n)
	}
	// The key is canonical: another spelling of the same path finds it.
	mustView(t, s, func(tx repository.Tx) error {
		p, err := cim.ParsePath(`THING.NAME="one"`)
		if err != nil {
			return err
		}
		if _, err := tx.Instance(NS, c, p.KeyString()); err != nil {
			t.Errorf("Instance by another spelling of the key: %v", err)
		}
		if has, err := tx.HasInstances(NS, "Thing"); err != nil || !has {
			t.Errorf("HasInstances = %v, %v", has, err)
		}
		var seen []string
		if err := tx.ForEachInstance(NS, c, func(i *cim.Instance) error { seen = append(seen, i.Value("Name").Str()); return nil }); err != nil {
			return err
		}
		if !slices.Equal(seen, []string{"One"}) {
			t.Errorf("ForEachInstance saw %q", seen)
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.DeleteInstance(NS, "THING", key) })
	mustView(t, s, func(tx repository.Tx) error {
		_, err := tx.Instance(NS, c, key)
		wantStatus(t, "Instance after DeleteInstance", err, cim.WBEM_E_NOT_FOUND)
		if has, err := tx.HasInstances(NS, "Thing"); err != nil || has {
			t.Errorf("HasInstances after deleting the last = %v, %v", has, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx repository.Tx) error { return tx.DeleteInstance(NS, "Thing", key) })
	wantStatus(t, "DeleteInstance of a missing instance", err, cim.WBEM_E_NOT_FOUND)
	err = s.Update(ctx, func(tx repository.Tx) error { return tx.PutInstance(NS+`\missing`, one) })
	wantStatus(t, "PutInstance in a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
	err = s.Instances(ctx, NS+`\missing`, c, func(*cim.Instance) error { return nil })
	wantStatus(t, "Instances in a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
	// Instances of a class that has none: no error, nothing.
	other := keyed(t, nil, "Other")
	if n := count(t, s, other); n != 0 {
		t.Errorf("Instances of a class without instances: %d", n)
	}
}

// testKeyedPut: a store whose transactions are repository.KeyedPutters
// keeps what PutInstanceKeyed stores as PutInstance would, under the key,
// in a copy of its own, and rolls it back with the rest.
func testKeyedPut(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	var keyedTx bool
	mustView(t, s, func(tx repository.Tx) error { _, keyedTx = tx.(repository.KeyedPutter); return nil })
	if !keyedTx {
		t.Skip("the store's transactions are not repository.KeyedPutters")
	}
	one := newInst(t, c, "Name", "One", "Size", uint32(1))
	key := repository.InstanceKey(one)
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.(repository.KeyedPutter).PutInstanceKeyed(NS, one, key) })
	one.Set("Size", cim.Uint32(99))
	mustView(t, s, func(tx repository.Tx) error {
		got, err := tx.Instance(NS, c, key)
		if err != nil {
			return err
		}
		if d := DiffInstance(got, newInst(t, c, "Name", "One", "Size", uint32(1))); d != "" {
			t.Errorf("after PutInstanceKeyed: %s", d)
		}
		return nil
	})
	two := newInst(t, c, "Name", "Two")
	err := s.Update(ctx, func(tx repository.Tx) error {
		if err := tx.(repository.KeyedPutter).PutInstanceKeyed(NS, two, repository.InstanceKey(two)); err != nil {
			return err
		}
		return cim.Errorf(cim.WBEM_E_FAILED, "roll back")
	})
	wantStatus(t, "a failed Update", err, cim.WBEM_E_FAILED)
	if n := count(t, s, c); n != 1 {
		t.Errorf("after a rolled-back PutInstanceKeyed, %d instances, want 1", n)
	}
}

// AllKinds returns a class with a property of every CIM type, scalar and
// array, and an instance of it with every property set (some to NULL, one array
// with a NULL element), embedded objects included.
func AllKinds(t testing.TB) (*cim.Class, *cim.Instance) {
	inner, err := cim.Derive(nil, &cim.Class{Name: "Inner", Properties: []cim.Property{
		{Name: "Label", Type: cim.TypeString},
		{Name: "Nested", Type: cim.TypeObject},
	}})
	if err != nil {
		t.Fatal(err)
	}
	scalars := []struct {
		name string
		v    cim.Value
	}{
		{"S8", cim.Sint8(math.MinInt8)},
		{"U8", cim.Uint8(math.MaxUint8)},
		{"S16", cim.Sint16(math.MinInt16)},
		{"U16", cim.Uint16(math.MaxUint16)},
		{"S32", cim.Sint32(math.MinInt32)},
		{"U32", cim.Uint32(math.MaxUint32)},
		{"S64", cim.Sint64(math.MinInt64)},
		{"U64", cim.Uint64(math.MaxUint64)},
		{"R32", cim.Real32(-1.5e-30)},
		{"R64", cim.Real64(math.MaxFloat64)},
		{"Bool", cim.Bool(true)},
		{"Str", cim.String("héllo \x00 wörld \"quoted\"")},
		{"DT", cim.TimeValue(time.Date(1998, 4, 1, 13, 58, 9, 0, time.FixedZone("", -90*60)))},
		{"Interval", cim.IntervalValue(36*time.Hour + 32*time.Second)},
		{"Ref", cim.RefString(`\\srv\root\cimv2:Win32_LogicalDisk.DeviceID="C:"`)},
		{"Ch", cim.Char16('€')},
	}
	decl := &cim.Class{Name: "AllKinds", Properties: []cim.Property{
		{Name: "Key", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
	}}
	for _, s := range scalars {
		decl.Properties = append(decl.Properties,
			cim.Property{Name: s.name, Type: s.v.Type()},
			cim.Property{Name: s.name + "Array", Type: s.v.Type().ArrayOf()},
			cim.Property{Name: s.name + "Null", Type: s.v.Type()})
	}
	decl.Properties = append(decl.Properties,
		cim.Property{Name: "Obj", Type: cim.TypeObject, RefClass: "Inner"},
		cim.Property{Name: "ObjArray", Type: cim.TypeObject.ArrayOf()},
		cim.Property{Name: "ClassObj", Type: cim.TypeObject},
		cim.Property{Name: "EmptyArray", Type: cim.TypeString.ArrayOf()},
		cim.Property{Name: "NullElems", Type: cim.TypeSint32.ArrayOf()},
	)
	c, err := cim.Derive(nil, decl)
	if err != nil {
		t.Fatal(err)
	}
	inst := c.NewInstance()
	set := func(name string, v cim.Value) {
		if err := inst.Set(name, v); err != nil {
			t.Fatalf("Set %s: %v", name, err)
		}
	}
	set("Key", cim.String("k1"))
	for _, s := range scalars {
		set(s.name, s.v)
		set(s.name+"Array", cim.Array(s.v.Type(), s.v, s.v))
	}
	deep := inner.NewInstance()
	deep.Set("Label", cim.String("deep"))
	mid := inner.NewInstance()
	mid.Set("Label", cim.String("mid"))
	mid.Set("Nested", cim.Embedded(deep))
	mid.SetLocation("srv", `root\x`)
	set("Obj", cim.Embedded(mid))
	set("ObjArray", cim.Array(cim.TypeObject, cim.Embedded(deep), cim.Embedded(mid)))
	set("ClassObj", cim.Embedded(inner))
	set("EmptyArray", cim.Array(cim.TypeString))
	set("NullElems", cim.Array(cim.TypeSint32, cim.Sint32(1), cim.Null, cim.Sint32(-3)))
	return c, inst
}

func testInstanceValues(t *testing.T, s repository.Store) {
	c, inst := AllKinds(t)
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, c); err != nil {
			return err
		}
		return tx.PutInstance(NS, inst)
	})
	mustView(t, s, func(tx repository.Tx) error {
		stored, err := tx.Class(NS, c.Name)
		if err != nil {
			return err
		}
		got, err := tx.Instance(NS, stored, repository.InstanceKey(inst))
		if err != nil {
			return err
		}
		if d := DiffInstance(got, inst); d != "" {
			t.Errorf("instance differs from what was stored: %s", d)
		}
		return nil
	})
	if err := s.Instances(ctx, NS, c, func(got *cim.Instance) error {
		if d := DiffInstance(got, inst); d != "" {
			t.Errorf("streamed instance differs from what was stored: %s", d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testInstanceClassEvolution(t *testing.T, s repository.Store) {
	v1 := derive(t, nil, &cim.Class{Name: "Evolving", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Old", Type: cim.TypeString},
		{Name: "Kept", Type: cim.TypeUint32},
	}})
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, v1); err != nil {
			return err
		}
		return tx.PutInstance(NS, newInst(t, v1, "Name", "a", "Old", "gone", "Kept", uint32(5)))
	})
	// v2 drops Old, adds Added with a default, and moves Kept.
	v2 := derive(t, nil, &cim.Class{Name: "Evolving", Properties: []cim.Property{
		{Name: "Added", Type: cim.TypeString, Default: cim.String("dflt")},
		{Name: "kept", Type: cim.TypeUint32},
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
	}})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, v2) })
	check := func(got *cim.Instance) {
		t.Helper()
		if got.Value("Name").Str() != "a" || got.Value("Kept").Uint() != 5 || got.Value("Added").Str() != "dflt" || got.Len() != 3 {
			t.Errorf("instance read with the new class: Name %v Kept %v Added %v (%d properties)", got.Value("Name"), got.Value("Kept"), got.Value("Added"), got.Len())
		}
	}
	key := repository.InstanceKey(newInst(t, v2, "Name", "a"))
	mustView(t, s, func(tx repository.Tx) error {
		got, err := tx.Instance(NS, v2, key)
		if err != nil {
			return err
		}
		check(got)
		return nil
	})
	if err := s.Instances(ctx, NS, v2, func(got *cim.Instance) error { check(got); return nil }); err != nil {
		t.Fatal(err)
	}
}

var errBoom = errors.New("boom")

func testRollback(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	keep := newInst(t, c, "Name", "keep", "Size", uint32(1))
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, c); err != nil {
			return err
		}
		return tx.PutInstance(NS, keep)
	})
	err := s.Update(ctx, func(tx repository.Tx) error {
		steps := []error{
			tx.CreateNamespace(NS + `\new`),
			tx.PutClass(NS+`\new`, c),
			tx.PutClass(NS, keyed(t, nil, "NewClass")),
			tx.PutInstance(NS, newInst(t, c, "Name", "new")),
			tx.PutInstance(NS, newInst(t, c, "Name", "keep", "Size", uint32(2))),
			tx.DeleteInstance(NS, "Thing", repository.InstanceKey(keep)),
			tx.DeleteClass(NS, "Thing"),
			tx.CreateNamespace(NS + `\doomed`),
			tx.DeleteNamespace(NS + `\doomed`),
		}
		for i, err := range steps {
			if err != nil {
				t.Errorf("step %d: %v", i, err)
			}
		}
		return fmt.Errorf("failing on purpose: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	mustView(t, s, func(tx repository.Tx) error {
		for _, ns := range []string{NS + `\new`, NS + `\doomed`} {
			if tx.NamespaceExists(ns) {
				t.Errorf("namespace %s survived a failed Update", ns)
			}
		}
		if _, err := tx.Class(NS, "NewClass"); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			t.Errorf("class NewClass after a failed Update: %v", err)
		}
		if _, err := tx.Class(NS, "Thing"); err != nil {
			t.Errorf("class Thing after a failed Update: %v", err)
		}
		got, err := tx.Instance(NS, c, repository.InstanceKey(keep))
		if err != nil {
			t.Errorf("instance keep after a failed Update: %v", err)
		} else if got.Value("Size").Uint() != 1 {
			t.Errorf("instance keep changed by a failed Update: Size %v", got.Value("Size"))
		}
		return nil
	})
	if n := count(t, s, c); n != 1 {
		t.Errorf("%d instances after a failed Update, want 1", n)
	}
}

func testReadOnlyView(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustView(t, s, func(tx repository.Tx) error {
		for name, err := range map[string]error{
			"CreateNamespace": tx.CreateNamespace(NS + `\x`),
			"DeleteNamespace": tx.DeleteNamespace(NS),
			"PutClass":        tx.PutClass(NS, c),
			"DeleteClass":     tx.DeleteClass(NS, "Thing"),
			"PutInstance":     tx.PutInstance(NS, newInst(t, c, "Name", "x")),
			"DeleteInstance":  tx.DeleteInstance(NS, "Thing", "thing.name=\"x\""),
		} {
			wantStatus(t, name+" in View", err, cim.WBEM_E_READ_ONLY)
		}
		return nil
	})
	mustView(t, s, func(tx repository.Tx) error {
		if !tx.NamespaceExists(NS) {
			t.Errorf("a write refused in View changed the store")
		}
		return nil
	})
}

func testSnapshotIsolation(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	inst := newInst(t, c, "Name", "x", "Size", uint32(1))
	key := repository.InstanceKey(inst)
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.PutClass(NS, c); err != nil {
			return err
		}
		return tx.PutInstance(NS, inst)
	})
	size := func(tx repository.Tx) uint64 {
		got, err := tx.Instance(NS, c, key)
		if err != nil {
			t.Errorf("Instance: %v", err)
			return 0
		}
		return got.Value("Size").Uint()
	}
	done := make(chan error, 1)
	mustView(t, s, func(tx repository.Tx) error {
		if got := size(tx); got != 1 {
			t.Errorf("Size = %d before the concurrent write", got)
		}
		go func() {
			done <- s.Update(ctx, func(tx repository.Tx) error {
				if err := tx.PutInstance(NS, newInst(t, c, "Name", "x", "Size", uint32(2))); err != nil {
					return err
				}
				return tx.CreateNamespace(NS + `\later`)
			})
		}()
		// A store may let the writer commit meanwhile (MVCC) or make it wait
		// for this reader (a lock); either way this snapshot must not change.
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("concurrent Update: %v", err)
			}
			done <- nil
		case <-time.After(100 * time.Millisecond):
		}
		if got := size(tx); got != 1 {
			t.Errorf("Size = %d inside the snapshot after a concurrent write, want 1", got)
		}
		if tx.NamespaceExists(NS + `\later`) {
			t.Errorf("a namespace created after the snapshot began is visible in it")
		}
		return nil
	})
	if err := <-done; err != nil {
		t.Fatalf("concurrent Update: %v", err)
	}
	mustView(t, s, func(tx repository.Tx) error {
		if got := size(tx); got != 2 {
			t.Errorf("Size = %d in a snapshot after the write, want 2", got)
		}
		return nil
	})
}

func putMany(t *testing.T, s repository.Store, c *cim.Class, n int) {
	t.Helper()
	for lo := 0; lo < n; lo += 500 {
		mustUpdate(t, s, func(tx repository.Tx) error {
			for i := lo; i < min(n, lo+500); i++ {
				if err := tx.PutInstance(NS, newInst(t, c, "Name", fmt.Sprintf("n%05d", i), "Size", uint32(i))); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func testStreaming(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	const n = 1234 // several batches of any sensible size, and a partial one
	putMany(t, s, c, n)
	seen := make([]bool, n)
	total := 0
	if err := s.Instances(ctx, NS, c, func(inst *cim.Instance) error {
		i := int(inst.Value("Size").Uint())
		if i >= n || seen[i] || inst.Value("Name").Str() != fmt.Sprintf("n%05d", i) {
			return fmt.Errorf("unexpected or repeated instance %v", inst.Value("Name"))
		}
		seen[i] = true
		total++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if total != n {
		t.Errorf("streamed %d instances, want %d", total, n)
	}
	total = 0
	mustView(t, s, func(tx repository.Tx) error {
		return tx.ForEachInstance(NS, c, func(*cim.Instance) error { total++; return nil })
	})
	if total != n {
		t.Errorf("ForEachInstance saw %d instances, want %d", total, n)
	}
}

func testStreamingEarlyStop(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	putMany(t, s, c, 600)
	for _, stopAt := range []int{1, 255, 256, 257, 600} {
		calls := 0
		err := s.Instances(ctx, NS, c, func(*cim.Instance) error {
			calls++
			if calls == stopAt {
				return errBoom
			}
			return nil
		})
		if !errors.Is(err, errBoom) || calls != stopAt {
			t.Errorf("stop at %d: Instances returned %v after %d calls", stopAt, err, calls)
		}
		calls = 0
		mustView(t, s, func(tx repository.Tx) error {
			err := tx.ForEachInstance(NS, c, func(*cim.Instance) error {
				calls++
				if calls == stopAt {
					return errBoom
				}
				return nil
			})
			if !errors.Is(err, errBoom) || calls != stopAt {
				t.Errorf("stop at %d: ForEachInstance returned %v after %d calls", stopAt, err, calls)
			}
			return nil
		})
	}
	// Cancelling the context stops the stream too.
	cctx, cancel := context.WithCancel(ctx)
	calls := 0
	err := s.Instances(cctx, NS, c, func(*cim.Instance) error {
		calls++
		if calls == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 10 {
		t.Errorf("cancelled stream returned %v after %d calls", err, calls)
	}
}

// testStreamingWriterInCallback checks that a consumer may write to the store
// while it streams: the stream must not hold a lock or transaction across its
// callbacks, or this deadlocks.
func testStreamingWriterInCallback(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	putMany(t, s, c, 300)
	done := make(chan error, 1)
	go func() {
		calls := 0
		done <- s.Instances(ctx, NS, c, func(inst *cim.Instance) error {
			calls++
			if calls%100 != 1 {
				return nil
			}
			return s.Update(ctx, func(tx repository.Tx) error {
				return tx.PutInstance(NS, newInst(t, c, "Name", "w"+inst.Value("Name").Str()))
			})
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Instances deadlocked with an Update from its callback")
	}
}

func testCancelled(t *testing.T, s repository.Store) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	called := false
	fn := func(repository.Tx) error { called = true; return nil }
	if err := s.View(cctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a cancelled context: %v", err)
	}
	if err := s.Update(cctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: %v", err)
	}
	if called {
		t.Errorf("fn ran under a cancelled context")
	}
	c := keyed(t, nil, "Thing")
	if err := s.Instances(cctx, NS, c, func(*cim.Instance) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Instances with a cancelled context: %v", err)
	}
}

func testConcurrent(t *testing.T, s repository.Store) {
	c := keyed(t, nil, "Thing")
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.PutClass(NS, c) })
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Update(ctx, func(tx repository.Tx) error {
					return tx.PutInstance(NS, newInst(t, c, "Name", fmt.Sprintf("w%d-%d", w, i), "Size", uint32(i)))
				}); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range each {
				if err := s.View(ctx, func(tx repository.Tx) error {
					_, err := tx.HasInstances(NS, "Thing")
					return err
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, c); n != writers*each {
		t.Errorf("%d instances after concurrent writes, want %d", n, writers*each)
	}
}

// testQualifiers: qualifier declarations round-trip whole, compare names
// case-insensitively, are refused when unfit, roll back with their
// transaction and go with their namespace.
func testQualifiers(t *testing.T, s repository.Store) {
	decls := []*cim.QualifierDecl{
		{Name: "Description", Type: cim.TypeString, Scopes: cim.ScopeAny, Flavor: cim.FlavorToSubclass | cim.FlavorTranslatable},
		{Name: "Key", Type: cim.TypeBoolean, Default: cim.Bool(false), Scopes: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.FlavorToSubclass | cim.FlavorNotOverridable},
		{Name: "ValueMap", Type: cim.TypeString.ArrayOf(), Default: cim.Array(cim.TypeString, cim.String("0"), cim.String("1")), Scopes: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter, Flavor: cim.FlavorToSubclass},
		{Name: "MaxLen", Type: cim.TypeUint32, Default: cim.Uint32(7), Scopes: cim.ScopeProperty, Flavor: cim.FlavorToSubclass},
		{Name: "Fixed", Type: cim.TypeSint8.ArrayOf(), ArraySize: 3, Scopes: cim.ScopeClass, Flavor: cim.FlavorToInstance},
	}
	mustUpdate(t, s, func(tx repository.Tx) error {
		for _, q := range decls {
			if err := tx.PutQualifier(NS, q); err != nil {
				return err
			}
		}
		return nil
	})
	mustView(t, s, func(tx repository.Tx) error {
		for _, want := range decls {
			got, err := tx.Qualifier(NS, strings.ToUpper(want.Name))
			if err != nil {
				t.Errorf("Qualifier(%s): %v", want.Name, err)
				continue
			}
			if got.Name != want.Name || got.Type != want.Type || got.Scopes != want.Scopes || got.Flavor != want.Flavor ||
				got.ArraySize != want.ArraySize || !cim.Equal(got.Default, want.Default) {
				t.Errorf("Qualifier(%s) = %+v, want %+v", want.Name, got, want)
			}
		}
		all, err := tx.Qualifiers(NS)
		if err != nil {
			t.Fatalf("Qualifiers: %v", err)
		}
		var got []string
		for _, q := range all {
			got = append(got, q.Name)
		}
		if want := "Description Fixed Key MaxLen ValueMap"; strings.Join(got, " ") != want {
			t.Errorf("Qualifiers = %v, want %s", got, want)
		}
		_, err = tx.Qualifier(NS, "Nonesuch")
		wantStatus(t, "Qualifier(Nonesuch)", err, cim.WBEM_E_NOT_FOUND)
		_, err = tx.Qualifier(NS+`
one`, "Key")
		wantStatus(t, "Qualifier in a missing namespace", err, cim.WBEM_E_INVALID_NAMESPACE)
		wantStatus(t, "PutQualifier in a read transaction", tx.PutQualifier(NS, decls[0]), cim.WBEM_E_READ_ONLY)
		return nil
	})
	// Unfit declarations are refused, naming the culprit.
	bad := []*cim.QualifierDecl{
		nil,
		{Name: "", Type: cim.TypeString},
		{Name: "Bad Name", Type: cim.TypeString},
		{Name: "Ref", Type: cim.TypeReference},
		{Name: "Obj", Type: cim.TypeObject},
		{Name: "Mismatch", Type: cim.TypeUint8, Default: cim.String("many")},
		{Name: "Sized", Type: cim.TypeString, ArraySize: 2},
		{Name: "Flavored", Type: cim.TypeString, Flavor: cim.FlavorPropagated},
	}
	for i, q := range bad {
		err := s.Update(ctx, func(tx repository.Tx) error { return tx.PutQualifier(NS, q) })
		wantStatus(t, fmt.Sprintf("PutQualifier of bad declaration %d", i), err, cim.WBEM_E_INVALID_PARAMETER)
	}
	// A default that converts is stored converted.
	mustUpdate(t, s, func(tx repository.Tx) error {
		return tx.PutQualifier(NS, &cim.QualifierDecl{Name: "Version", Type: cim.TypeUint16, Default: cim.Sint32(3)})
	})
	mustView(t, s, func(tx repository.Tx) error {
		q, err := tx.Qualifier(NS, "version")
		if err != nil || q.Default.Type() != cim.TypeUint16 || q.Default.Uint() != 3 {
			t.Errorf("Version = %+v, %v; want a uint16 default 3", q, err)
		}
		return nil
	})
	// A failed transaction keeps nothing.
	err := s.Update(ctx, func(tx repository.Tx) error {
		if err := tx.PutQualifier(NS, &cim.QualifierDecl{Name: "Fresh", Type: cim.TypeString}); err != nil {
			t.Errorf("PutQualifier Fresh: %v", err)
		}
		if err := tx.PutQualifier(NS, &cim.QualifierDecl{Name: "Key", Type: cim.TypeString}); err != nil {
			t.Errorf("PutQualifier Key: %v", err)
		}
		if err := tx.DeleteQualifier(NS, "MaxLen"); err != nil {
			t.Errorf("DeleteQualifier MaxLen: %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	mustView(t, s, func(tx repository.Tx) error {
		if _, err := tx.Qualifier(NS, "Fresh"); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
			t.Errorf("Fresh after a failed Update: %v", err)
		}
		if q, err := tx.Qualifier(NS, "Key"); err != nil || q.Type != cim.TypeBoolean {
			t.Errorf("Key after a failed Update: %+v, %v", q, err)
		}
		if _, err := tx.Qualifier(NS, "MaxLen"); err != nil {
			t.Errorf("MaxLen after a failed Update: %v", err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx repository.Tx) error { return tx.DeleteQualifier(NS, "maxlen") })
	err = s.Update(ctx, func(tx repository.Tx) error { return tx.DeleteQualifier(NS, "MaxLen") })
	wantStatus(t, "DeleteQualifier twice", err, cim.WBEM_E_NOT_FOUND)
	// A namespace deleted and made again declares nothing.
	mustUpdate(t, s, func(tx repository.Tx) error {
		if err := tx.DeleteNamespace(NS); err != nil {
			return err
		}
		return tx.CreateNamespace(NS)
	})
	mustView(t, s, func(tx repository.Tx) error {
		if all, err := tx.Qualifiers(NS); err != nil || len(all) != 0 {
			t.Errorf("Qualifiers of a new namespace = %v, %v; want none", all, err)
		}
		return nil
	})
}
