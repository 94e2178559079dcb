package mof

import (
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func TestRoundTripBasic(t *testing.T) {
	plan, err := compileFile(t, "testdata", "basic.mof", Options{})
	if err != nil {
		t.Fatal(err)
	}
	text, again := roundTrip(t, plan)
	if d := diffPlans(plan, again); d != "" {
		t.Fatalf("round trip differs: %s\n%s", d, text)
	}
	// Printing the second plan gives the same text: printing is stable.
	var b strings.Builder
	if err := (&Printer{AllFlavors: true}).Plan(&b, again); err != nil {
		t.Fatal(err)
	}
	if b.String() != text {
		t.Errorf("second printing differs:\n%s\n---\n%s", text, b.String())
	}
}

func TestFormatClassShowsLocalMembers(t *testing.T) {
	plan := mustCompile(t, `
class P { [Key] string k; uint32 n = 1; uint32 m; void Go(); uint32 Stop([IN] boolean Force); };
class C : P { uint32 n = 2; [Description("mine")] uint32 m; string own; };
[Association] class L { [Key] P REF a; [Key] P REF b; P REF Find([IN] string name); };`)
	p, c := plan.Class(cim.DefaultNamespace, "P"), plan.Class(cim.DefaultNamespace, "C")
	got := FormatClass(c)
	want := "class C : P\n{\n\t[Description(\"mine\")]\n\tuint32 m;\n\tstring own;\n};\n"
	if got != want {
		t.Errorf("FormatClass(C) =\n%s\nwant\n%s", got, want)
	}
	var b strings.Builder
	if err := (&Printer{}).Class(&b, c, p); err != nil {
		t.Fatal(err)
	}
	want = "class C : P\n{\n\tuint32 n = 2;\n\t[Description(\"mine\")]\n\tuint32 m;\n\tstring own;\n};\n"
	if b.String() != want {
		t.Errorf("Printer.Class(C, P) =\n%s\nwant\n%s", b.String(), want)
	}
	l := FormatClass(plan.Class(cim.DefaultNamespace, "L"))
	if !strings.Contains(l, "\tP REF Find([IN] string name);\n") || !strings.Contains(l, "[Association]\nclass L\n") {
		t.Errorf("FormatClass(L) =\n%s", l)
	}
	if m, _ := plan.Class(cim.DefaultNamespace, "L").Method("Find"); m.ReturnType != cim.TypeReference || m.Qualifiers.Value("CIMTYPE").Str() != "ref:P" {
		t.Errorf("Find returns %v %v", m.ReturnType, m.Qualifiers)
	}
	b.Reset()
	if err := Print(&b, p); err != nil || !strings.Contains(b.String(), "uint32 Stop([IN] boolean Force);") || !strings.Contains(b.String(), "void Go();") {
		t.Errorf("Print(P) = %v\n%s", err, b.String())
	}
}

func TestPrintValues(t *testing.T) {
	tests := []struct {
		v    cim.Value
		want string
	}{
		{cim.Null, "NULL"},
		{cim.String("a\"b\\c\n\t\x01é"), `"a\"b\\c\n\t\x0001é"`},
		{cim.Char16('\''), `'\''`},
		{cim.Char16(0), `'\x0000'`},
		{cim.Real64(1e6), "1.0e+06"},
		{cim.Real64(2), "2.0"},
		{cim.Real32(0.1), "0.1"},
		{cim.Sint8(-5), "-5"},
		{cim.Uint64(18446744073709551615), "18446744073709551615"},
		{cim.Bool(false), "FALSE"},
		{cim.Array(cim.TypeString, cim.String("x"), cim.String("y")), `{"x", "y"}`},
		{cim.RefString(`A.k="v"`), `"A.k=\"v\""`},
	}
	for _, tt := range tests {
		w := &writer{}
		(&Printer{}).value(w, tt.v, "")
		if string(w.b) != tt.want {
			t.Errorf("value %#v printed %s, want %s", tt.v, w.b, tt.want)
		}
	}
}

func TestPrintFlavors(t *testing.T) {
	plan := mustCompile(t, `
Qualifier Sticky : string, Scope(any), Flavor(DisableOverride, ToSubclass);
[Sticky("s"), Description("d"), Note("n"): Restricted Amended]
class A { };`)
	a := plan.Classes()[0]
	if got := FormatClass(a); !strings.HasPrefix(got, `[Sticky("s"): DisableOverride ToSubclass, Description("d"), Note("n"): EnableOverride Restricted Amended]`) {
		t.Errorf("without declarations:\n%s", got)
	}
	var b strings.Builder
	(&Printer{Declarations: plan.QualifierTypes()}).Class(&b, a, nil)
	if got := b.String(); !strings.HasPrefix(got, `[Sticky("s"), Description("d"), Note("n"): EnableOverride Restricted Amended]`) {
		t.Errorf("with declarations:\n%s", got)
	}
	b.Reset()
	(&Printer{}).QualifierType(&b, plan.QualifierTypes()[0])
	if got := b.String(); got != "Qualifier Sticky : string, Scope(any), Flavor(DisableOverride, ToSubclass);\n" {
		t.Errorf("QualifierType = %q", got)
	}
	if s := (ScopeClass | ScopeReference).String(); s != "class, reference" {
		t.Errorf("Scope.String = %q", s)
	}
}

// A method returning an embedded object keeps its class through a round
// trip, whether the class exists or only its CIMTYPE names it.
func TestRoundTripObjectMethods(t *testing.T) {
	for _, src := range []string{
		`class E { string s; }; class A { E M(); E N([IN] string x); };`,
		`class A { [CIMTYPE("object:Nowhere")] object M(); };`,
		`class A { [CIMTYPE("object")] object M(); object N(); };`,
	} {
		plan := mustCompile(t, src)
		text, again := roundTrip(t, plan)
		if d := diffPlans(plan, again); d != "" {
			t.Errorf("%s: round trip differs: %s\n%s", src, d, text)
		}
	}
	m, _ := mustCompile(t, `class E { string s; }; class A { E M(); };`).Class(cim.DefaultNamespace, "A").Method("M")
	if m.ReturnType != cim.TypeObject || m.Qualifiers.Value("CIMTYPE").Str() != "object:E" {
		t.Errorf("M returns %v %v", m.ReturnType, m.Qualifiers)
	}
}
