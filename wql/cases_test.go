package wql

import (
	"bufio"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// testSchema is a small schema: disks (with a subclass), an embedded info
// class (with a subclass), processes and event classes.
type testSchema struct {
	classes []*cim.Class
}

func (s *testSchema) Class(name string) (*cim.Class, error) {
	for _, c := range s.classes {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
	}
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no class %s", name)
}

func (s *testSchema) add(t testing.TB, parent string, decl *cim.Class) *cim.Class {
	t.Helper()
	var p *cim.Class
	if parent != "" {
		var err error
		if p, err = s.Class(parent); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cim.Derive(p, decl)
	if err != nil {
		t.Fatalf("Derive %s: %v", decl.Name, err)
	}
	s.classes = append(s.classes, c)
	return c
}

func key() cim.Qualifiers { return cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}} }

type fixture struct {
	schema *testSchema
	insts  []*cim.Instance
}

func newFixture(t testing.TB) *fixture {
	s := &testSchema{}
	s.add(t, "", &cim.Class{Name: "Info", Properties: []cim.Property{
		{Name: "Label", Type: cim.TypeString}, {Name: "Level", Type: cim.TypeUint8},
	}})
	s.add(t, "Info", &cim.Class{Name: "SubInfo", Properties: []cim.Property{
		{Name: "Extra", Type: cim.TypeString},
	}})
	s.add(t, "", &cim.Class{Name: "Disk", Properties: []cim.Property{
		{Name: "DeviceID", Type: cim.TypeString, Qualifiers: key()},
		{Name: "Name", Type: cim.TypeString},
		{Name: "FreeSpace", Type: cim.TypeUint64},
		{Name: "Size", Type: cim.TypeUint64},
		{Name: "DriveType", Type: cim.TypeUint32},
		{Name: "Compressed", Type: cim.TypeBoolean},
		{Name: "VolumeName", Type: cim.TypeString},
		{Name: "Temp", Type: cim.TypeSint32},
		{Name: "Ratio", Type: cim.TypeReal64},
		{Name: "Created", Type: cim.TypeDatetime},
		{Name: "Letter", Type: cim.TypeChar16},
		{Name: "Tags", Type: cim.TypeString.ArrayOf()},
		{Name: "Owner", Type: cim.TypeReference},
		{Name: "Info", Type: cim.TypeObject, RefClass: "Info"},
		{Name: "Small", Type: cim.TypeSint8},
	}})
	s.add(t, "Disk", &cim.Class{Name: "NetDisk", Properties: []cim.Property{
		{Name: "ProviderName", Type: cim.TypeString},
	}})
	s.add(t, "", &cim.Class{Name: "Process", Properties: []cim.Property{
		{Name: "Handle", Type: cim.TypeString, Qualifiers: key()}, {Name: "Name", Type: cim.TypeString},
	}})
	s.add(t, "Process", &cim.Class{Name: "Win32_Process"})
	s.add(t, "", &cim.Class{Name: "__Event", Properties: []cim.Property{{Name: "TIME_CREATED", Type: cim.TypeUint64}}})
	s.add(t, "__Event", &cim.Class{Name: "__ExtrinsicEvent"})
	s.add(t, "__ExtrinsicEvent", &cim.Class{Name: "MyEvent", Properties: []cim.Property{
		{Name: "Code", Type: cim.TypeUint32}, {Name: "Source", Type: cim.TypeString}, {Name: "Payload", Type: cim.TypeObject},
	}})

	f := &fixture{schema: s}
	info := func(class, label string, level uint8) cim.Value {
		c, _ := s.Class(class)
		i := c.NewInstance()
		must(t, i.Set("Label", cim.String(label)))
		must(t, i.Set("Level", cim.Uint8(level)))
		return cim.Embedded(i)
	}
	disk := func(class, id string, props map[string]cim.Value) {
		c, _ := s.Class(class)
		i := c.NewInstance()
		must(t, i.Set("DeviceID", cim.String(id)))
		for k, v := range props {
			if err := i.Set(k, v); err != nil {
				t.Fatalf("%s.%s: %v", id, k, err)
			}
		}
		f.insts = append(f.insts, i)
	}
	disk("Disk", "C:", map[string]cim.Value{
		"Name": cim.String("System"), "FreeSpace": cim.Uint64(1000000), "Size": cim.Uint64(500000000000),
		"DriveType": cim.Uint32(3), "Compressed": cim.Bool(false), "VolumeName": cim.String("OS_Disk"),
		"Temp": cim.Sint32(-5), "Ratio": cim.Real64(0.25),
		"Created": cim.String("20240101120000.000000+000"),
		"Letter":  cim.Char16('C'), "Tags": cim.Array(cim.TypeString, cim.String("a")),
		"Owner": cim.RefString(`Person.Name="Ann"`), "Info": info("Info", "main", 1), "Small": cim.Sint8(-100),
	})
	disk("Disk", "D:", map[string]cim.Value{
		"Name": cim.String("data_1"), "FreeSpace": cim.Uint64(3000000), "Size": cim.Uint64(2000000000000),
		"DriveType": cim.Uint32(3), "Compressed": cim.Bool(true), "VolumeName": cim.String("Data%"),
		"Temp": cim.Sint32(40), "Ratio": cim.Real64(0.75),
		"Created": cim.String("20240101130000.000000+060"),
		"Letter":  cim.Char16('D'), "Owner": cim.RefString(`Person.Name="Bob"`),
		"Info": info("SubInfo", "backup", 7), "Small": cim.Sint8(100),
	})
	disk("NetDisk", "E:", map[string]cim.Value{
		"Name": cim.String("Share"), "FreeSpace": cim.Uint64(18446744073709551615), "Size": cim.Uint64(0),
		"DriveType": cim.Uint32(4), "Compressed": cim.Bool(false), "VolumeName": cim.String("net\\share"),
		"Temp": cim.Sint32(0), "Ratio": cim.Real64(1),
		"Created": cim.String("20231231235959.999999-300"),
		"Letter":  cim.Char16('e'), "ProviderName": cim.String(`\\server\share`),
	})
	disk("Disk", "F:", map[string]cim.Value{}) // everything NULL but the key
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A case file holds pairs of lines: "kind | query" and "-> expectation".
// Kinds: parse (expectation: the canonical print, "same", or "error STATUS
// [text]"), match (the DeviceIDs of the matching disks, "none", or "error
// STATUS"), project (the property names of each result), schema (the matching
// class names), event (ok [target=X], or "error STATUS"). Lines starting with
// # are comments.
type testCase struct {
	line        int
	kind, query string
	want        string
}

func readCases(t *testing.T, path string) []testCase {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var cases []testCase
	sc := bufio.NewScanner(fh)
	n := 0
	var cur *testCase
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "-> "); ok {
			if cur == nil {
				t.Fatalf("%s:%d: expectation without a query", path, n)
			}
			cur.want = rest
			cases = append(cases, *cur)
			cur = nil
			continue
		}
		kind, q, ok := strings.Cut(line, " | ")
		if !ok || cur != nil {
			t.Fatalf("%s:%d: expected \"kind | query\" after an expectation", path, n)
		}
		cur = &testCase{line: n, kind: strings.TrimSpace(kind), query: q}
	}
	if cur != nil {
		t.Fatalf("%s: last case has no expectation", path)
	}
	return cases
}

// checkErr compares an error with "error STATUS [text]".
func checkErr(t *testing.T, c testCase, err error) bool {
	t.Helper()
	want, isErr := strings.CutPrefix(c.want, "error ")
	if !isErr {
		if err != nil {
			t.Errorf("line %d: %s: unexpected error %v", c.line, c.query, err)
			return true
		}
		return false
	}
	if err == nil {
		t.Errorf("line %d: %s: no error, want %s", c.line, c.query, want)
		return true
	}
	var e *cim.Error
	if !errors.As(err, &e) {
		t.Errorf("line %d: %s: error %v is not a *cim.Error", c.line, c.query, err)
		return true
	}
	status, text, _ := strings.Cut(want, " ")
	if e.Status.Name() != status {
		t.Errorf("line %d: %s: status %s (%s), want %s", c.line, c.query, e.Status.Name(), e.Description, status)
	}
	if text != "" && !strings.Contains(e.Description, text) {
		t.Errorf("line %d: %s: description %q does not mention %q", c.line, c.query, e.Description, text)
	}
	return true
}

func TestCases(t *testing.T) {
	f := newFixture(t)
	cases := readCases(t, "testdata/cases.txt")
	if len(cases) < 150 {
		t.Errorf("only %d cases", len(cases))
	}
	for _, c := range cases {
		switch c.kind {
		case "parse":
			q, err := Parse(c.query)
			if checkErr(t, c, err) {
				continue
			}
			want := c.want
			if want == "same" {
				want = c.query
			}
			if got := q.String(); got != want {
				t.Errorf("line %d: %s\n got %s\nwant %s", c.line, c.query, got, want)
			}
			checkRoundTrip(t, c.query, q)
		case "match", "project":
			got, err := f.run(c.query)
			if checkErr(t, c, err) {
				continue
			}
			var s string
			if c.kind == "match" {
				s = strings.Join(got.ids, ", ")
			} else {
				s = strings.Join(got.shapes, "; ")
			}
			if s == "" {
				s = "none"
			}
			if s != c.want {
				t.Errorf("line %d: %s\n got %s\nwant %s", c.line, c.query, s, c.want)
			}
		case "schema":
			got, err := f.schemaRun(c.query)
			if checkErr(t, c, err) {
				continue
			}
			if got != c.want {
				t.Errorf("line %d: %s\n got %s\nwant %s", c.line, c.query, got, c.want)
			}
		case "event":
			ev, err := ParseEvent(c.query, f.schema)
			if checkErr(t, c, err) {
				continue
			}
			got := "ok"
			if ev.TargetClass != "" {
				got += " target=" + ev.TargetClass
			}
			if got != c.want {
				t.Errorf("line %d: %s\n got %s\nwant %s", c.line, c.query, got, c.want)
			}
		default:
			t.Errorf("line %d: unknown kind %q", c.line, c.kind)
		}
	}
}

type result struct {
	ids    []string
	shapes []string
}

func (f *fixture) run(text string) (result, error) {
	q, err := Parse(text)
	if err != nil {
		return result{}, err
	}
	sq, ok := q.(*SelectQuery)
	if !ok {
		return result{}, cim.Errorf(cim.WBEM_E_INVALID_QUERY, "not a data query")
	}
	flt, err := Compile(sq, nil, f.schema)
	if err != nil {
		return result{}, err
	}
	var r result
	for _, inst := range f.insts {
		if !inst.Class().IsA(flt.Class().Name) || !flt.Match(inst) {
			continue
		}
		r.ids = append(r.ids, inst.Value("DeviceID").Str())
		p := flt.Project(inst)
		names := []string{p.ClassName()}
		for _, pr := range p.Class().Properties {
			names = append(names, pr.Name)
		}
		r.shapes = append(r.shapes, strings.Join(names, " "))
	}
	return r, nil
}

func (f *fixture) schemaRun(text string) (string, error) {
	q, err := Parse(text)
	if err != nil {
		return "", err
	}
	sq, ok := q.(*SchemaQuery)
	if !ok {
		return "", cim.Errorf(cim.WBEM_E_INVALID_QUERY, "not a schema query")
	}
	cf, err := CompileSchema(sq, f.schema)
	if err != nil {
		return "", err
	}
	var names []string
	for _, c := range f.schema.classes {
		if cf.Match(c) {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return "none", nil
	}
	return strings.Join(names, ", "), nil
}

// checkRoundTrip parses the print of q and compares the trees.
func checkRoundTrip(t testing.TB, text string, q Query) {
	t.Helper()
	printed := q.String()
	q2, err := Parse(printed)
	if err != nil {
		t.Fatalf("%q printed as %q, which does not parse: %v", text, printed, err)
	}
	if !reflect.DeepEqual(stripPos(q), stripPos(q2)) {
		t.Fatalf("%q printed as %q, which parses differently:\n%#v\n%#v", text, printed, stripPos(q), stripPos(q2))
	}
	if p2 := q2.String(); p2 != printed {
		t.Fatalf("%q printed as %q, then as %q", text, printed, p2)
	}
}

// stripPos returns a deep copy of q without positions, for comparing trees.
func stripPos(q Query) Query {
	switch q := q.(type) {
	case *SelectQuery:
		c := *q
		c.Props = stripProps(q.Props)
		c.By = stripProps(q.By)
		c.Where = stripExpr(q.Where)
		c.Having = stripExpr(q.Having)
		return &c
	case *SchemaQuery:
		return &SchemaQuery{Where: stripExpr(q.Where)}
	}
	return q
}

func stripProps(ps []Prop) []Prop {
	if ps == nil {
		return nil
	}
	out := make([]Prop, len(ps))
	for i, p := range ps {
		out[i] = Prop{Path: p.Path}
	}
	return out
}

func stripExpr(e Expr) Expr {
	switch e := e.(type) {
	case *Logical:
		l := &Logical{Op: e.Op}
		for _, x := range e.Operands {
			l.Operands = append(l.Operands, stripExpr(x))
		}
		return l
	case *Not:
		return &Not{X: stripExpr(e.X)}
	case *Comparison:
		c := *e
		c.Prop.Pos = 0
		return &c
	case *IsNull:
		c := *e
		c.Prop.Pos = 0
		return &c
	case *Isa:
		c := *e
		c.Prop.Pos = 0
		return &c
	case *Like:
		c := *e
		c.Prop.Pos = 0
		return &c
	}
	return e
}
