package cim

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func diskClasses(t *testing.T) (base, disk, single *Class) {
	base = mustDerive(t, nil, &Class{Name: "CIM_LogicalDisk", Qualifiers: Qualifiers{abstract()},
		Properties: []Property{{Name: "DeviceID", Type: TypeString, Qualifiers: Qualifiers{key()}}}})
	disk = mustDerive(t, base, &Class{Name: "Win32_LogicalDisk",
		Properties: []Property{
			{Name: "Size", Type: TypeUint64},
			{Name: "DriveType", Type: TypeUint32, Default: Uint32(3)},
			{Name: "VolumeName", Type: TypeString, Qualifiers: Qualifiers{{Name: "Not_Null", Value: Bool(true)}}},
		}}).Located("SRV", `root\cimv2`)
	single = mustDerive(t, nil, &Class{Name: "Win32_WMISetting", Qualifiers: Qualifiers{{Name: "Singleton", Value: Bool(true)}},
		Properties: []Property{{Name: "BuildVersion", Type: TypeString}}}).Located("SRV", `root\cimv2`)
	return
}

func TestInstanceSetGet(t *testing.T) {
	_, disk, _ := diskClasses(t)
	inst := disk.NewInstance()
	if got := inst.Value("DriveType"); got.Type() != TypeUint32 || got.Uint() != 3 {
		t.Errorf("default DriveType = %#v", got)
	}
	if inst.Len() != 4 || inst.Class() != disk || inst.ClassName() != "Win32_LogicalDisk" || inst.Genus() != GenusInstance {
		t.Error("instance basics")
	}

	ok := []struct {
		name string
		v    Value
		want Value
	}{
		{"DeviceID", String("C:"), String("C:")},
		{"size", String("1024"), Uint64(1024)},
		{"SIZE", Sint32(7), Uint64(7)},
		{"DriveType", Uint8(2), Uint32(2)},
		{"DriveType", Null, Null},
		{"VolumeName", Sint32(5), String("5")},
	}
	for _, tt := range ok {
		if err := inst.Set(tt.name, tt.v); err != nil {
			t.Errorf("Set(%s, %#v): %v", tt.name, tt.v, err)
			continue
		}
		got, err := inst.Get(tt.name)
		if err != nil || got.Type() != tt.want.Type() || !(Equal(got, tt.want) || got.IsNull() && tt.want.IsNull()) {
			t.Errorf("after Set(%s, %#v): Get = %#v, %v; want %#v", tt.name, tt.v, got, err, tt.want)
		}
	}

	bad := []struct {
		name   string
		v      Value
		status Status
		frag   string
	}{
		{"Nope", String("x"), WBEM_E_NOT_FOUND, "class Win32_LogicalDisk has no property Nope"},
		{"__PATH", String("x"), WBEM_E_SYSTEM_PROPERTY, "system property __PATH is read-only"},
		{"__class", String("x"), WBEM_E_SYSTEM_PROPERTY, "read-only"},
		{"Size", String("big"), WBEM_E_TYPE_MISMATCH, "property Win32_LogicalDisk.Size"},
		{"Size", Sint32(-1), WBEM_E_TYPE_MISMATCH, "out of range for uint64"},
		{"DriveType", Array(TypeUint32, Uint32(1)), WBEM_E_TYPE_MISMATCH, "DriveType"},
	}
	for _, tt := range bad {
		err := inst.Set(tt.name, tt.v)
		if StatusOf(err) != tt.status || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("Set(%s, %#v) = %v, want %v mentioning %q", tt.name, tt.v, err, tt.status, tt.frag)
		}
	}
	if v := inst.Value("Size"); v.Uint() != 7 {
		t.Errorf("a failed Set changed the value to %#v", v)
	}
	if _, err := inst.Get("Nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(Nope) = %v", err)
	}
	if !inst.Value("Nope").IsNull() {
		t.Error("Value of a missing property is not NULL")
	}

	// Clone is independent.
	c := inst.Clone()
	if err := c.Set("DeviceID", String("D:")); err != nil {
		t.Fatal(err)
	}
	if inst.Value("DeviceID").Str() != "C:" {
		t.Error("Clone shares its values with the original")
	}
}

func TestCheckKeys(t *testing.T) {
	base, disk, single := diskClasses(t)
	keyless := mustDerive(t, nil, &Class{Name: "Keyless", Properties: []Property{{Name: "A", Type: TypeString}}})
	indexed := mustDerive(t, nil, &Class{Name: "Idx", Properties: []Property{
		{Name: "K", Type: TypeUint32, Qualifiers: Qualifiers{key()}},
		{Name: "I", Type: TypeString, Qualifiers: Qualifiers{{Name: "Indexed", Value: Bool(true)}}},
	}})

	full := disk.NewInstance()
	must(t, full.Set("DeviceID", String("C:")))
	must(t, full.Set("VolumeName", String("System")))
	idx := indexed.NewInstance()
	must(t, idx.Set("K", Uint32(1)))
	tests := []struct {
		inst   *Instance
		status Status
		param  string
		frag   string
	}{
		{full, WBEM_S_NO_ERROR, "", ""},
		{single.NewInstance(), WBEM_S_NO_ERROR, "", ""},
		{base.NewInstance(), WBEM_E_INVALID_OPERATION, "", "CIM_LogicalDisk is abstract"},
		{keyless.NewInstance(), WBEM_E_NO_KEY, "", "class Keyless has no key property"},
		{disk.NewInstance(), WBEM_E_ILLEGAL_NULL, "DeviceID", "Win32_LogicalDisk.DeviceID must not be NULL"},
		{func() *Instance { i := full.Clone(); must(t, i.Set("VolumeName", Null)); return i }(), WBEM_E_ILLEGAL_NULL, "VolumeName", "VolumeName"},
		{idx, WBEM_E_ILLEGAL_NULL, "I", "Idx.I"},
	}
	for _, tt := range tests {
		err := tt.inst.CheckKeys()
		if StatusOf(err) != tt.status {
			t.Errorf("%s.CheckKeys() = %v, want %v", tt.inst.ClassName(), err, tt.status)
			continue
		}
		if err != nil {
			e := AsError(err)
			if e.Parameter != tt.param || !strings.Contains(e.Description, tt.frag) {
				t.Errorf("%s.CheckKeys() = %+v, want parameter %q and %q", tt.inst.ClassName(), e, tt.param, tt.frag)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestClassSystemProperties(t *testing.T) {
	root, _, process, win := hierarchy(t)
	win = win.Located("SRV", `root\cimv2`)
	root = root.Located("SRV", `root\cimv2`)
	tests := []struct {
		c    *Class
		name string
		want Value
	}{
		{win, "__GENUS", Sint32(1)},
		{win, "__CLASS", String("Win32_Process")},
		{win, "__SUPERCLASS", String("CIM_Process")},
		{root, "__SUPERCLASS", Null},
		{win, "__DYNASTY", String("CIM_ManagedElement")},
		{root, "__DYNASTY", String("CIM_ManagedElement")},
		{win, "__DERIVATION", Array(TypeString, String("CIM_Process"), String("CIM_LogicalElement"), String("CIM_ManagedElement"))},
		{root, "__DERIVATION", arrValue(TypeString.ArrayOf(), []Value{})},
		{win, "__PROPERTY_COUNT", Sint32(6)},
		{win, "__RELPATH", String("Win32_Process")},
		{win, "__PATH", String(`\\SRV\root\cimv2:Win32_Process`)},
		{process, "__PATH", Null}, // not placed in a namespace
		{win, "__SERVER", String("SRV")},
		{win, "__NAMESPACE", String(`root\cimv2`)},
		{process, "__SERVER", Null},
		{win, "__path", String(`\\SRV\root\cimv2:Win32_Process`)},
	}
	for _, tt := range tests {
		got, err := tt.c.Get(tt.name)
		if err != nil {
			t.Errorf("%s.Get(%s): %v", tt.c.Name, tt.name, err)
			continue
		}
		if !sameValue(got, tt.want) {
			t.Errorf("%s.%s = %#v, want %#v", tt.c.Name, tt.name, got, tt.want)
		}
	}
	if _, ok := win.System("__NOPE"); ok {
		t.Error("System(__NOPE) found something")
	}
	if _, err := win.Get("__NOPE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(__NOPE) = %v", err)
	}
	if v, err := win.Get("Priority"); err != nil || v.Uint() != 8 {
		t.Errorf("class Get of a property gives its default: %#v, %v", v, err)
	}
	if win.Genus() != GenusClass || win.ClassName() != "Win32_Process" || !win.ObjectPath().IsClass() {
		t.Error("class as Object")
	}
	// Every listed system property is answered by classes and instances.
	inst := win.NewInstance()
	for _, n := range SystemProperties {
		if !IsSystemProperty(n) {
			t.Errorf("%s is not a system property", n)
		}
		if _, ok := win.System(n); !ok {
			t.Errorf("class lacks %s", n)
		}
		if _, ok := inst.System(n); !ok {
			t.Errorf("instance lacks %s", n)
		}
	}
}

// sameValue compares type and content exactly (NULLs equal).
func sameValue(a, b Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.IsNull() {
		return true
	}
	if a.Type().IsArray() {
		return slices.EqualFunc(a.Array(), b.Array(), sameValue)
	}
	return a.Str() == b.Str() && a.Uint() == b.Uint()
}

func TestInstanceSystemProperties(t *testing.T) {
	_, disk, single := diskClasses(t)
	inst := disk.NewInstance()
	must(t, inst.Set("DeviceID", String(`C:\"x"`)))
	must(t, inst.Set("Size", Uint64(10)))
	s := single.NewInstance()

	proj := inst.Project(disk.Project([]string{"Size", "NoSuchProperty"}, false))
	projKeys := inst.Project(disk.Project([]string{"Size"}, true))
	nullKey := disk.NewInstance()

	tests := []struct {
		i    *Instance
		name string
		want Value
	}{
		{inst, "__GENUS", Sint32(2)},
		{inst, "__CLASS", String("Win32_LogicalDisk")},
		{inst, "__SUPERCLASS", String("CIM_LogicalDisk")},
		{inst, "__DYNASTY", String("CIM_LogicalDisk")},
		{inst, "__DERIVATION", Array(TypeString, String("CIM_LogicalDisk"))},
		{inst, "__PROPERTY_COUNT", Sint32(4)},
		{inst, "__RELPATH", String(`Win32_LogicalDisk.DeviceID="C:\\\"x\""`)},
		{inst, "__PATH", String(`\\SRV\root\cimv2:Win32_LogicalDisk.DeviceID="C:\\\"x\""`)},
		{inst, "__SERVER", String("SRV")},
		{inst, "__NAMESPACE", String(`root\cimv2`)},
		{s, "__RELPATH", String("Win32_WMISetting=@")},
		{s, "__PATH", String(`\\SRV\root\cimv2:Win32_WMISetting=@`)},
		// A projection without keys (SELECT Size FROM …): __CLASS stays, the
		// rest of the class and path information is NULL, __PROPERTY_COUNT
		// counts the selected properties (spec §5.2).
		{proj, "__CLASS", String("Win32_LogicalDisk")},
		{proj, "__GENUS", Sint32(2)},
		{proj, "__SUPERCLASS", Null},
		{proj, "__DYNASTY", Null},
		{proj, "__DERIVATION", Null},
		{proj, "__RELPATH", Null},
		{proj, "__PATH", Null},
		{proj, "__PROPERTY_COUNT", Sint32(1)},
		{proj, "Size", Uint64(10)},
		// With the keys kept (WBEM_FLAG_ENSURE_LOCATABLE) the paths are back.
		{projKeys, "__RELPATH", String(`Win32_LogicalDisk.DeviceID="C:\\\"x\""`)},
		{projKeys, "__PATH", String(`\\SRV\root\cimv2:Win32_LogicalDisk.DeviceID="C:\\\"x\""`)},
		{projKeys, "__PROPERTY_COUNT", Sint32(2)},
		// An instance whose key is still NULL has no path.
		{nullKey, "__RELPATH", Null},
		{nullKey, "__PATH", Null},
	}
	for _, tt := range tests {
		got, err := tt.i.Get(tt.name)
		if err != nil {
			t.Errorf("Get(%s): %v", tt.name, err)
			continue
		}
		if !sameValue(got, tt.want) {
			t.Errorf("%s instance %s = %#v, want %#v", tt.i.Class().Name, tt.name, got, tt.want)
		}
	}
	if !proj.Class().IsProjection() || disk.IsProjection() {
		t.Error("IsProjection")
	}
	if _, err := proj.Get("DeviceID"); !errors.Is(err, ErrNotFound) {
		t.Errorf("projection kept an unselected property: %v", err)
	}

	// The path parses back to the instance's identity.
	rel, _ := inst.Get("__RELPATH")
	p, err := ParsePath(rel.Str())
	if err != nil {
		t.Fatalf("ParsePath(__RELPATH %s): %v", rel.Str(), err)
	}
	if !p.Equal(inst.ObjectPath()) {
		t.Errorf("__RELPATH %s does not locate %s", rel.Str(), inst.ObjectPath())
	}
	inst.SetLocation("OTHER", `root\default`)
	if v, _ := inst.Get("__PATH"); v.Str() != `\\OTHER\root\default:Win32_LogicalDisk.DeviceID="C:\\\"x\""` {
		t.Errorf("after SetLocation, __PATH = %s", v.Str())
	}
}

// TestChecklist15 follows checklist item 15 as far as the data model goes:
// "Cls" is a class path, "Cls.K=1" an instance path, "Single=@" a singleton,
// and key order, quote style and case do not matter once the class resolves
// the keys.
func TestChecklist15(t *testing.T) {
	cls := mustDerive(t, nil, &Class{Name: "Cls", Properties: []Property{
		{Name: "K", Type: TypeUint32, Qualifiers: Qualifiers{key()}},
		{Name: "S", Type: TypeString, Qualifiers: Qualifiers{key()}},
	}})
	inst := cls.NewInstance()
	must(t, inst.Set("K", Uint32(1)))
	must(t, inst.Set("S", String("Abc")))
	want := inst.ObjectPath()

	for _, s := range []string{`Cls.K=1,S="Abc"`, `cls.s='abc',k=1`, `CLS.S="ABC",K="1"`, `root\cimv2:Cls.K=01,S='aBC'`} {
		p, err := ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.IsClass() {
			t.Errorf("%s is a class path", s)
		}
		r, err := p.Resolve(cls)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", s, err)
		}
		if !r.Equal(want) {
			t.Errorf("%s resolves to %s, not the instance %s", s, r.KeyString(), want.KeyString())
		}
	}
	if p, _ := ParsePath("Cls"); !p.IsClass() {
		t.Error(`"Cls" is not a class path`)
	}
	if p, _ := ParsePath("Single=@"); p.IsClass() || !p.Singleton {
		t.Error(`"Single=@" is not a singleton path`)
	}
}
