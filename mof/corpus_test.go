package mof

import (
	"archive/zip"
	"context"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

const schemaTop = "cim_schema_2.49.0.mof"

// openSchema opens the DMTF CIM Schema zip named by GOWBEM_CIM_SCHEMA_ZIP and
// returns it with the path of the top file, skipping (or failing under
// GOWBEM_REQUIRE_ALL=1) when it is not available.
func openSchema(tb testing.TB) (fs.FS, string) {
	tb.Helper()
	p := os.Getenv("GOWBEM_CIM_SCHEMA_ZIP")
	if p == "" {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			tb.Fatal("GOWBEM_CIM_SCHEMA_ZIP is not set and GOWBEM_REQUIRE_ALL=1")
		}
		tb.Skip("GOWBEM_CIM_SCHEMA_ZIP is not set: skipping the CIM Schema 2.49 corpus")
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		tb.Fatalf("open %s: %v", p, err)
	}
	tb.Cleanup(func() { zr.Close() })
	var top string
	for _, f := range zr.File {
		if path.Base(f.Name) == schemaTop {
			top = f.Name
			break
		}
	}
	if top == "" {
		tb.Fatalf("%s holds no %s", p, schemaTop)
	}
	return zr, top
}

func compileSchema(tb testing.TB) *Plan {
	tb.Helper()
	fsys, top := openSchema(tb)
	plan, err := Compile(context.Background(), fsys, top, Options{})
	if err != nil {
		tb.Fatalf("compile %s: %v", top, err)
	}
	return plan
}

// schemaClasses is the number of classes in CIM Schema 2.49 (Final): one
// class declaration in each of its 1,631 class files.
const schemaClasses = 1631

var classDeclRE = regexp.MustCompile(`(?mi)^\s*class\s+\w+`)

func TestCorpusCompiles(t *testing.T) {
	fsys, top := openSchema(t)
	plan, err := Compile(context.Background(), fsys, top, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Sanity check of the count against the text: class declarations that
	// start a line, over every .mof file of the zip.
	declared := 0
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".mof") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		declared += len(classDeclRE.FindAll(b, -1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	classes := plan.Classes()
	if len(classes) != schemaClasses || declared != schemaClasses {
		t.Errorf("compiled %d classes, the files declare %d; want %d", len(classes), declared, schemaClasses)
	}
	if n := len(plan.QualifierTypes()); n != 70 {
		t.Errorf("%d qualifier types, want 70", n)
	}
	seen := map[string]bool{}
	for _, c := range classes {
		if seen[strings.ToLower(c.Name)] {
			t.Errorf("class %s defined twice", c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		if c.Namespace != cim.DefaultNamespace {
			t.Errorf("%s in namespace %q", c.Name, c.Namespace)
		}
		if c.Superclass == "" {
			if len(c.Derivation) != 0 {
				t.Errorf("%s: top-level class with derivation %v", c.Name, c.Derivation)
			}
			continue
		}
		parent := plan.Class(cim.DefaultNamespace, c.Superclass)
		if parent == nil || !seen[strings.ToLower(parent.Name)] {
			t.Errorf("%s: superclass %s does not resolve to an earlier class", c.Name, c.Superclass)
			continue
		}
		if len(c.Derivation) != len(parent.Derivation)+1 || len(c.Properties) < len(parent.Properties) {
			t.Errorf("%s: derivation or properties shorter than its parent's", c.Name)
		}
		if len(parent.Keys()) > 0 && len(c.Keys()) != len(parent.Keys()) {
			t.Errorf("%s: %d keys, its parent %s has %d", c.Name, len(c.Keys()), parent.Name, len(parent.Keys()))
		}
		if parent.IsAssociation() && !c.IsAssociation() {
			t.Errorf("%s: Association did not propagate from %s", c.Name, parent.Name)
		}
	}
}

// propSpec is what the corpus test expects of one property.
type propSpec struct {
	name, typ, origin string
	key               bool
	quals             map[string]string // qualifier name → value as cim prints it
	def               string
}

func TestCorpusClasses(t *testing.T) {
	plan := compileSchema(t)
	get := func(name string) *cim.Class {
		c := plan.Class(cim.DefaultNamespace, name)
		if c == nil {
			t.Fatalf("class %s missing", name)
		}
		return c
	}
	check := func(c *cim.Class, specs []propSpec) {
		t.Helper()
		for _, s := range specs {
			p, ok := c.Property(s.name)
			if !ok {
				t.Errorf("%s.%s missing", c.Name, s.name)
				continue
			}
			if got := typeName(p.Type, p.RefClass) + arraySuffix(p.Type, nil); got != s.typ {
				t.Errorf("%s.%s type %s, want %s", c.Name, s.name, got, s.typ)
			}
			if p.Origin != s.origin || p.IsKey() != s.key {
				t.Errorf("%s.%s origin %s key %v, want %s %v", c.Name, s.name, p.Origin, p.IsKey(), s.origin, s.key)
			}
			if got := p.Default.String(); s.def != "" && got != s.def {
				t.Errorf("%s.%s default %s, want %s", c.Name, s.name, got, s.def)
			}
			for q, v := range s.quals {
				if got := p.Qualifiers.Value(q).String(); got != v {
					t.Errorf("%s.%s [%s] = %s, want %s", c.Name, s.name, q, got, v)
				}
			}
		}
	}

	me := get("CIM_ManagedElement")
	if !me.IsAbstract() || me.Superclass != "" || len(me.Properties) != 5 || len(me.Keys()) != 0 {
		t.Errorf("CIM_ManagedElement: abstract %v superclass %q %d properties %d keys", me.IsAbstract(), me.Superclass, len(me.Properties), len(me.Keys()))
	}
	if v := me.Qualifiers.Value("Version"); v.Str() != "2.45.0" {
		t.Errorf("CIM_ManagedElement Version = %v", v)
	}
	check(me, []propSpec{
		{name: "InstanceID", typ: "string", origin: "CIM_ManagedElement"},
		{name: "Caption", typ: "string", origin: "CIM_ManagedElement", quals: map[string]string{"MaxLen": "64"}},
		{name: "Description", typ: "string", origin: "CIM_ManagedElement"},
		{name: "ElementName", typ: "string", origin: "CIM_ManagedElement"},
		{name: "Generation", typ: "uint64", origin: "CIM_ManagedElement"},
	})
	if q, _ := me.Qualifiers.Get("Abstract"); q.Flavor&cim.FlavorToSubclass != 0 {
		t.Errorf("Abstract flavor %#x propagates", q.Flavor)
	}

	cs := get("CIM_ComputerSystem")
	var keys []string
	for _, k := range cs.Keys() {
		keys = append(keys, cs.Properties[k].Name+"@"+cs.Properties[k].Origin)
	}
	if strings.Join(keys, ",") != "Name@CIM_ManagedSystemElement,CreationClassName@CIM_System" {
		t.Errorf("CIM_ComputerSystem keys = %v", keys)
	}
	if cs.IsAbstract() || cs.Dynasty() != "CIM_ManagedElement" {
		t.Errorf("CIM_ComputerSystem abstract %v dynasty %s", cs.IsAbstract(), cs.Dynasty())
	}

	ld := get("CIM_LogicalDisk")
	if want := "CIM_StorageExtent,CIM_LogicalDevice,CIM_AllocatedLogicalElement,CIM_EnabledLogicalElement,CIM_LogicalElement,CIM_ManagedSystemElement,CIM_ManagedElement"; strings.Join(ld.Derivation, ",") != want {
		t.Errorf("CIM_LogicalDisk derivation %v", ld.Derivation)
	}
	check(ld, []propSpec{
		{name: "SystemCreationClassName", typ: "string", origin: "CIM_LogicalDevice", key: true, quals: map[string]string{"MaxLen": "256", "Propagated": `"CIM_System.CreationClassName"`}},
		{name: "SystemName", typ: "string", origin: "CIM_LogicalDevice", key: true},
		{name: "CreationClassName", typ: "string", origin: "CIM_LogicalDevice", key: true},
		{name: "DeviceID", typ: "string", origin: "CIM_LogicalDevice", key: true, quals: map[string]string{"MaxLen": "64"}},
		{name: "NameFormat", typ: "uint16", origin: "CIM_StorageExtent", def: "12", quals: map[string]string{"ValueMap": `{1, 12}`, "Override": `"NameFormat"`}},
		{name: "NumExtentsMigrating", typ: "uint64", origin: "CIM_LogicalDisk"},
		{name: "ThinlyProvisioned", typ: "boolean", origin: "CIM_LogicalDisk", def: "false"},
		{name: "ClientSettableUsage", typ: "uint16[]", origin: "CIM_StorageExtent"},
		{name: "Caption", typ: "string", origin: "CIM_ManagedElement", quals: map[string]string{"MaxLen": "64"}},
	})
	if len(ld.Keys()) != 4 {
		t.Errorf("CIM_LogicalDisk has %d keys", len(ld.Keys()))
	}
	rsc, ok := ld.Method("RequestStateChange")
	if !ok || rsc.ReturnType != cim.TypeUint32 || rsc.Origin != "CIM_EnabledLogicalElement" || len(rsc.Params) != 3 {
		t.Fatalf("CIM_LogicalDisk.RequestStateChange = %+v", rsc)
	}
	wantParams := []struct {
		name, typ string
		in, out   bool
	}{{"RequestedState", "uint16", true, false}, {"Job", "CIM_ConcreteJob REF", false, true}, {"TimeoutPeriod", "datetime", true, false}}
	for i, w := range wantParams {
		p := rsc.Params[i]
		if p.Name != w.name || typeName(p.Type, p.RefClass) != w.typ || p.In() != w.in || p.Out() != w.out {
			t.Errorf("RequestStateChange param %d = %s %s in=%v out=%v, want %+v", i, typeName(p.Type, p.RefClass), p.Name, p.In(), p.Out(), w)
		}
	}

	pr := get("CIM_Process")
	check(pr, []propSpec{
		{name: "CSCreationClassName", typ: "string", origin: "CIM_Process", key: true, quals: map[string]string{"Propagated": `"CIM_OperatingSystem.CSCreationClassName"`}},
		{name: "CSName", typ: "string", origin: "CIM_Process", key: true},
		{name: "OSCreationClassName", typ: "string", origin: "CIM_Process", key: true},
		{name: "OSName", typ: "string", origin: "CIM_Process", key: true},
		{name: "CreationClassName", typ: "string", origin: "CIM_Process", key: true},
		{name: "Handle", typ: "string", origin: "CIM_Process", key: true, quals: map[string]string{"MaxLen": "256"}},
		{name: "Name", typ: "string", origin: "CIM_ManagedSystemElement", quals: map[string]string{"Override": `"Name"`, "Description": `"The name of the process."`}},
		{name: "Priority", typ: "uint32", origin: "CIM_Process"},
		{name: "ExecutionState", typ: "uint16", origin: "CIM_Process"},
		{name: "CreationDate", typ: "datetime", origin: "CIM_Process"},
		{name: "KernelModeTime", typ: "uint64", origin: "CIM_Process", quals: map[string]string{"Units": `"MilliSeconds"`, "PUnit": `"second * 10^-3"`}},
		{name: "WorkingSetSize", typ: "uint64", origin: "CIM_Process", quals: map[string]string{"Gauge": "true"}},
	})
	if len(pr.Keys()) != 6 {
		t.Errorf("CIM_Process has %d keys", len(pr.Keys()))
	}
	if _, ok := pr.Qualifiers.Get("Override"); ok {
		t.Error("restricted Override leaked to class level")
	}

	dep := get("CIM_Dependency")
	if !dep.IsAssociation() || !dep.IsAbstract() {
		t.Errorf("CIM_Dependency association %v abstract %v", dep.IsAssociation(), dep.IsAbstract())
	}
	check(dep, []propSpec{
		{name: "Antecedent", typ: "CIM_ManagedElement REF", origin: "CIM_Dependency", key: true},
		{name: "Dependent", typ: "CIM_ManagedElement REF", origin: "CIM_Dependency", key: true},
	})
	hd := get("CIM_HostedDependency")
	if !hd.IsAssociation() || hd.IsAbstract() {
		t.Errorf("CIM_HostedDependency association %v abstract %v", hd.IsAssociation(), hd.IsAbstract())
	}
	ind := get("CIM_InstModification")
	if !ind.Qualifiers.Has("Indication") || !ind.IsA("CIM_Indication") {
		t.Errorf("CIM_InstModification is not an indication")
	}
}
