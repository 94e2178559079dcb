package mof

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzCompile checks that no input panics or hangs the compiler, that failures
// are *Error values with a position, and that whatever compiles prints to MOF
// that compiles back to the same plan.
func FuzzCompile(f *testing.F) {
	if b, err := os.ReadFile("testdata/basic.mof"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"class A { [Key] string k; uint32 n[] = {1, 0x2, 03, 100b}; };\ninstance of A as $a { k = \"x\\ty\"; };",
		"[Association] class L { [Key] object REF a; [key] object REF b; };\nclass A {[key] string k;};\ninstance of A as $x { k = \"1\"; };\ninstance of L { a = $x; b = $x; };",
		"Qualifier Q : sint32[] = {1, -2}, Scope(any), Flavor(DisableOverride, Restricted, Translatable);\n[Q{3}: Amended] class A { [Q(4)] real32 r = -1.5e-3; char16 c = '\\x41'; };",
		"#pragma namespace(\"sub\")\n#pragma classflags(\"createonly\")\nclass A { datetime d = \"20240102030405.000000+060\"; };\n#pragma deleteclass(\"A\", FAIL)",
		"class E { string s; };\nclass A { [key] string k; E e; object o; };\ninstance of A { k = \"1\"; e = instance of E { s = \"in\"; }; };",
		"class A { uint32 M([IN, OUT] string a[], [OUT] A REF b); void N(); };",
		"class B { [Key] string k = \"d\"; string x = \"p\"; };\nclass C : B { string x = \"c\"; };",
		"/* c */ // d\nclass A { };",
		"class A { [CIMTYPE(\"object:Nowhere\")] object o[]; uint32 M([CIMTYPE(\"object:X\")] object p); };",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		plan, err := CompileString("fuzz.mof", src, Options{})
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || me.Pos.File != "fuzz.mof" || me.Pos.Line < 1 || me.Pos.Column < 1 {
				t.Fatalf("error without a position: %#v", err)
			}
			return
		}
		for _, c := range plan.Classes() {
			_ = FormatClass(c)
		}
		for _, in := range plan.Instances() {
			_ = FormatInstance(in)
		}
		var b strings.Builder
		if err := (&Printer{AllFlavors: true}).Plan(&b, plan); err != nil {
			t.Fatal(err)
		}
		again, err := CompileString("printed.mof", b.String(), Options{})
		if err != nil {
			t.Fatalf("printed plan does not compile: %v\n--- input\n%s\n--- printed\n%s", err, src, b.String())
		}
		if d := diffPlans(plan, again); d != "" {
			t.Fatalf("round trip differs: %s\n--- input\n%s\n--- printed\n%s", d, src, b.String())
		}
	})
}
