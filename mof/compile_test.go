package mof

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func compileFile(t *testing.T, dir, name string, opts Options) (*Plan, error) {
	t.Helper()
	return Compile(context.Background(), os.DirFS(dir), name, opts)
}

func mustCompile(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := CompileString("test.mof", src, Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

func TestCompileBasic(t *testing.T) {
	plan, err := compileFile(t, "testdata", "basic.mof", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := cim.DefaultNamespace
	el := plan.Class(ns, "T_Element")
	if el == nil {
		t.Fatal("T_Element missing")
	}
	if !el.IsAbstract() {
		t.Error("T_Element is not abstract")
	}
	if got := el.Qualifiers.Value("Description").Str(); got != "The root of it all." {
		t.Errorf("concatenated description = %q", got)
	}
	want := map[string]string{
		"InstanceID": `string NULL`,
		"Caption":    `string "none"`,
		"Bytes":      `uint8[] NULL`,
		"Values":     `sint32[] {1, -2, 16, 15, 5}`,
		"Ratio":      `real64 1500`,
		"Letter":     `char16 A`,
		"Enabled":    `boolean true`,
		"Since":      `datetime NULL`,
		"State":      `uint16 1`,
		"Embedded":   `string NULL`,
	}
	if len(el.Properties) != len(want) {
		t.Errorf("T_Element has %d properties, want %d", len(el.Properties), len(want))
	}
	for name, w := range want {
		p, ok := el.Property(name)
		if !ok {
			t.Errorf("property %s missing", name)
			continue
		}
		if got := p.Type.String() + " " + p.Default.String(); got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	if p, _ := el.Property("Bytes"); p.Qualifiers.Value(ArraySizeQualifier).Int() != 4 {
		t.Errorf("Bytes[4] size qualifier = %v", p.Qualifiers.Value(ArraySizeQualifier))
	}
	if p, _ := el.Property("InstanceID"); !p.IsKey() || p.Qualifiers.Value("MaxLen").Type() != cim.TypeUint32 {
		t.Errorf("InstanceID qualifiers = %v", p.Qualifiers)
	}
	if p, _ := el.Property("State"); p.Qualifiers.Value("ValueMap").Type() != cim.TypeString.ArrayOf() {
		t.Errorf("ValueMap type = %v", p.Qualifiers.Value("ValueMap").Type())
	}
	if p, _ := el.Property("Embedded"); p.Type != cim.TypeString || p.Qualifiers.Value("EmbeddedInstance").Str() != "T_Element" {
		t.Errorf("EmbeddedInstance property = %v %v", p.Type, p.Qualifiers)
	}

	disk := plan.Class(ns, "T_Disk")
	if disk.IsAbstract() {
		t.Error("Abstract (restricted) propagated to T_Disk")
	}
	if len(disk.Keys()) != 1 || disk.Properties[disk.Keys()[0]].Name != "InstanceID" {
		t.Errorf("T_Disk keys = %v", disk.Keys())
	}
	if p, _ := disk.Property("Caption"); p.Default.Str() != "disk" || p.Origin != "T_Element" || p.Qualifiers.Value("Description").Str() != "A disk." {
		t.Errorf("overridden Caption = %+v", p)
	}
	m, ok := disk.Method("Format")
	if !ok || m.ReturnType != cim.TypeUint32 || len(m.Params) != 3 {
		t.Fatalf("Format = %+v", m)
	}
	if e := m.Params[1]; e.Name != "Errors" || e.Type != cim.TypeUint32.ArrayOf() || e.In() || !e.Out() {
		t.Errorf("Errors param = %+v in=%v out=%v", e, e.In(), e.Out())
	}
	if m.Params[0].Type != cim.TypeString || !m.Params[0].In() || m.Params[0].Out() {
		t.Errorf("FileSystem param = %+v", m.Params[0])
	}
	if r, _ := disk.Method("Reset"); r.ReturnType != cim.TypeEmpty {
		t.Errorf("void method returns %v", r.ReturnType)
	}

	link := plan.Class(ns, "T_Link")
	if !link.IsAssociation() {
		t.Error("T_Link is not an association")
	}
	if p, _ := link.Property("Antecedent"); p.Type != cim.TypeReference || p.RefClass != "T_Element" || !p.IsKey() {
		t.Errorf("Antecedent = %+v", p)
	}
	if a := plan.Class(ns, "T_Alert"); !a.Qualifiers.Has("Indication") {
		t.Error("T_Alert is not an indication")
	}
	if h, _ := plan.Class(ns, "T_Holder").Property("Inner"); h.Type != cim.TypeObject || h.RefClass != "T_Element" {
		t.Errorf("embedded object property = %+v", h)
	}

	insts := plan.Instances()
	if len(insts) != 4 {
		t.Fatalf("%d instances", len(insts))
	}
	if v := insts[0].Value("Size"); v.Type() != cim.TypeUint64 || v.Uint() != 1024 {
		t.Errorf("Size = %#v", v)
	}
	if v := insts[0].Value("Caption"); v.Str() != "disk" {
		t.Errorf("default not applied: Caption = %#v", v)
	}
	if got := insts[1].Value("Antecedent").Str(); got != `T_Disk.InstanceID="C:"` {
		t.Errorf("alias $C = %q", got)
	}
	if got := insts[1].Value("Dependent").Str(); got != `T_Disk.InstanceID="D:"` {
		t.Errorf("forward alias $D = %q", got)
	}
	inner := insts[3].Value("Inner").Instance()
	if inner == nil || inner.ClassName() != "T_Disk" || inner.Value("InstanceID").Str() != "inner" {
		t.Errorf("embedded instance = %#v", insts[3].Value("Inner"))
	}
	if plan.Items[len(plan.Items)-4].Alias != "C" {
		t.Errorf("alias not recorded on the item")
	}
	for _, it := range plan.Items {
		if it.Namespace != cim.DefaultNamespace || it.Pos.File != "basic.mof" || it.Pos.Line == 0 {
			t.Errorf("item %+v: bad namespace or position", it.Pos)
		}
	}
}

func TestLiterals(t *testing.T) {
	tests := []struct {
		decl string // type name[] = value
		want string // type and value as cim prints them
	}{
		{`string s = "a\tb\n\"q\"\\ \x41\X0042";`, "string \"a\\tb\\n\\\"q\\\"\\\\ AB\""},
		{`string s = "con" "cat" "enation";`, `string "concatenation"`},
		{`string s = 42;`, `string "42"`},
		{`string s = 'c';`, `string "c"`},
		{`char16 c = '\n';`, "char16 \n"},
		{`char16 c = '\x263A';`, "char16 ☺"},
		{`char16 c = 65;`, "char16 A"},
		{`char16 c = "z";`, "char16 z"},
		{`uint8 n = 255;`, "uint8 255"},
		{`sint8 n = -128;`, "sint8 -128"},
		{`sint64 n = -9223372036854775808;`, "sint64 -9223372036854775808"},
		{`uint64 n = 18446744073709551615;`, "uint64 18446744073709551615"},
		{`uint32 n = 0xFFFFFFFF;`, "uint32 4294967295"},
		{`uint32 n = 0755;`, "uint32 493"},
		{`uint32 n = 1010b;`, "uint32 10"},
		{`sint16 n = -0x10;`, "sint16 -16"},
		{`sint32 n = +7;`, "sint32 7"},
		{`uint32 n = 0;`, "uint32 0"},
		{`real32 r = 0.1;`, "real32 0.1"},
		{`real64 r = -.5;`, "real64 -0.5"},
		{`real64 r = 2.5E-3;`, "real64 0.0025"},
		{`real64 r = 3;`, "real64 3"},
		{`boolean b = false;`, "boolean false"},
		{`boolean b = True;`, "boolean true"},
		{`string s = NULL;`, "string NULL"},
		{`string a[] = {"x", "y"};`, `string[] {x, y}`},
		{`uint8 a[] = {};`, `uint8[] {}`},
		{`datetime d = "20240102030405.000000+060";`, `datetime "20240102030405.000000+060"`},
		{`datetime d = "00000001120032.000000:000";`, `datetime "00000001120032.000000:000"`},
	}
	for _, tt := range tests {
		t.Run(tt.decl, func(t *testing.T) {
			p := mustCompile(t, "class L {\n"+tt.decl+"\n};")
			prop := p.Classes()[0].Properties[0]
			if got := prop.Type.String() + " " + prop.Default.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		status cim.Status
		line   int
		col    int
		token  string
	}{
		{"missing semicolon after class", "class A {\n}", cim.WBEMMOF_E_EXPECTED_SEMI, 2, 2, ""},
		{"missing semicolon after property", "class A {\n  string s\n};", cim.WBEMMOF_E_EXPECTED_SEMI, 3, 1, "}"},
		{"missing open brace", "class A ;", cim.WBEMMOF_E_EXPECTED_OPEN_BRACE, 1, 9, ";"},
		{"class not closed", "class A {\n string s;", cim.WBEMMOF_E_EXPECTED_CLOSE_BRACE, 2, 11, ""},
		{"no class name", "class { };", cim.WBEMMOF_E_EXPECTED_CLASS_NAME, 1, 7, "{"},
		{"qualifier list not closed", "[Abstract class A {};", cim.WBEMMOF_E_EXPECTED_CLOSE_BRACKET, 1, 11, "class"},
		{"no qualifier name", "[] class A {};", cim.WBEMMOF_E_EXPECTED_QUALIFIER_NAME, 1, 2, "]"},
		{"qualifier paren not closed", "[Description(\"x\" class A {};", cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN, 1, 18, "class"},
		{"duplicate qualifier", "[Abstract, abstract] class A {};", cim.WBEMMOF_E_DUPLICATE_QUALIFIER, 1, 12, "abstract"},
		{"bad flavor", "[Description(\"x\"): Sticky] class A {};", cim.WBEMMOF_E_EXPECTED_FLAVOR_TYPE, 1, 20, "Sticky"},
		{"contradicting flavors", "[Description(\"x\"): ToSubclass Restricted] class A {};", cim.WBEMMOF_E_INCOMPATIBLE_FLAVOR_TYPES, 1, 31, "Restricted"},
		{"unknown character", "class A { string s; }; @", cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, 1, 24, "@"},
		{"unclosed comment", "class A {};\n/* no end", cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, 2, 1, "/*"},
		{"unclosed string", "class A { string s = \"abc\n\"; };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 22, "\"abc"},
		{"bad escape", `class A { string s = "a\qb"; };`, cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 24, `\q`},
		{"two chars in char16", "class A { char16 c = 'ab'; };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 22, "'ab"},
		{"bad number", "class A { uint32 n = 12x; };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 22, "12x"},
		{"bad octal", "class A { uint32 n = 09; };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 22, "09"},
		{"integer over 64 bits", "class A { uint64 n = 18446744073709551616; };", cim.WBEMMOF_E_OUT_OF_RANGE, 1, 22, "18446744073709551616"},
		{"uint8 out of range", "class A { uint8 n = 256; };", cim.WBEMMOF_E_OUT_OF_RANGE, 1, 21, "256"},
		{"negative unsigned", "class A { uint32 n = -1; };", cim.WBEMMOF_E_OUT_OF_RANGE, 1, 22, "-1"},
		{"real32 overflow", "class A { real32 r = 1e39; };", cim.WBEMMOF_E_OUT_OF_RANGE, 1, 22, "1e39"},
		{"string for integer", "class A { uint32 n = \"5\"; };", cim.WBEMMOF_E_TYPE_MISMATCH, 1, 22, `"5"`},
		{"boolean for string", "class A { string s = true; };", cim.WBEMMOF_E_TYPE_MISMATCH, 1, 22, "true"},
		{"array for scalar", "class A { uint32 n = {1}; };", cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT, 1, 22, "{"},
		{"scalar for array", "class A { uint32 n[] = 1; };", cim.WBEMMOF_E_TYPE_MISMATCH, 1, 24, "1"},
		{"null array element", "class A { uint32 n[] = {1, NULL}; };", cim.WBEMMOF_E_NULL_ARRAY_ELEM, 1, 28, "NULL"},
		{"nested array", "class A { uint32 n[] = {{1}}; };", cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT, 1, 25, "{"},
		{"bad datetime", "class A { datetime d = \"2024\"; };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 24, `"2024"`},
		{"unknown type", "class A { uint33 n; };", cim.WBEMMOF_E_UNRECOGNIZED_TYPE, 1, 11, "uint33"},
		{"ref without REF", "class A { ref r; };", cim.WBEMMOF_E_UNRECOGNIZED_TYPE, 1, 11, "ref"},
		{"void property", "class A { void v; };", cim.WBEMMOF_E_UNRECOGNIZED_TYPE, 1, 11, "void"},
		{"no property name", "class A { uint32 ; };", cim.WBEMMOF_E_EXPECTED_PROPERTY_NAME, 1, 18, ";"},
		{"duplicate property", "class A { uint32 n; string N; };", cim.WBEMMOF_E_DUPLICATE_PROPERTY, 1, 28, "N"},
		{"duplicate method", "class A { void m(); void M(); };", cim.WBEM_E_INVALID_METHOD, 1, 26, "M"},
		{"duplicate parameter", "class A { void m(uint32 a, uint32 A); };", cim.WBEM_E_INVALID_DUPLICATE_PARAMETER, 1, 35, "A"},
		{"array returned", "class A { uint32 m[](); };", cim.WBEMMOF_E_NO_ARRAYS_RETURNED, 1, 21, "("},
		{"neither in nor out", "class A { void m([In(false)] uint32 a); };", cim.WBEMMOF_E_MUST_BE_IN_OR_OUT, 1, 37, "a"},
		{"zero array size", "class A { uint32 n[0]; };", cim.WBEMMOF_E_OUT_OF_RANGE, 1, 20, "0"},
		{"unknown superclass", "class A : Nowhere { };", cim.WBEM_E_INVALID_SUPERCLASS, 1, 11, "Nowhere"},
		{"class derives from itself", "class A { };\nclass A : A { };", cim.WBEM_E_CIRCULAR_REFERENCE, 2, 7, "A"},
		{"new key under keyed class", "class A { [Key] string k; };\nclass B : A { [Key] string k2; };", cim.WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, 2, 7, "B"},
		{"real key", "class A { [Key] real32 k; };", cim.WBEM_E_CANNOT_BE_KEY, 1, 7, "A"},
		{"override of DisableOverride qualifier", "Qualifier Q : uint32, Scope(any), Flavor(DisableOverride, ToSubclass);\nclass A { [Q(1)] string s; };\nclass B : A { [Q(2)] string s; };", cim.WBEM_E_OVERRIDE_NOT_ALLOWED, 3, 7, "B"},
		{"override changes type", "class A { string s; };\nclass B : A { uint32 s; };", cim.WBEM_E_UPDATE_TYPE_MISMATCH, 2, 7, "B"},
		{"association with one ref", "[Association] class L { [Key] L REF a; };", cim.WBEM_E_INVALID_ASSOCIATION, 1, 21, "L"},
		{"ref outside association", "class A { [Key] string k; };\nclass B { A REF r; };", cim.WBEM_E_INVALID_ASSOCIATION, 2, 17, "r"},
		{"qualifier outside scope", "Qualifier Key : boolean = false, Scope(property, reference);\n[Key] class A { };", cim.WBEMMOF_E_QUALIFIER_USED_OUTSIDE_SCOPE, 2, 2, "Key"},
		{"declared qualifier value type", "Qualifier MaxLen : uint32, Scope(property);\nclass A { [MaxLen(\"x\")] string s; };", cim.WBEMMOF_E_TYPE_MISMATCH, 2, 19, `"x"`},
		{"qualifier of type ref", "Qualifier Q : ref, Scope(any);", cim.WBEMMOF_E_UNRECOGNIZED_TYPE, 1, 15, "ref"},
		{"unknown scope", "Qualifier Q : boolean, Scope(nothing);", cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX, 1, 30, "nothing"},
		{"qualifier decl without colon", "Qualifier Q boolean;", cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX, 1, 13, "boolean"},
		{"typedef", "typedef uint32 x;", cim.WBEMMOF_E_TYPEDEF_NOT_SUPPORTED, 1, 1, "typedef"},
		{"stray token", "uint32 x;", cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, 1, 1, "uint32"},
		{"qualifiers before nothing", "[Abstract] uint32 x;", cim.WBEMMOF_E_INVALID_CLASS_DECLARATION, 1, 12, "uint32"},
		{"instance without of", "class A {[key] string k;};\ninstance A { };", cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION, 2, 10, "A"},
		{"instance of unknown class", "instance of Nope { };", cim.WBEM_E_INVALID_CLASS, 1, 13, "Nope"},
		{"instance of unknown property", "class A {[key] string k;};\ninstance of A { x = 1; };", cim.WBEM_E_NOT_FOUND, 2, 17, "x"},
		{"instance property set twice", "class A {[key] string k;};\ninstance of A { k = \"a\"; K = \"b\"; };", cim.WBEMMOF_E_DUPLICATE_PROPERTY, 2, 26, "K"},
		{"instance missing equals", "class A {[key] string k;};\ninstance of A { k \"a\"; };", cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION, 2, 19, `"a"`},
		{"alias without dollar", "class A {[key] string k;};\ninstance of A as B { };", cim.WBEMMOF_E_EXPECTED_DOLLAR, 2, 18, "B"},
		{"dollar without name", "class A {[key] string k;};\ninstance of A as $ { };", cim.WBEMMOF_E_EXPECTED_ALIAS_NAME, 2, 18, "$ "},
		{"alias defined twice", "class A {[key] string k;};\ninstance of A as $x { k = \"1\"; };\ninstance of A as $X { k = \"2\"; };", cim.WBEMMOF_E_MULTIPLE_ALIASES, 3, 18, "$X"},
		{"undefined alias", "[Association] class L { [key] L REF a; [key] L REF b; };\ninstance of L { a = $nope; };", cim.WBEMMOF_E_UNEXPECTED_ALIAS, 2, 21, "$nope"},
		{"alias for a non-reference", "class A {[key] string k;};\ninstance of A as $a { k = $a; };", cim.WBEMMOF_E_TYPE_MISMATCH, 2, 27, "$a"},
		{"alias as a class default", "[Association] class L { [key] L REF a = $x; [key] L REF b; };", cim.WBEMMOF_E_UNEXPECTED_ALIAS, 1, 41, "$x"},
		{"alias in an embedded instance", "class E { string s; };\nclass A {[key] string k; E e;};\ninstance of A { e = instance of E as $e { }; };", cim.WBEMMOF_E_ALIASES_IN_EMBEDDED, 3, 38, "$e"},
		{"key aliases in a circle", "[Association] class L { [key] L REF a; [key] L REF b; };\ninstance of L as $x { a = $y; };\ninstance of L as $y { a = $x; };", cim.WBEM_E_CIRCULAR_REFERENCE, 3, 27, "$x"},
		{"alias to an instance without key value", "[Association] class L { [key] L REF a; [key] L REF b; };\nclass A {[key] string k;};\ninstance of A as $a { };\ninstance of L { a = $a; };", cim.WBEM_E_ILLEGAL_NULL, 4, 21, "$a"},
		{"alias to an instance of a keyless class", "[Association] class L { L REF a; L REF b; };\nclass A { string k; };\ninstance of A as $a { };\ninstance of L { a = $a; };", cim.WBEM_E_NO_KEY, 4, 21, "$a"},
		{"CIMTYPE contradicts the type", "class A { [CIMTYPE(\"uint32\")] string s; };", cim.WBEMMOF_E_CIMTYPE_QUALIFIER, 1, 38, "s"},
		{"CIMTYPE names another class", "[Association] class A { [CIMTYPE(\"ref:B\")] A REF r; A REF q; };", cim.WBEMMOF_E_CIMTYPE_QUALIFIER, 1, 50, "r"},
		{"CIMTYPE is not a type on a method", "class A{[CIMTYPE(\"000000000\")] object A();};", cim.WBEMMOF_E_CIMTYPE_QUALIFIER, 1, 39, "A"},
		{"CIMTYPE contradicts a method's type", "class A { [CIMTYPE(\"ref:A\")] object M(); };", cim.WBEMMOF_E_CIMTYPE_QUALIFIER, 1, 37, "M"},
		{"embedded instance of wrong class", "class E { string s; };\nclass F { string s; };\nclass A {[key] string k; E e;};\ninstance of A { e = instance of F { }; };", cim.WBEMMOF_E_TYPE_MISMATCH, 4, 33, "F"},
		{"unknown pragma", "#pragma frobnicate(\"x\")", cim.WBEMMOF_E_INVALID_PRAGMA, 1, 9, "frobnicate"},
		{"hash without pragma", "#include \"x\"", cim.WBEMMOF_E_INVALID_PRAGMA, 1, 1, "#include"},
		{"include without file system", "#pragma include(\"x.mof\")", cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, 1, 17, `"x.mof"`},
		{"include without a name", "#pragma include(5)", cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, 1, 9, "include"},
		{"bad namespace", "#pragma namespace(\"root\\\\a b\")", cim.WBEMMOF_E_INVALID_NAMESPACE_SPECIFICATION, 1, 19, `"root\\a b"`},
		{"namespace without server end", `#pragma namespace("\\\\server")`, cim.WBEMMOF_E_INVALID_NAMESPACE_SPECIFICATION, 1, 19, `"\\\\server"`},
		{"bad class flag", "#pragma classflags(\"sometimes\")", cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, 1, 20, `"sometimes"`},
		{"contradicting class flags", "#pragma classflags(\"createonly\", \"updateonly\")", cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, 1, 9, "classflags"},
		{"deleteclass without mode", "#pragma deleteclass(\"A\")", cim.WBEMMOF_E_INVALID_DELETECLASS_SYNTAX, 1, 9, "deleteclass"},
		{"deleteclass bad mode", "#pragma deleteclass(\"A\", MAYBE)", cim.WBEMMOF_E_INVALID_DELETECLASS_SYNTAX, 1, 26, "MAYBE"},
		{"deleteinstance bad path", "#pragma deleteinstance(\"A.k=\", FAIL)", cim.WBEMMOF_E_INVALID_DELETEINSTANCE_SYNTAX, 1, 24, `"A.k="`},
		{"long qualifier name", "[" + strings.Repeat("q", 256) + "] class A { };", cim.WBEM_E_QUALIFIER_NAME_TOO_WIDE, 1, 2, strings.Repeat("q", 256)},
		{"long class name", "class " + strings.Repeat("c", 256) + " { };", cim.WBEM_E_CLASS_NAME_TOO_WIDE, 1, 7, strings.Repeat("c", 256)},
		{"column counts characters", "[Description(\"äöü\"), Bad(] class A { };", cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, 1, 26, "]"},
		{"deep nesting", "class E { object e; };\nclass A { [key] string k; E e; };\ninstance of A { e = " + strings.Repeat("instance of E { e = ", 40) + "NULL" + strings.Repeat("; }", 40) + "; };", cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION, 3, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := CompileString("t.mof", tt.src, Options{})
			if err == nil {
				t.Fatalf("compiled; want %s", tt.status)
			}
			if plan != nil {
				t.Error("a failed compile returned a plan")
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v is not a *mof.Error", err, err)
			}
			var ce *cim.Error
			if !errors.As(err, &ce) || ce.Status != tt.status {
				t.Fatalf("status = %s, want %s (%v)", cim.StatusOf(err), tt.status, err)
			}
			if me.Pos.File != "t.mof" || me.Pos.Line != tt.line || tt.col != 0 && me.Pos.Column != tt.col {
				t.Errorf("position = %v, want t.mof:%d:%d (%v)", me.Pos, tt.line, tt.col, err)
			}
			if tt.col != 0 && me.Token != tt.token {
				t.Errorf("token = %q, want %q", me.Token, tt.token)
			}
			if !strings.Contains(ce.Description, me.Pos.String()) || ce.Parameter != me.Token {
				t.Errorf("cim.Error does not name the place: %+v", ce)
			}
			if !strings.HasPrefix(err.Error(), me.Pos.String()+": "+tt.status.Name()) {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestCIMTypeQualifier(t *testing.T) {
	plan := mustCompile(t, `class E { string s; };
class A { [CIMTYPE("object:E")] object o; [CIMTYPE("String")] string s; [CIMTYPE("object")] object any; };
instance of A { o = instance of E { s = "x"; }; };`)
	a := plan.Class(cim.DefaultNamespace, "A")
	if p, _ := a.Property("o"); p.RefClass != "E" || p.Type != cim.TypeObject {
		t.Errorf("o = %+v", p)
	}
	if p, _ := a.Property("any"); p.RefClass != "" {
		t.Errorf("any = %+v", p)
	}
	if _, err := CompileString("x", `class E { string s; }; class F { string s; };
class A { [CIMTYPE("object:E")] object o; };
instance of A { o = instance of F { }; };`, Options{}); cim.StatusOf(err) != cim.WBEMMOF_E_TYPE_MISMATCH {
		t.Errorf("embedded instance against CIMTYPE class: %v", err)
	}
}

func TestIncludes(t *testing.T) {
	plan, err := compileFile(t, "testdata/include", "main.mof", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range plan.Items {
		got = append(got, fmt.Sprintf("%s %s %s:%d", it.Namespace, it.Class.Name, it.Pos.File, it.Pos.Line))
	}
	want := []string{`root\cimv2 B_C b.mof:3`, `root\cimv2 A_C sub/a.mof:3`, `root\cimv2 Main_C main.mof:2`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("items = %q, want %q", got, want)
	}
	if c := plan.Class(cim.DefaultNamespace, "Main_C"); len(c.Keys()) != 1 || strings.Join(c.Derivation, ",") != "A_C,B_C" {
		t.Errorf("Main_C = %+v", c)
	}

	errs := []struct {
		file, msg string
		line      int
		opts      Options
	}{
		{"cycle1.mof", "include cycle", 2, Options{}},
		{"missing.mof", "cannot read include file nowhere.mof", 2, Options{}},
		{"escape.mof", "outside the file system", 1, Options{}},
		{"main.mof", "nest deeper than 1", 2, Options{MaxIncludeDepth: 1}},
		{"nonexistent.mof", "cannot read MOF file", 1, Options{}},
	}
	for _, e := range errs {
		_, err := compileFile(t, "testdata/include", e.file, e.opts)
		var me *Error
		if !errors.As(err, &me) || !strings.Contains(err.Error(), e.msg) || me.Pos.Line != e.line {
			t.Errorf("%s: error %v, want %q at line %d", e.file, err, e.msg, e.line)
			continue
		}
		if s := me.Status(); s != cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE && s != cim.WBEMMOF_E_INVALID_FILE {
			t.Errorf("%s: status %s", e.file, s)
		}
	}
}

func TestNamespacePragma(t *testing.T) {
	tests := []struct{ cur, arg, want string }{
		{`root\cimv2`, `\\.\root\test`, `root\test`},
		{`root\cimv2`, `//server/root/x/`, `root\x`},
		{`root\cimv2`, `ROOT\Default`, `ROOT\Default`},
		{`root\cimv2`, `sub`, `root\cimv2\sub`},
		{`root\cimv2`, `a\b`, `root\cimv2\a\b`},
	}
	for _, tt := range tests {
		if got, ok := resolveNamespace(tt.cur, tt.arg); !ok || got != tt.want {
			t.Errorf("resolveNamespace(%q, %q) = %q, %v; want %q", tt.cur, tt.arg, got, ok, tt.want)
		}
	}
	for _, bad := range []string{``, `\\`, `\\server`, `root\\x`, `root\1x`, `a b`} {
		if got, ok := resolveNamespace(`root`, bad); ok {
			t.Errorf("resolveNamespace(%q) = %q, want failure", bad, got)
		}
	}
	plan := mustCompile(t, "class A {};\n#pragma namespace(\"sub\")\nclass A {};\n#pragma namespace(\"\\\\\\\\.\\\\root\\\\other\")\nclass B {};")
	var got []string
	for _, it := range plan.Items {
		got = append(got, it.Namespace+":"+it.Class.Name+":"+it.Class.Namespace)
	}
	if w := `root\cimv2:A:root\cimv2 root\cimv2\sub:A:root\cimv2\sub root\other:B:root\other`; strings.Join(got, " ") != w {
		t.Errorf("namespaces = %v, want %s", got, w)
	}
	if _, err := CompileString("x", "class A {};\n#pragma namespace(\"root\\\\x\")\nclass B : A {};", Options{}); cim.StatusOf(err) != cim.WBEM_E_INVALID_SUPERCLASS {
		t.Errorf("superclass from another namespace: %v", err)
	}
	if p := mustCompile(t, "class A {};"); p.Items[0].Namespace != cim.DefaultNamespace {
		t.Errorf("default namespace = %q", p.Items[0].Namespace)
	}
	p, err := CompileString("x", "class A {};", Options{Namespace: `root\default`})
	if err != nil || p.Items[0].Namespace != `root\default` {
		t.Errorf("Options.Namespace not used: %v %v", err, p)
	}
}

func TestPragmas(t *testing.T) {
	plan := mustCompile(t, `#pragma locale("en_US")
#pragma instancelocale("ms_409")
#pragma autorecover
#pragma amendment("MS_409")
#pragma classflags("forceupdate", "updateonly")
class A { [key] string k; };
#pragma classflags(0)
#pragma instanceflags("createonly")
class B { };
instance of A { k = "x"; };
#pragma deleteclass("B", NOFAIL)
#pragma deleteinstance("A.k=\"x\"", FAIL)
class C : A { };
`)
	it := plan.Items
	if len(it) != 6 {
		t.Fatalf("%d items", len(it))
	}
	if it[0].Flags != FlagForceUpdate|FlagUpdateOnly || it[1].Flags != 0 || it[2].Flags != FlagCreateOnly {
		t.Errorf("flags = %v %v %v", it[0].Flags, it[1].Flags, it[2].Flags)
	}
	if it[3].DeleteClass != "B" || it[3].MustExist || it[4].DeleteInstance != `A.k="x"` || !it[4].MustExist {
		t.Errorf("deletes = %+v %+v", it[3], it[4])
	}
	if _, err := CompileString("x", "class B {};\n#pragma deleteclass(\"B\", FAIL)\nclass C : B {};", Options{}); cim.StatusOf(err) != cim.WBEM_E_INVALID_SUPERCLASS {
		t.Errorf("a deleted class still resolves as a superclass: %v", err)
	}
}

func TestQualifierFlavors(t *testing.T) {
	plan := mustCompile(t, `
Qualifier Sticky : string, Scope(any), Flavor(DisableOverride, ToSubclass);
Qualifier Local : boolean = false, Scope(class, property), Flavor(Restricted);
Qualifier Tr : string, Scope(any), Flavor(Translatable);
[Sticky("s"), Local, Tr("t"), Undeclared(7), Amend("a"): Amended Restricted, Description("d")]
class A { [Local] string p; };
class B : A { string p; };
`)
	a, b := plan.Classes()[0], plan.Classes()[1]
	flav := func(c *cim.Class, name string) (cim.Flavor, bool) {
		q, ok := c.Qualifiers.Get(name)
		return q.Flavor, ok
	}
	tests := []struct {
		name       string
		a          cim.Flavor
		inB        bool
		propagated bool
	}{
		{"Sticky", cim.FlavorToSubclass | cim.FlavorNotOverridable, true, true},
		{"Local", cim.FlavorToInstance, false, false},
		{"Tr", cim.FlavorToSubclass | cim.FlavorTranslatable, true, true},
		{"Undeclared", cim.DefaultFlavor, true, true},
		{"Amend", cim.FlavorAmended, false, false},
		{"Description", cim.StandardFlavor("Description"), true, true},
	}
	for _, tt := range tests {
		f, ok := flav(a, tt.name)
		if !ok || f != tt.a {
			t.Errorf("A %s flavor = %#x, %v; want %#x", tt.name, f, ok, tt.a)
		}
		f, ok = flav(b, tt.name)
		if ok != tt.inB || ok && f&cim.FlavorPropagated == 0 {
			t.Errorf("B %s: present %v flavor %#x; want present %v, propagated", tt.name, ok, f, tt.inB)
		}
	}
	if v := a.Qualifiers.Value("Undeclared"); v.Type() != cim.TypeSint32 || v.Int() != 7 {
		t.Errorf("undeclared qualifier value = %#v", v)
	}
	if p, _ := b.Property("p"); p.Qualifiers.Has("Local") {
		t.Error("a restricted property qualifier reached the subclass")
	}
}

// fakeSchema is an existing schema for Options.Schema.
type fakeSchema map[string]*cim.Class

func (s fakeSchema) Class(ns, name string) (*cim.Class, error) {
	if c, ok := s[strings.ToLower(ns+":"+name)]; ok {
		return c, nil
	}
	if name == "Broken" {
		return nil, cim.Errorf(cim.WBEM_E_ACCESS_DENIED, "no access")
	}
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "class %s not found", name)
}

func TestExistingSchema(t *testing.T) {
	base, err := cim.Derive(nil, &cim.Class{Name: "Base", Properties: []cim.Property{
		{Name: "Id", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	schema := fakeSchema{`root\cimv2:base`: base}
	plan, err := CompileString("x", "class Sub : Base { uint32 n; };\ninstance of Base { Id = \"b\"; };", Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	sub := plan.Class(cim.DefaultNamespace, "Sub")
	if len(sub.Properties) != 2 || !sub.Properties[0].IsKey() || sub.Superclass != "Base" {
		t.Errorf("Sub = %+v", sub)
	}
	if plan.Instances()[0].Value("Id").Str() != "b" {
		t.Error("instance of a schema class")
	}
	_, err = CompileString("x", "class Sub : Broken { };", Options{Schema: schema})
	if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
		t.Errorf("schema failure not reported: %v", err)
	}
	_, err = CompileString("x", "class Sub : Other { };", Options{Schema: schema})
	if cim.StatusOf(err) != cim.WBEM_E_INVALID_SUPERCLASS {
		t.Errorf("missing superclass: %v", err)
	}
}

func TestCancel(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "class C%d { };\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fsys := mapFS{"big.mof": b.String()}
	_, err := Compile(ctx, fsys, "big.mof", Options{})
	if cim.StatusOf(err) != cim.WBEM_E_CALL_CANCELLED || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled compile: %v", err)
	}
}

func TestSourceEncodings(t *testing.T) {
	src := "class Ü { string s = \"é\"; };"
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range src {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	for name, data := range map[string]string{
		"utf8":    src,
		"utf8bom": "\xEF\xBB\xBF" + src,
		"utf16le": string(utf16le),
		"utf16be": string(swapPairs(utf16le)),
	} {
		plan, err := Compile(context.Background(), mapFS{"f.mof": data}, "f.mof", Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c := plan.Classes()[0]; c.Name != "Ü" || c.Properties[0].Default.Str() != "é" {
			t.Errorf("%s: class %q default %q", name, c.Name, c.Properties[0].Default.Str())
		}
	}
}

func swapPairs(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := 0; i+1 < len(out); i += 2 {
		out[i], out[i+1] = out[i+1], out[i]
	}
	return out
}

// An instance that sets many properties finds a duplicate past the first
// few too (the check switches from a scan to a map).
func TestInstanceDuplicateAmongMany(t *testing.T) {
	var class, inst strings.Builder
	class.WriteString("class A { [key] string k;")
	inst.WriteString(`instance of A { k = "a";`)
	for i := range 40 {
		fmt.Fprintf(&class, " uint32 p%d;", i)
		fmt.Fprintf(&inst, " p%d = %d;", i, i)
	}
	for _, dup := range []string{"P3", "p39", "K"} {
		src := class.String() + " };\n" + inst.String() + " " + dup + " = 1; };"
		_, err := CompileString("t.mof", src, Options{})
		var me *Error
		if cim.StatusOf(err) != cim.WBEMMOF_E_DUPLICATE_PROPERTY || !errors.As(err, &me) || me.Token != dup {
			t.Fatalf("%s set again after 41 properties: %v", dup, err)
		}
	}
	if _, err := CompileString("t.mof", class.String()+" };\n"+inst.String()+" };", Options{}); err != nil {
		t.Fatal(err)
	}
}
