package wql

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func statusOf(err error) cim.Status { return cim.StatusOf(err) }

func TestCheckLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want cim.Status
	}{
		{"WQL", cim.WBEM_S_NO_ERROR},
		{"wql", cim.WBEM_S_NO_ERROR},
		{"SQL", cim.WBEM_E_INVALID_QUERY_TYPE},
		{"", cim.WBEM_E_INVALID_QUERY_TYPE},
		{"WQL ", cim.WBEM_E_INVALID_QUERY_TYPE},
		{"CQL", cim.WBEM_E_INVALID_QUERY_TYPE},
	} {
		if got := statusOf(CheckLanguage(tc.lang)); got != tc.want {
			t.Errorf("CheckLanguage(%q) = %s, want %s", tc.lang, got, tc.want)
		}
	}
}

func orChain(n int) string {
	var b strings.Builder
	b.WriteString("SELECT * FROM Disk WHERE ")
	for i := 0; i <= n; i++ {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "Temp=%d", i)
	}
	return b.String()
}

func TestLimits(t *testing.T) {
	pad := "SELECT * FROM Disk WHERE Name = \"" + strings.Repeat("x", MaxQueryLength-34) + "\""
	long := "SELECT * FROM Disk WHERE Name = \"" + strings.Repeat("é", MaxQueryLength) + "\""
	for _, tc := range []struct {
		name string
		q    string
		want cim.Status
	}{
		{"at MaxLogicalOperators", orChain(MaxLogicalOperators), cim.WBEM_S_NO_ERROR},
		{"past MaxLogicalOperators", orChain(MaxLogicalOperators + 1), cim.WBEM_E_QUOTA_VIOLATION},
		{"at MaxNesting", "SELECT * FROM Disk WHERE " + strings.Repeat("(", MaxNesting) + "Temp=1" + strings.Repeat(")", MaxNesting), cim.WBEM_S_NO_ERROR},
		{"past MaxNesting", "SELECT * FROM Disk WHERE " + strings.Repeat("(", MaxNesting+1) + "Temp=1" + strings.Repeat(")", MaxNesting+1), cim.WBEM_E_QUOTA_VIOLATION},
		{"NOTs past MaxNesting", "SELECT * FROM Disk WHERE " + strings.Repeat("NOT ", MaxNesting+1) + "Temp=1", cim.WBEM_E_QUOTA_VIOLATION},
		{"unclosed parentheses", "SELECT * FROM Disk WHERE " + strings.Repeat("(", 8000), cim.WBEM_E_QUOTA_VIOLATION},
		{"at MaxQueryLength", pad, cim.WBEM_S_NO_ERROR},
		{"past MaxQueryLength", pad + " ", cim.WBEM_E_QUOTA_VIOLATION},
		{"characters, not bytes", long, cim.WBEM_E_QUOTA_VIOLATION},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "at MaxQueryLength" && len([]rune(tc.q)) != MaxQueryLength {
				t.Fatalf("test query has %d characters", len([]rune(tc.q)))
			}
			_, err := Parse(tc.q)
			if got := statusOf(err); got != tc.want {
				t.Fatalf("status %s (%v), want %s", got, err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), itoa(MaxQueryLength)) &&
				!strings.Contains(err.Error(), itoa(MaxLogicalOperators)) && !strings.Contains(err.Error(), itoa(MaxNesting)) {
				t.Errorf("error %v does not name the limit", err)
			}
		})
	}
	// A huge OR chain that stays within the limits compiles and matches.
	f := newFixture(t)
	q := MustParse(orChain(MaxLogicalOperators)).(*SelectQuery)
	flt, err := Compile(q, nil, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	if !flt.Match(f.insts[3-1]) || flt.Match(f.insts[0]) { // E: has Temp 0, C: has -5
		t.Error("OR chain matched the wrong instances")
	}
}

func TestErrorsAreCimErrors(t *testing.T) {
	_, err := Parse("SELECT * FROM")
	if !errors.Is(err, cim.ErrInvalidQuery) {
		t.Fatalf("errors.Is(%v, ErrInvalidQuery) = false", err)
	}
	var e *cim.Error
	if !errors.As(err, &e) || e.Description == "" {
		t.Fatalf("not a described *cim.Error: %#v", err)
	}
	_, err = Parse("SELECT * FROM C WHERE x = @")
	if !errors.As(err, &e) || e.Parameter != "@" || !strings.Contains(e.Description, "position 27") {
		t.Fatalf("error %#v does not carry the token and position", err)
	}
}

// Positions count characters, not bytes.
func TestPositionCountsCharacters(t *testing.T) {
	_, err := Parse(`SELECT * FROM C WHERE ä = "ö" AND b ? 1`)
	if err == nil || !strings.Contains(err.Error(), "position 37") {
		t.Fatalf("got %v, want position 37", err)
	}
	q := MustParse(`SELECT * FROM C WHERE ä = "ö" AND bb = 1`).(*SelectQuery)
	if p := q.Where.(*Logical).Operands[1].(*Comparison).Prop.Pos; p != 35 {
		t.Fatalf("Pos = %d, want 35", p)
	}
}

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%%", "x", true},
		{"a%", "ABC", true},
		{"%c", "abC", true},
		{"%b%", "abc", true},
		{"%b%", "acd", false},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"a_c", "aéc", true},
		{"___", "aé€", true},
		{"[a-c]x", "Bx", true},
		{"[A-C]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[^a-c]x", "dx", true},
		{"[^a-c]x", "ax", false},
		{"[abc]", "c", true},
		{"[_]", "_", true},
		{"[_]", "a", false},
		{"[%]", "%", true},
		{"[%]", "ab", false},
		{"[[]", "[", true},
		{"[]]", "]", true},
		{"[^]]", "]", false},
		{"[a-]", "-", true},
		{"[-a]", "-", true},
		{"[z-a]", "m", false},
		{"%[0-9][0-9]", "disk42", true},
		{"%[0-9][0-9]", "disk4", false},
		{"%notepad%", "C:\\Windows\\NOTEPAD.EXE", true},
		{"C:\\%", "C:\\Windows", true},
		{"a%b%c", "aXXbYYc", true},
		{"a%b%c", "aXXcYYb", false},
		{"%a%a%a%a%b", strings.Repeat("a", 200), false},
		{"ÄÖ%", "äöü", true},
		{"É", "é", true},
		{"ab%", "AB", true},
		{"ab%", "Abc", true},
		{"ab%", "a", false},
		{"ab%", "ac", false},
		{"k%", "\u212aelvin", true},
		{"volume1%", "VOLUME1é", true},
		{"é%", "É", true},
	} {
		p, err := compileLike(tc.pat)
		if err != nil {
			t.Errorf("compileLike(%q): %v", tc.pat, err)
			continue
		}
		if got := p.Match(tc.s); got != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pat, got, tc.want)
		}
	}
	for _, bad := range []string{"[", "[abc", "a[^", "[a-"} {
		if _, err := compileLike(bad); statusOf(err) != cim.WBEM_E_INVALID_QUERY {
			t.Errorf("compileLike(%q) = %v, want WBEM_E_INVALID_QUERY", bad, err)
		}
	}
}

func TestEqualities(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		where string
		want  map[string]string // property → values; absent: unconstrained
	}{
		{`DeviceID = "C:"`, map[string]string{"deviceid": `"C:"`}},
		{`DeviceID = "C:" OR DeviceID = "d:"`, map[string]string{"deviceid": `"C:" "d:"`}},
		{`DeviceID = "C:" OR deviceid = "C:"`, map[string]string{"deviceid": `"C:"`}},
		{`DeviceID = "C:" AND DriveType = 3`, map[string]string{"deviceid": `"C:"`, "drivetype": "3"}},
		{`(DeviceID = "C:" OR DeviceID = "D:") AND Temp > 5`, map[string]string{"deviceid": `"C:" "D:"`}},
		{`DeviceID = "C:" OR DriveType = 3`, nil},
		{`DeviceID = "C:" OR Temp > 5`, nil},
		{`NOT DeviceID = "C:"`, nil},
		{`DeviceID <> "C:"`, nil},
		{`DeviceID = "C:" AND DeviceID = "D:"`, map[string]string{"deviceid": ""}},
		{`(DeviceID = "C:" OR DeviceID = "D:") AND (DeviceID = "d:" OR DeviceID = "E:")`, map[string]string{"deviceid": `"D:"`}},
		{`(DeviceID = "C:" AND Temp = 1) OR (DeviceID = "D:" AND Temp = 2)`, map[string]string{"deviceid": `"C:" "D:"`, "temp": "1 2"}},
		{`Small = 300`, map[string]string{"small": ""}},
		{`Small = 300 OR Small = 3`, map[string]string{"small": "3"}},
		{`DriveType = "3"`, map[string]string{"drivetype": "3"}},
		{`Compressed = TRUE`, map[string]string{"compressed": "true"}},
		{`__CLASS = "NetDisk"`, map[string]string{"__class": `"NetDisk"`}},
		{`Info.Label = "x"`, nil},
		{`Created = "20240101120000.000000+000"`, nil},
	} {
		q := MustParse("SELECT * FROM Disk WHERE " + tc.where).(*SelectQuery)
		flt, err := Compile(q, nil, f.schema)
		if err != nil {
			t.Fatalf("%s: %v", tc.where, err)
		}
		got := map[string]string{}
		for k, vs := range flt.Equalities() {
			var s []string
			for _, v := range vs {
				s = append(s, v.String())
			}
			got[k] = strings.Join(s, " ")
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: Equalities = %v, want %v", tc.where, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.where, k, got[k], v)
			}
			if vals, ok := flt.Equals(strings.ToUpper(k)); !ok || len(vals) != len(strings.Fields(v)) {
				t.Errorf("%s: Equals(%s) = %v, %v", tc.where, k, vals, ok)
			}
		}
	}
	// Values carry the property's type.
	flt, _ := Compile(MustParse(`SELECT * FROM Disk WHERE DriveType = 3`).(*SelectQuery), nil, f.schema)
	if vs, _ := flt.Equals("DriveType"); vs[0].Type() != cim.TypeUint32 {
		t.Errorf("DriveType constraint has type %s, want uint32", vs[0].Type())
	}
	if _, ok := flt.Equals("Name"); ok {
		t.Error("Equals(Name) ok for an unconstrained property")
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	f := newFixture(t)
	for _, where := range []string{
		`DriveType = 3 AND FreeSpace > 100 AND Name = "data_1"`,
		`Name LIKE "%a%" OR Temp < 0`,
		`Compressed = TRUE AND VolumeName IS NOT NULL`,
		`Ratio > 0.5 AND Small <> 3`,
		`Created > "20230101000000.000000+000"`,
		`__CLASS = "Disk"`,
		`Info.Level > 3`,
	} {
		flt, err := Compile(MustParse("SELECT * FROM Disk WHERE "+where).(*SelectQuery), nil, f.schema)
		if err != nil {
			t.Fatal(err)
		}
		inst := f.insts[1]
		if n := testing.AllocsPerRun(100, func() { flt.Match(inst) }); n != 0 {
			t.Errorf("%s: Match allocates %.0f times per instance", where, n)
		}
	}
}

func TestProjectionLocatable(t *testing.T) {
	f := newFixture(t)
	q := MustParse(`SELECT Name FROM Disk`).(*SelectQuery)
	plain, _ := Compile(q, nil, f.schema)
	keys, err := Compile(q, nil, f.schema, EnsureLocatable())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plain.Projection().Properties); n != 1 {
		t.Errorf("projection has %d properties, want 1", n)
	}
	p := keys.Project(f.insts[0])
	if p.Class().PropertyIndex("deviceid") < 0 || p.Value("DeviceID").Str() != "C:" {
		t.Errorf("EnsureLocatable projection lost the key: %v", p.Class().Properties)
	}
	star, _ := Compile(MustParse(`SELECT * FROM Disk`).(*SelectQuery), nil, f.schema)
	if star.Project(f.insts[0]) != f.insts[0] || star.Projection() != nil || star.Properties() != nil {
		t.Error("SELECT * projects")
	}
	if got := plain.Properties(); len(got) != 1 || got[0] != "Name" {
		t.Errorf("Properties() = %v", got)
	}
}

// An instance whose class is a copy of the FROM class, or unrelated, is
// matched by property name.
func TestMatchOtherLayouts(t *testing.T) {
	f := newFixture(t)
	flt, err := Compile(MustParse(`SELECT Name FROM Disk WHERE DriveType = 3 AND Name LIKE "d%"`).(*SelectQuery), nil, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := cim.Derive(nil, &cim.Class{Name: "Other", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString}, {Name: "DriveType", Type: cim.TypeUint32},
	}})
	o := other.NewInstance()
	must(t, o.Set("Name", cim.String("disk")))
	must(t, o.Set("DriveType", cim.Uint32(3)))
	if !flt.Match(o) {
		t.Error("instance of a class with the same properties in another order does not match")
	}
	if p := flt.Project(o); p.ClassName() != "Other" || len(p.Class().Properties) != 1 {
		t.Errorf("projection of Other: %s %v", p.ClassName(), p.Class().Properties)
	}
	bare, _ := cim.Derive(nil, &cim.Class{Name: "Bare"})
	if flt.Match(bare.NewInstance()) {
		t.Error("instance without the properties matches")
	}
}

func TestFilterConcurrent(t *testing.T) {
	f := newFixture(t)
	flt, err := Compile(MustParse(`SELECT Name FROM Disk WHERE DriveType >= 3`).(*SelectQuery), nil, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				for _, inst := range f.insts {
					if flt.Match(inst) {
						flt.Project(inst)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestEventQuery(t *testing.T) {
	f := newFixture(t)
	ev, err := ParseEvent(`SELECT * FROM MyEvent WHERE Code > 1 GROUP WITHIN 2.5 BY Source HAVING NumberOfEvents > 2 AND NumberOfEvents <= 4`, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Intrinsic || ev.Class.Name != "MyEvent" || ev.Query.GroupWithinDuration().Seconds() != 2.5 {
		t.Errorf("event query: %+v", ev)
	}
	for n, want := range map[uint32]bool{0: false, 2: false, 3: true, 4: true, 5: false} {
		if got := ev.Having(n); got != want {
			t.Errorf("Having(%d) = %v, want %v", n, got, want)
		}
	}
	e := ev.Class.NewInstance()
	must(t, e.Set("Code", cim.Uint32(2)))
	if !ev.Filter.Match(e) {
		t.Error("event filter does not match")
	}

	// Intrinsic events work without the schema defining them.
	ev, err = ParseEvent(`SELECT * FROM __InstanceModificationEvent WITHIN 0.5 WHERE TargetInstance ISA "Disk" AND TargetInstance.DriveType = 3 AND PreviousInstance.DriveType <> 3`, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Intrinsic || ev.TargetClass != "Disk" || ev.Query.WithinDuration().Milliseconds() != 500 {
		t.Errorf("intrinsic event query: %+v", ev)
	}
	mod := ev.Class.NewInstance()
	must(t, mod.Set("TargetInstance", cim.Embedded(f.insts[0])))   // C: type 3
	must(t, mod.Set("PreviousInstance", cim.Embedded(f.insts[2]))) // E: type 4
	if !ev.Filter.Match(mod) {
		t.Error("modification event does not match")
	}
	must(t, mod.Set("PreviousInstance", cim.Embedded(f.insts[1])))
	if ev.Filter.Match(mod) {
		t.Error("modification event matches though the type did not change")
	}
	if ev.Having(0) != true {
		t.Error("Having without HAVING is false")
	}
}

func TestCompileEventRejectsHandBuiltBy(t *testing.T) {
	q := &SelectQuery{All: true, Class: "MyEvent", By: []Prop{{Path: []string{"Source"}}}}
	if _, err := CompileEvent(q, newFixture(t).schema); statusOf(err) != cim.WBEM_E_MISSING_GROUP_WITHIN {
		t.Fatalf("got %v", err)
	}
	if _, err := Compile(q, nil, newFixture(t).schema); statusOf(err) != cim.WBEM_E_INVALID_QUERY {
		t.Fatalf("data query with BY: %v", err)
	}
}

func TestIsEvent(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT * FROM Disk":                              false,
		"SELECT * FROM Disk WITHIN 5":                     true,
		"SELECT * FROM __instancecreationevent":           true,
		"SELECT * FROM MyEvent GROUP WITHIN 5":            true,
		"SELECT * FROM MyEvent WHERE Code = 1":            false,
		"SELECT * FROM __InstanceOperationEvent WITHIN 1": true,
	} {
		if got := MustParse(q).(*SelectQuery).IsEvent(); got != want {
			t.Errorf("IsEvent(%s) = %v", q, got)
		}
	}
}

// Hand-built trees print so that they parse back to the same meaning.
func TestPrintHandBuilt(t *testing.T) {
	p := func(n string) Prop { return Prop{Path: []string{n}} }
	q := &SelectQuery{All: true, Class: "C", Where: &Logical{Op: And, Operands: []Expr{
		&Logical{Op: Or, Operands: []Expr{&Comparison{Prop: p("a"), Op: Equal, Value: intConst(1)}, &IsNull{Prop: p("b")}}},
		&Not{X: &Like{Prop: p("c"), Pattern: `x"y`}},
		&Comparison{Prop: p("d"), Op: GreaterEqual, Value: realConst(3)},
		&Comparison{Prop: p("e"), Op: NotEqual, Value: stringConst(`q"\`)},
		&Comparison{Prop: p("f"), Op: Equal, Value: boolConst(false)},
		&Isa{Prop: p("g"), Class: "K"},
	}}}
	want := `SELECT * FROM C WHERE (a = 1 OR b IS NULL) AND NOT c LIKE 'x"y' AND d >= 3.0 AND e <> "q\"\\" AND f = FALSE AND g ISA "K"`
	if got := q.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	checkRoundTrip(t, want, q)
	a := &AssociatorsQuery{Path: "X=1", ResultClass: "has space", KeysOnly: true}
	if got := a.String(); got != `ASSOCIATORS OF {X=1} WHERE ResultClass = "has space" KeysOnly` {
		t.Fatalf("got %s", got)
	}
}

func TestEqualFold(t *testing.T) {
	for _, p := range [][2]string{
		{"", ""}, {"a", ""}, {"disk", "Disk"}, {"disk", "disks"}, {"DISK", "disk"}, {"abc", "abd"},
		{"\u212a", "k"}, {"x\u212a", "XK"}, {"é", "É"}, {"aé", "AÉ"}, {"aé", "ae"}, {"İ", "i"}, {"[", "{"}, {"@", "`"},
	} {
		if got, want := equalFold(p[0], p[1]), cim.EqualFold(p[0], p[1]); got != want {
			t.Errorf("equalFold(%q, %q) = %v, cim.EqualFold says %v", p[0], p[1], got, want)
		}
	}
}

// For instances of other classes, a dotted path through a missing property is
// an invalid path: false even under IS NULL.
func TestOtherLayoutInvalidPath(t *testing.T) {
	f := newFixture(t)
	flt, err := Compile(MustParse(`SELECT * FROM Disk WHERE Info.Label IS NULL OR VolumeName IS NULL`).(*SelectQuery), nil, f.schema)
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := cim.Derive(nil, &cim.Class{Name: "Bare"})
	if !flt.Match(bare.NewInstance()) {
		t.Error("missing VolumeName should read as NULL")
	}
	flt, _ = Compile(MustParse(`SELECT * FROM Disk WHERE Info.Label IS NULL`).(*SelectQuery), nil, f.schema)
	if flt.Match(bare.NewInstance()) {
		t.Error("Info.Label through a missing Info should be false")
	}
}
