package mof

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// diffClass describes the first difference between two classes, or "".
func diffClass(a, b *cim.Class) string {
	if a.Name != b.Name || a.Superclass != b.Superclass || a.Namespace != b.Namespace {
		return fmt.Sprintf("name/superclass/namespace %s:%s(%s) vs %s:%s(%s)", a.Namespace, a.Name, a.Superclass, b.Namespace, b.Name, b.Superclass)
	}
	if strings.Join(a.Derivation, ",") != strings.Join(b.Derivation, ",") {
		return fmt.Sprintf("derivation %v vs %v", a.Derivation, b.Derivation)
	}
	if d := diffQualifiers(a.Qualifiers, b.Qualifiers); d != "" {
		return "class qualifiers: " + d
	}
	if len(a.Properties) != len(b.Properties) {
		return fmt.Sprintf("%d properties vs %d", len(a.Properties), len(b.Properties))
	}
	for i := range a.Properties {
		x, y := &a.Properties[i], &b.Properties[i]
		if x.Name != y.Name || x.Type != y.Type || x.RefClass != y.RefClass || x.Origin != y.Origin {
			return fmt.Sprintf("property %d: %s %s %s %s vs %s %s %s %s", i, x.Name, x.Type, x.RefClass, x.Origin, y.Name, y.Type, y.RefClass, y.Origin)
		}
		if !sameValue(x.Default, y.Default) {
			return fmt.Sprintf("property %s default %#v vs %#v", x.Name, x.Default, y.Default)
		}
		if d := diffQualifiers(x.Qualifiers, y.Qualifiers); d != "" {
			return "property " + x.Name + ": " + d
		}
	}
	if len(a.Methods) != len(b.Methods) {
		return fmt.Sprintf("%d methods vs %d", len(a.Methods), len(b.Methods))
	}
	for i := range a.Methods {
		x, y := &a.Methods[i], &b.Methods[i]
		if x.Name != y.Name || x.ReturnType != y.ReturnType || x.Origin != y.Origin || len(x.Params) != len(y.Params) {
			return fmt.Sprintf("method %s vs %s", x.Name, y.Name)
		}
		if d := diffQualifiers(x.Qualifiers, y.Qualifiers); d != "" {
			return "method " + x.Name + ": " + d
		}
		for j := range x.Params {
			p, q := &x.Params[j], &y.Params[j]
			if p.Name != q.Name || p.Type != q.Type || p.RefClass != q.RefClass {
				return fmt.Sprintf("method %s param %d: %s %s %s vs %s %s %s", x.Name, j, p.Name, p.Type, p.RefClass, q.Name, q.Type, q.RefClass)
			}
			if d := diffQualifiers(p.Qualifiers, q.Qualifiers); d != "" {
				return "method " + x.Name + " param " + p.Name + ": " + d
			}
		}
	}
	return ""
}

func diffQualifiers(a, b cim.Qualifiers) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d qualifiers %v vs %d %v", len(a), qnames(a), len(b), qnames(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Flavor != b[i].Flavor || !sameValue(a[i].Value, b[i].Value) {
			return fmt.Sprintf("qualifier %s=%#v flavor %#x vs %s=%#v flavor %#x", a[i].Name, a[i].Value, a[i].Flavor, b[i].Name, b[i].Value, b[i].Flavor)
		}
	}
	return ""
}

func qnames(qs cim.Qualifiers) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Name)
	}
	return out
}

// diffPlans compares two plans item by item.
func diffPlans(a, b *Plan) string {
	if len(a.Items) != len(b.Items) {
		return fmt.Sprintf("%d items vs %d", len(a.Items), len(b.Items))
	}
	for i := range a.Items {
		x, y := &a.Items[i], &b.Items[i]
		if !cim.EqualFold(x.Namespace, y.Namespace) || x.Alias != y.Alias || x.Flags != y.Flags ||
			x.DeleteClass != y.DeleteClass || x.DeleteInstance != y.DeleteInstance || x.MustExist != y.MustExist {
			return fmt.Sprintf("item %d: %+v vs %+v", i, *x, *y)
		}
		switch {
		case x.Class != nil:
			if y.Class == nil {
				return fmt.Sprintf("item %d: class vs not", i)
			}
			if d := diffClass(x.Class, y.Class); d != "" {
				return fmt.Sprintf("item %d class %s: %s", i, x.Class.Name, d)
			}
		case x.Instance != nil:
			if y.Instance == nil {
				return fmt.Sprintf("item %d: instance vs not", i)
			}
			if fx, fy := FormatInstance(x.Instance), FormatInstance(y.Instance); fx != fy || x.Instance.ClassName() != y.Instance.ClassName() {
				return fmt.Sprintf("item %d instance:\n%s\nvs\n%s", i, fx, fy)
			}
			for n := 0; n < x.Instance.Len(); n++ {
				if !sameValue(x.Instance.At(n), y.Instance.At(n)) {
					return fmt.Sprintf("item %d instance property %d: %#v vs %#v", i, n, x.Instance.At(n), y.Instance.At(n))
				}
			}
		case x.Qualifier != nil:
			q, r := x.Qualifier, y.Qualifier
			if r == nil || q.Name != r.Name || q.Type != r.Type || q.Scopes != r.Scopes || q.Flavor != r.Flavor || q.ArraySize != r.ArraySize || !sameValue(q.Default, r.Default) {
				return fmt.Sprintf("item %d qualifier type %+v vs %+v", i, q, r)
			}
		}
	}
	return ""
}

// roundTrip prints a plan in full and compiles the text again.
func roundTrip(t testing.TB, plan *Plan) (string, *Plan) {
	t.Helper()
	var b strings.Builder
	if err := (&Printer{AllFlavors: true}).Plan(&b, plan); err != nil {
		t.Fatalf("print: %v", err)
	}
	again, err := CompileString("printed.mof", b.String(), Options{})
	if err != nil {
		t.Fatalf("compiling the printed plan: %v\n%s", err, b.String())
	}
	return b.String(), again
}

func TestCorpusRoundTrip(t *testing.T) {
	plan := compileSchema(t)
	text, again := roundTrip(t, plan)
	if d := diffPlans(plan, again); d != "" {
		t.Fatalf("round trip differs: %s", d)
	}
	t.Logf("printed %d bytes", len(text))
}
