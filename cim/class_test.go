package cim

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// mustDerive completes decl against parent or fails the test.
func mustDerive(t testing.TB, parent, decl *Class) *Class {
	t.Helper()
	c, err := Derive(parent, decl)
	if err != nil {
		t.Fatalf("Derive(%s): %v", decl.Name, err)
	}
	return c
}

func key() Qualifier          { return Qualifier{Name: "Key", Value: Bool(true)} }
func desc(s string) Qualifier { return Qualifier{Name: "Description", Value: String(s)} }
func abstract() Qualifier     { return Qualifier{Name: "Abstract", Value: Bool(true)} }
func propNames(c *Class) []string {
	var out []string
	for _, p := range c.Properties {
		out = append(out, p.Name)
	}
	return out
}

// hierarchy builds CIM_ManagedElement → CIM_LogicalElement → CIM_Process →
// Win32_Process, keys declared on CIM_Process.
func hierarchy(t *testing.T) (root, logical, process, win *Class) {
	root = mustDerive(t, nil, &Class{Name: "CIM_ManagedElement",
		Qualifiers: Qualifiers{abstract(), desc("root of all")},
		Properties: []Property{{Name: "Caption", Type: TypeString, Qualifiers: Qualifiers{desc("short")}}, {Name: "Description", Type: TypeString}}})
	logical = mustDerive(t, root, &Class{Name: "CIM_LogicalElement", Superclass: "CIM_ManagedElement",
		Qualifiers: Qualifiers{abstract()},
		Properties: []Property{{Name: "Name", Type: TypeString}}})
	process = mustDerive(t, logical, &Class{Name: "CIM_Process",
		Properties: []Property{
			{Name: "Handle", Type: TypeString, Qualifiers: Qualifiers{key()}},
			{Name: "Priority", Type: TypeUint32, Default: String("8")},
		},
		Methods: []Method{{Name: "Terminate", ReturnType: TypeUint32}}})
	win = mustDerive(t, process, &Class{Name: "Win32_Process",
		Properties: []Property{
			{Name: "caption", Type: TypeString, Qualifiers: Qualifiers{desc("overridden")}},
			{Name: "ThreadCount", Type: TypeUint32},
		},
		Methods: []Method{{Name: "Terminate", ReturnType: TypeUint32, Qualifiers: Qualifiers{{Name: "Implemented", Value: Bool(true)}}}, {Name: "GetOwner", ReturnType: TypeUint32}}})
	return
}

func TestDeriveInheritance(t *testing.T) {
	root, _, process, win := hierarchy(t)

	// Inherited properties first, in the superclass's order; an override keeps
	// its place, name spelling and origin.
	if got, want := propNames(win), []string{"Caption", "Description", "Name", "Handle", "Priority", "ThreadCount"}; !slices.Equal(got, want) {
		t.Errorf("Win32_Process properties = %v, want %v", got, want)
	}
	origins := map[string]string{"Caption": "CIM_ManagedElement", "Name": "CIM_LogicalElement", "Handle": "CIM_Process", "ThreadCount": "Win32_Process"}
	for name, origin := range origins {
		p, ok := win.Property(name)
		if !ok || p.Origin != origin {
			t.Errorf("%s.Origin = %v, want %s", name, p, origin)
		}
	}
	if got := win.Derivation; !slices.Equal(got, []string{"CIM_Process", "CIM_LogicalElement", "CIM_ManagedElement"}) {
		t.Errorf("Derivation = %v", got)
	}
	if win.Superclass != "CIM_Process" || win.Dynasty() != "CIM_ManagedElement" || root.Dynasty() != "CIM_ManagedElement" {
		t.Errorf("Superclass %q, Dynasty %q / %q", win.Superclass, win.Dynasty(), root.Dynasty())
	}
	if !win.IsA("cim_logicalelement") || !win.IsA("WIN32_PROCESS") || process.IsA("Win32_Process") {
		t.Error("IsA is wrong")
	}
	if got := win.Keys(); len(got) != 1 || win.Properties[got[0]].Name != "Handle" {
		t.Errorf("Keys() = %v", got)
	}
	if i := win.PropertyIndex("THREADCOUNT"); i != 5 {
		t.Errorf("PropertyIndex(THREADCOUNT) = %d", i)
	}
	if win.PropertyIndex("Nope") != -1 {
		t.Error("PropertyIndex of a missing property")
	}
	// Defaults convert to the property type and are inherited.
	if p, _ := win.Property("Priority"); p.Default.Type() != TypeUint32 || p.Default.Uint() != 8 {
		t.Errorf("Priority default = %#v", p.Default)
	}
	// Methods: inherited in order, overridden in place with their origin.
	if len(win.Methods) != 2 || win.Methods[0].Name != "Terminate" || win.Methods[0].Origin != "CIM_Process" || win.Methods[1].Origin != "Win32_Process" {
		t.Errorf("methods = %+v", win.Methods)
	}
	if m, ok := win.Method("terminate"); !ok || !m.Qualifiers.Has("Implemented") {
		t.Errorf("Method(terminate) = %+v, %v", m, ok)
	}
}

func TestDeriveQualifierPropagation(t *testing.T) {
	root, logical, process, win := hierarchy(t)

	// Abstract is restricted: it does not propagate.
	if !root.IsAbstract() || !logical.IsAbstract() || process.IsAbstract() || win.IsAbstract() {
		t.Errorf("abstract: root %v logical %v process %v win %v", root.IsAbstract(), logical.IsAbstract(), process.IsAbstract(), win.IsAbstract())
	}
	// Description propagates (ToSubclass) and is marked as propagated.
	q, ok := win.Qualifiers.Get("description")
	if !ok || q.Value.Str() != "root of all" || q.Flavor&FlavorPropagated == 0 {
		t.Errorf("class Description on Win32_Process = %+v, %v", q, ok)
	}
	if q, _ := root.Qualifiers.Get("Description"); q.Flavor&FlavorPropagated != 0 {
		t.Error("the declaring class marks its own qualifier as propagated")
	}
	// Key propagates on the inherited property.
	h, _ := win.Property("Handle")
	if !h.IsKey() {
		t.Error("Key did not propagate to Win32_Process.Handle")
	}
	if q, _ := h.Qualifiers.Get("Key"); q.Flavor&FlavorPropagated == 0 || q.Flavor&FlavorNotOverridable == 0 {
		t.Errorf("inherited Key flavor = %#x", q.Flavor)
	}
	// A property qualifier can be overridden where allowed.
	c, _ := win.Property("Caption")
	if got := c.Qualifiers.Value("Description").Str(); got != "overridden" {
		t.Errorf("overridden Caption Description = %q", got)
	}
	if n := strings.Count(qualNames(c.Qualifiers), "description"); n != 1 {
		t.Errorf("Caption has %d Description qualifiers", n)
	}
	// Restricted property qualifiers stay behind.
	base := mustDerive(t, nil, &Class{Name: "B", Properties: []Property{{Name: "P", Type: TypeString,
		Qualifiers: Qualifiers{{Name: "Local", Value: Bool(true), Flavor: FlavorToInstance}}}}})
	sub := mustDerive(t, base, &Class{Name: "S"})
	if p, _ := sub.Property("P"); p.Qualifiers.Has("Local") {
		t.Error("a restricted property qualifier propagated")
	}
}

func qualNames(qs Qualifiers) string {
	var b strings.Builder
	for _, q := range qs {
		b.WriteString(strings.ToLower(q.Name) + " ")
	}
	return b.String()
}

func TestDeriveKeyRules(t *testing.T) {
	_, logical, process, _ := hierarchy(t)

	// New keys are fine below a keyless (abstract) class.
	if _, err := Derive(logical, &Class{Name: "K", Properties: []Property{{Name: "Id", Type: TypeUint32, Qualifiers: Qualifiers{key()}}}}); err != nil {
		t.Errorf("key below a keyless class: %v", err)
	}
	// Restating an inherited key is fine.
	if _, err := Derive(process, &Class{Name: "K", Properties: []Property{{Name: "Handle", Type: TypeString, Qualifiers: Qualifiers{key()}}}}); err != nil {
		t.Errorf("restating an inherited key: %v", err)
	}
	bad := []struct {
		parent *Class
		decl   *Class
		status Status
		frag   string
	}{
		{process, &Class{Name: "K", Properties: []Property{{Name: "Extra", Type: TypeUint32, Qualifiers: Qualifiers{key()}}}},
			WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "cannot add key Extra"},
		{process, &Class{Name: "K", Properties: []Property{{Name: "Name", Type: TypeString, Qualifiers: Qualifiers{key()}}}},
			WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "cannot become a key"},
		{process, &Class{Name: "K", Properties: []Property{{Name: "Handle", Type: TypeString, Qualifiers: Qualifiers{{Name: "Key", Value: Bool(false)}}}}},
			WBEM_E_OVERRIDE_NOT_ALLOWED, "qualifier Key cannot be overridden"},
		{nil, &Class{Name: "K", Properties: []Property{{Name: "R", Type: TypeReal64, Qualifiers: Qualifiers{key()}}}},
			WBEM_E_CANNOT_BE_KEY, "K.R of type real64 cannot be a key"},
		{nil, &Class{Name: "K", Properties: []Property{{Name: "A", Type: TypeString.ArrayOf(), Qualifiers: Qualifiers{key()}}}},
			WBEM_E_CANNOT_BE_KEY, "string[]"},
		{nil, &Class{Name: "K", Properties: []Property{{Name: "O", Type: TypeObject, Qualifiers: Qualifiers{key()}}}},
			WBEM_E_CANNOT_BE_KEY, "object"},
	}
	for _, tt := range bad {
		_, err := Derive(tt.parent, tt.decl)
		if StatusOf(err) != tt.status || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("Derive(%s %+v) = %v, want %v mentioning %q", tt.decl.Name, tt.decl.Properties, err, tt.status, tt.frag)
		}
	}
}

func TestDeriveErrors(t *testing.T) {
	_, _, process, win := hierarchy(t)
	notOverridable := mustDerive(t, nil, &Class{Name: "N",
		Qualifiers: Qualifiers{{Name: "Fixed", Value: String("a"), Flavor: FlavorToSubclass | FlavorNotOverridable}}})

	long := strings.Repeat("x", MaxNameLength+1)
	tests := []struct {
		parent *Class
		decl   *Class
		status Status
		frag   string
	}{
		{nil, &Class{Name: ""}, WBEM_E_INVALID_PARAMETER, "needs a name"},
		{nil, &Class{Name: "1abc"}, WBEM_E_INVALID_PARAMETER, "invalid character '1' at position 1"},
		{nil, &Class{Name: "a b"}, WBEM_E_INVALID_PARAMETER, "invalid character ' ' at position 2"},
		{nil, &Class{Name: "a-b"}, WBEM_E_INVALID_PARAMETER, "'-'"},
		{nil, &Class{Name: long}, WBEM_E_CLASS_NAME_TOO_WIDE, "longer than 255"},
		{nil, &Class{Name: "C", Properties: []Property{{Name: long, Type: TypeString}}}, WBEM_E_PROPERTY_NAME_TOO_WIDE, "longer than 255"},
		{nil, &Class{Name: "C", Methods: []Method{{Name: long}}}, WBEM_E_METHOD_NAME_TOO_WIDE, "longer than 255"},
		{nil, &Class{Name: "C", Properties: []Property{{Name: "p.q", Type: TypeString}}}, WBEM_E_INVALID_PARAMETER, "property name"},
		{nil, &Class{Name: "C", Properties: []Property{{Name: "P", Type: TypeString}, {Name: "p", Type: TypeString}}}, WBEM_E_INVALID_PROPERTY, "declares property p twice"},
		{nil, &Class{Name: "C", Methods: []Method{{Name: "M"}, {Name: "m"}}}, WBEM_E_INVALID_METHOD, "declares method m twice"},
		{nil, &Class{Name: "C", Properties: []Property{{Name: "P", Type: TypeIllegal}}}, WBEM_E_INVALID_PROPERTY_TYPE, "C.P"},
		{nil, &Class{Name: "C", Properties: []Property{{Name: "P", Type: TypeUint8, Default: Sint32(300)}}}, WBEM_E_TYPE_MISMATCH, "default of C.P"},
		{nil, &Class{Name: "C", Superclass: "Missing"}, WBEM_E_INVALID_SUPERCLASS, "superclass Missing of class C is not defined"},
		{process, &Class{Name: "C", Superclass: "Other"}, WBEM_E_INVALID_SUPERCLASS, "names superclass Other"},
		{win, &Class{Name: "cim_process"}, WBEM_E_CIRCULAR_REFERENCE, "derives from itself"},
		{process, &Class{Name: "C", Properties: []Property{{Name: "Priority", Type: TypeString}}}, WBEM_E_UPDATE_TYPE_MISMATCH, "is uint32 in CIM_Process but string in C"},
		{process, &Class{Name: "C", Properties: []Property{{Name: "Handle", Type: TypeString.ArrayOf()}}}, WBEM_E_UPDATE_TYPE_MISMATCH, "Handle"},
		{notOverridable, &Class{Name: "C", Qualifiers: Qualifiers{{Name: "fixed", Value: String("b")}}}, WBEM_E_OVERRIDE_NOT_ALLOWED, "class C: qualifier Fixed cannot be overridden"},
	}
	for _, tt := range tests {
		c, err := Derive(tt.parent, tt.decl)
		if err == nil {
			t.Errorf("Derive(%.20s) = %v, want %v", tt.decl.Name, c.Name, tt.status)
			continue
		}
		if StatusOf(err) != tt.status || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("Derive(%.20s) = %v, want %v mentioning %q", tt.decl.Name, err, tt.status, tt.frag)
		}
	}
	// A method qualifier may be added by an override.
	if _, err := Derive(win, &Class{Name: "C", Methods: []Method{{Name: "Terminate", Qualifiers: Qualifiers{{Name: "Static", Value: Bool(true)}}}}}); err != nil {
		t.Errorf("adding a qualifier to an overridden method: %v", err)
	}
	// Overriding a DisableOverride qualifier with the same value is allowed.
	if _, err := Derive(notOverridable, &Class{Name: "C", Qualifiers: Qualifiers{{Name: "Fixed", Value: String("A")}}}); err != nil {
		t.Errorf("restating a DisableOverride qualifier: %v", err)
	}
}

func TestDeriveLeavesDeclAlone(t *testing.T) {
	_, _, process, _ := hierarchy(t)
	decl := &Class{Name: "D", Qualifiers: Qualifiers{desc("d")},
		Properties: []Property{{Name: "Priority", Type: TypeUint32, Default: String("3")}, {Name: "X", Type: TypeSint8}}}
	beforeSuper := decl.Superclass
	beforeProps := slices.Clone(decl.Properties)
	c := mustDerive(t, process, decl)
	if decl.Superclass != beforeSuper || decl.Derivation != nil || !slices.EqualFunc(decl.Properties, beforeProps, func(a, b Property) bool {
		return a.Name == b.Name && a.Origin == b.Origin && a.Default.Type() == b.Default.Type() && len(a.Qualifiers) == len(b.Qualifiers)
	}) {
		t.Errorf("Derive modified its declaration: %+v", decl)
	}
	if p, _ := c.Property("Priority"); p.Default.Type() != TypeUint32 || p.Default.Uint() != 3 {
		t.Errorf("overridden default = %#v", p.Default)
	}
	// The parent is not modified by deriving from it either.
	if p, _ := process.Property("Priority"); p.Default.Uint() != 8 {
		t.Errorf("parent default changed to %#v", p.Default)
	}
}

func TestClassHelpers(t *testing.T) {
	_, _, process, win := hierarchy(t)
	if !mustDerive(t, nil, &Class{Name: "A", Qualifiers: Qualifiers{{Name: "Association"}}}).IsAssociation() {
		t.Error("IsAssociation")
	}
	dyn := mustDerive(t, nil, &Class{Name: "D", Qualifiers: Qualifiers{{Name: "Dynamic", Value: Bool(true)}, {Name: "Provider", Value: String("CIMWin32")}}})
	if !dyn.IsDynamic() || dyn.ProviderName() != "CIMWin32" || process.IsDynamic() || process.ProviderName() != "" {
		t.Error("IsDynamic/ProviderName")
	}
	if (&Class{Qualifiers: Qualifiers{{Name: "Singleton", Value: Bool(false)}}}).IsSingleton() {
		t.Error("Singleton(false) counts as a singleton")
	}
	m := &Method{Name: "M", Params: []Parameter{
		{Name: "A", Type: TypeString},
		{Name: "B", Type: TypeString, Qualifiers: Qualifiers{{Name: "Out", Value: Bool(true)}}},
		{Name: "C", Type: TypeString, Qualifiers: Qualifiers{{Name: "In", Value: Bool(true)}, {Name: "Out", Value: Bool(true)}}},
		{Name: "D", Type: TypeString, Qualifiers: Qualifiers{{Name: "In", Value: Bool(false)}}},
	}}
	dirs := map[string][2]bool{"A": {true, false}, "B": {false, true}, "C": {true, true}, "D": {false, false}}
	for n, want := range dirs {
		p, ok := m.Param(strings.ToLower(n))
		if !ok || p.In() != want[0] || p.Out() != want[1] {
			t.Errorf("param %s: in %v out %v, want %v", n, p.In(), p.Out(), want)
		}
	}
	if (&Method{Qualifiers: Qualifiers{{Name: "Static"}}}).IsStatic() != true {
		t.Error("IsStatic")
	}
	located := win.Located("srv", `root\cimv2`)
	if located == win || located.Server != "srv" || win.Server != "" || located.Located("srv", `root\cimv2`) != located {
		t.Error("Located")
	}
	// Qualifiers.With replaces case-insensitively and copies.
	qs := Qualifiers{desc("a")}
	qs2 := qs.With(Qualifier{Name: "DESCRIPTION", Value: String("b")})
	if qs[0].Value.Str() != "a" || len(qs2) != 1 || qs2.Value("description").Str() != "b" {
		t.Errorf("With = %+v", qs2)
	}
	if qs3 := qs.With(key()); len(qs3) != 2 || !qs3.Has("key") {
		t.Errorf("With append = %+v", qs3)
	}
	if StandardFlavor("KEY") != FlavorToSubclass|FlavorNotOverridable || StandardFlavor("Whatever") != DefaultFlavor || StandardFlavor("abstract") != 0 {
		t.Error("StandardFlavor")
	}
}

func TestErrorStatus(t *testing.T) {
	e := Errorf(WBEM_E_NOT_FOUND, "class %s not found", "X")
	if e.Error() != "WBEM_E_NOT_FOUND (0x80041002): class X not found" {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(e, ErrNotFound) || errors.Is(e, ErrFailed) {
		t.Error("errors.Is with sentinels")
	}
	if StatusOf(nil) != WBEM_S_NO_ERROR || StatusOf(errors.New("x")) != WBEM_E_FAILED || StatusOf(e) != WBEM_E_NOT_FOUND {
		t.Error("StatusOf")
	}
	if !WBEM_E_NOT_FOUND.Failed() || WBEM_S_FALSE.Failed() || WBEM_E_NOT_FOUND.Name() != "WBEM_E_NOT_FOUND" {
		t.Error("Status helpers")
	}
}

// New keys may start only below a keyless abstract class.
func TestKeysBelowConcreteKeylessClass(t *testing.T) {
	keyless, err := Derive(nil, &Class{Name: "Keyless", Properties: []Property{{Name: "V", Type: TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Derive(keyless, &Class{Name: "Keyed", Superclass: "Keyless", Properties: []Property{
		{Name: "K", Type: TypeString, Qualifiers: Qualifiers{{Name: "Key", Value: Bool(true)}}}}})
	if StatusOf(err) != WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE {
		t.Fatalf("key below a concrete keyless class: %v", err)
	}
	abstract, _ := Derive(nil, &Class{Name: "Abs", Qualifiers: Qualifiers{{Name: "Abstract", Value: Bool(true)}}})
	if _, err := Derive(abstract, &Class{Name: "Keyed", Superclass: "Abs", Properties: []Property{
		{Name: "K", Type: TypeString, Qualifiers: Qualifiers{{Name: "Key", Value: Bool(true)}}}}}); err != nil {
		t.Fatalf("key below an abstract keyless class: %v", err)
	}
}

func TestMethodParameterClasses(t *testing.T) {
	m := &Method{Name: "Run", ReturnType: TypeUint32, Params: []Parameter{
		{Name: "A", Type: TypeString, Qualifiers: Qualifiers{{Name: "In", Value: Bool(true)}}},
		{Name: "B", Type: TypeUint8, Qualifiers: Qualifiers{{Name: "Out", Value: Bool(true)}}},
		{Name: "C", Type: TypeReference, RefClass: "X", Qualifiers: Qualifiers{{Name: "In", Value: Bool(true)}, {Name: "Out", Value: Bool(true)}}},
		{Name: "D", Type: TypeSint64}, // neither: in
	}}
	in, out := m.ParameterClasses()
	names := func(c *Class) (s []string) {
		for _, p := range c.Properties {
			s = append(s, p.Name+":"+p.Type.String())
		}
		return s
	}
	if in.Name != "__PARAMETERS" || out.Name != "__PARAMETERS" {
		t.Errorf("names %q, %q", in.Name, out.Name)
	}
	if got, want := strings.Join(names(in), " "), "A:string C:ref D:sint64"; got != want {
		t.Errorf("in = %s, want %s", got, want)
	}
	if got, want := strings.Join(names(out), " "), "ReturnValue:uint32 B:uint8 C:ref"; got != want {
		t.Errorf("out = %s, want %s", got, want)
	}
	if p, _ := in.Property("C"); p.RefClass != "X" || !p.Qualifiers.Has("Out") {
		t.Errorf("C lost its reference class or qualifiers: %+v", p)
	}
	if p, _ := out.Property("ReturnValue"); !p.Qualifiers.Has("Out") {
		t.Error("ReturnValue is not Out")
	}
}

func TestClassCloneIsDeep(t *testing.T) {
	base, err := Derive(nil, &Class{Name: "B", Qualifiers: Qualifiers{{Name: "Abstract", Value: Bool(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Derive(base, &Class{Name: "C", Superclass: "B",
		Qualifiers: Qualifiers{{Name: "Description", Value: String("d")}},
		Properties: []Property{{Name: "K", Type: TypeString, Qualifiers: Qualifiers{{Name: "Key", Value: Bool(true)}}}, {Name: "N", Type: TypeUint32}},
		Methods: []Method{{Name: "M", ReturnType: TypeUint32, Qualifiers: Qualifiers{{Name: "Static", Value: Bool(true)}},
			Params: []Parameter{{Name: "P", Type: TypeString, Qualifiers: Qualifiers{{Name: "In", Value: Bool(true)}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Clone()
	d.Derivation[0] = "X"
	d.Qualifiers[0].Name = "X"
	d.Properties[0].Name = "X"
	d.Properties[0].Qualifiers[0].Name = "X"
	d.Methods[0].Name = "X"
	d.Methods[0].Qualifiers[0].Name = "X"
	d.Methods[0].Params[0].Name = "X"
	d.Methods[0].Params[0].Qualifiers[0].Name = "X"
	if c.Derivation[0] != "B" || c.Qualifiers[0].Name == "X" || c.Properties[0].Name != "K" || !c.Properties[0].IsKey() ||
		c.Methods[0].Name != "M" || !c.Methods[0].IsStatic() || c.Methods[0].Params[0].Name != "P" || !c.Methods[0].Params[0].In() {
		t.Fatalf("changing the clone changed the class: %+v", c)
	}
	// The clone has its own index: its renamed property is found by its new name.
	if d.PropertyIndex("X") != 0 || d.PropertyIndex("K") != -1 || c.PropertyIndex("K") != 0 {
		t.Errorf("indexes: clone X=%d K=%d, class K=%d", d.PropertyIndex("X"), d.PropertyIndex("K"), c.PropertyIndex("K"))
	}
}
