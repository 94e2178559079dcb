package cimom_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// linkProvider serves the dynamic association GW_ItemLink: GW_Base "A" is
// linked to the workload items 1 and 2.
type linkProvider struct{}

func (linkProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for _, id := range []int{1, 2} {
		inst := class.NewInstance()
		inst.Set("Owner", cim.RefString(`GW_Base.Name="A"`))
		inst.Set("Item", cim.RefString("GW_Item.Id="+string(rune('0'+id))))
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (linkProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

// dataset returns services over the workload (N items) and this data set:
// GW_Base A(1), B(7), C(9); GW_Child D(20); static links A→B, A→D, C→A;
// dynamic links A→item 1, A→item 2.
func dataset(t *testing.T, p *workload.Provider) *wbem.Services {
	t.Helper()
	ctx := context.Background()
	om := workload.NewObjectManager(p)
	om.RegisterProvider("Links", linkProvider{})
	svc := om.Services(workload.Namespace)
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	if _, err := svc.PutClass(ctx, &cim.Class{Name: "GW_ItemLink",
		Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}, {Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("Links")}},
		Properties: []cim.Property{
			{Name: "Owner", Type: cim.TypeReference, RefClass: "GW_Base", Qualifiers: key},
			{Name: "Item", Type: cim.TypeReference, RefClass: "GW_Item", Qualifiers: key},
		}}, 0); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		class, name string
		size        uint32
	}{{"GW_Base", "A", 1}, {"GW_Base", "B", 7}, {"GW_Base", "C", 9}, {"GW_Child", "D", 20}} {
		c := class(t, svc, b.class)
		inst := c.NewInstance()
		inst.Set("Name", cim.String(b.name))
		inst.Set("Size", cim.Uint32(b.size))
		if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
			t.Fatal(err)
		}
	}
	link := class(t, svc, "GW_Link")
	for _, l := range [][2]string{{"A", "B"}, {"A", "D"}, {"C", "A"}} {
		inst := link.NewInstance()
		inst.Set("Left", cim.RefString(`GW_Base.Name="`+l[0]+`"`))
		inst.Set("Right", cim.RefString(`GW_Base.Name="`+l[1]+`"`))
		if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

func class(t *testing.T, svc *wbem.Services, name string) *cim.Class {
	t.Helper()
	cr, err := svc.GetObject(context.Background(), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	return obj.(*cim.Class)
}

// describe prints each result as Class:Name (or Class:Id, or Class for a
// class), sorted, so duplicates stay visible.
func describe(objs []cim.Object) string {
	var out []string
	for _, o := range objs {
		if o.Genus() == cim.GenusClass {
			out = append(out, "class "+o.ClassName())
			continue
		}
		s := o.ClassName()
		if v, err := o.Get("Name"); err == nil && !v.IsNull() && o.ClassName() != "GW_Item" {
			s += ":" + v.Text()
		} else if v, err := o.Get("Id"); err == nil && !v.IsNull() {
			s += ":" + v.Text()
		} else if v, err := o.Get("Left"); err == nil {
			r, _ := o.Get("Right")
			s += ":" + v.Text() + "->" + r.Text()
		} else if v, err := o.Get("Owner"); err == nil {
			s += ":" + v.Text()
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestQueries(t *testing.T) {
	svc := dataset(t, &workload.Provider{N: 20})
	ctx := context.Background()
	for _, tc := range []struct {
		query string
		flags wbem.Flag
		want  string
		code  cim.Status
	}{
		{query: "SELECT * FROM GW_Base", want: "GW_Base:A GW_Base:B GW_Base:C GW_Child:D"},
		{query: "SELECT * FROM GW_Base WHERE Size > 5", want: "GW_Base:B GW_Base:C GW_Child:D"},
		{query: "SELECT Name FROM GW_Base WHERE Size > 5 AND NOT Name = 'c'", want: "GW_Base:B GW_Child:D"},
		{query: `SELECT * FROM GW_Base WHERE __CLASS = "GW_Child"`, want: "GW_Child:D"},
		{query: `SELECT * FROM GW_Base WHERE Name LIKE "[a-b]%"`, want: "GW_Base:A GW_Base:B"},
		{query: "SELECT * FROM GW_Base", flags: wbem.WBEM_FLAG_SHALLOW | wbem.WBEM_FLAG_DIRECT_READ, code: cim.WBEM_E_INVALID_PARAMETER},
		{query: "SELECT * FROM GW_Base", flags: wbem.WBEM_FLAG_DIRECT_READ, want: "GW_Base:A GW_Base:B GW_Base:C"},
		{query: "SELECT * FROM GW_Item WHERE Id = 5 OR Id = 7", want: "GW_Item:5 GW_Item:7"},
		{query: "SELECT * FROM GW_Item WHERE Name = 'ITEM-11'", want: "GW_Item:11"},
		{query: "SELECT * FROM GW_Item WHERE Id < 3 AND Active = TRUE", want: "GW_Item:0 GW_Item:2"},
		{query: "SELECT * FROM meta_class WHERE __THIS ISA 'GW_Base'", want: "class GW_Base class GW_Child class GW_Grand"},
		{query: "SELECT * FROM meta_class WHERE __SUPERCLASS = 'GW_Base'", want: "class GW_Child"},
		{query: "SELECT * FROM meta_class WHERE __CLASS LIKE 'GW[_]L%'", want: "class GW_Link"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"}`, want: "GW_Base:B GW_Base:C GW_Child:D GW_Item:1 GW_Item:2"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE ResultClass = GW_Child`, want: "GW_Child:D"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE AssocClass = GW_Link Role = Left`, want: "GW_Base:B GW_Child:D"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE ResultRole = Left`, want: "GW_Base:C"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE AssocClass = GW_ItemLink`, want: "GW_Item:1 GW_Item:2"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE ClassDefsOnly`, want: "class GW_Base class GW_Child class GW_Item"},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE RequiredAssocQualifier = Dynamic`, want: "GW_Item:1 GW_Item:2"},
		{query: `ASSOCIATORS OF {GW_Base.Name="Z"}`, code: cim.WBEM_E_NOT_FOUND},
		{query: `ASSOCIATORS OF {GW_Base.Name="A"} WHERE ClassDefsOnly ResultClass = GW_Base`, code: cim.WBEM_E_INVALID_QUERY},
		{query: `REFERENCES OF {GW_Base.Name="A"}`, want: `GW_ItemLink:GW_Base.Name="A" GW_ItemLink:GW_Base.Name="A" GW_Link:GW_Base.Name="A"->GW_Base.Name="B" GW_Link:GW_Base.Name="A"->GW_Base.Name="D" GW_Link:GW_Base.Name="C"->GW_Base.Name="A"`},
		{query: `REFERENCES OF {GW_Base.Name="B"} WHERE ResultClass = GW_Link`, want: `GW_Link:GW_Base.Name="A"->GW_Base.Name="B"`},
		{query: `REFERENCES OF {GW_Base.Name="A"} WHERE Role = Right`, want: `GW_Link:GW_Base.Name="C"->GW_Base.Name="A"`},
		{query: `REFERENCES OF {GW_Base.Name="A"} WHERE ClassDefsOnly`, want: "class GW_ItemLink class GW_Link"},
		{query: `REFERENCES OF {GW_Base} WHERE SchemaOnly`, want: "class GW_ItemLink class GW_Link"},
		{query: `ASSOCIATORS OF {GW_Child} WHERE SchemaOnly`, want: "class GW_Base class GW_Base class GW_Item"},
		{query: "SELECT * FROM NoSuch", code: cim.WBEM_E_INVALID_CLASS},
		{query: "SELECT Nope FROM GW_Base", code: cim.WBEM_E_INVALID_QUERY},
		{query: "SELECT * FROM GW_Base WHERE Size LIKE 'x'", code: cim.WBEM_E_INVALID_OPERATOR},
		{query: "SELECT * FROM __InstanceCreationEvent", code: cim.WBEM_E_INVALID_QUERY},
	} {
		e, err := svc.ExecQuery(ctx, "WQL", tc.query, tc.flags)
		var objs []cim.Object
		if err == nil {
			objs, err = e.Collect(ctx)
		}
		if tc.code != 0 {
			if cim.StatusOf(err) != tc.code {
				t.Errorf("%s: %v, want %v", tc.query, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		if got := describe(objs); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.query, got, tc.want)
		}
	}
}

// A projection keeps the selected properties and WMI's system properties;
// paths only with all keys or ENSURE_LOCATABLE; PROTOTYPE returns the shape.
func TestProjection(t *testing.T) {
	svc := dataset(t, &workload.Provider{})
	ctx := context.Background()
	get := func(flags wbem.Flag) cim.Object {
		e, err := svc.ExecQuery(ctx, "WQL", `SELECT Size FROM GW_Base WHERE Name = "B"`, flags)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := e.Collect(ctx)
		if err != nil || len(objs) != 1 {
			t.Fatalf("got %v, %v", objs, err)
		}
		return objs[0]
	}
	o := get(0)
	for prop, want := range map[string]string{"Size": "7", "__CLASS": "GW_Base", "__PROPERTY_COUNT": "1", "__RELPATH": "", "__PATH": ""} {
		if v, err := o.Get(prop); err != nil || v.Text() != want {
			t.Errorf("%s = %q, %v; want %q", prop, v.Text(), err, want)
		}
	}
	if _, err := o.Get("Name"); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("projected object has Name: %v", err)
	}
	o = get(wbem.WBEM_FLAG_ENSURE_LOCATABLE)
	if v, _ := o.Get("__RELPATH"); v.Text() != `GW_Base.Name="B"` {
		t.Errorf("ENSURE_LOCATABLE __RELPATH = %q", v.Text())
	}
	if v, _ := o.Get("__PATH"); v.Text() != `\\testhost\root\cimv2:GW_Base.Name="B"` {
		t.Errorf("ENSURE_LOCATABLE __PATH = %q", v.Text())
	}
	o = get(wbem.WBEM_FLAG_PROTOTYPE)
	if o.Genus() != cim.GenusClass || len(o.(*cim.Class).Properties) != 1 {
		t.Errorf("PROTOTYPE gave %v", o)
	}
}

// Push-down: a provider that takes the query reads only what the WHERE clause
// names; one that ignores it is still filtered correctly.
func TestPushDown(t *testing.T) {
	p := &workload.Provider{N: 1_000_000}
	svc := dataset(t, p)
	ctx := context.Background()
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT Name FROM GW_Item WHERE Id = 777777", 0)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := e.Collect(ctx)
	if err != nil || len(objs) != 1 {
		t.Fatalf("got %v, %v", objs, err)
	}
	if v, _ := objs[0].Get("Name"); v.Str() != "item-777777" {
		t.Fatalf("Name = %v", v)
	}
	if n := p.Emitted.Load(); n != 0 || p.Started.Load() != 0 {
		t.Fatalf("provider enumerated (%d emitted) instead of taking the key from the query", n)
	}
}

// hintRecorder records the hint a query pushes down.
type hintRecorder struct {
	workload.Provider
	hint *provider.Hint
}

func (h *hintRecorder) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	h.hint = hint
	return h.Provider.ExecQuery(ctx, class, hint, out)
}

// The hint names every property the provider must fill in: the SELECT list
// and the properties the WHERE clause reads.
func TestHintProperties(t *testing.T) {
	rec := &hintRecorder{Provider: workload.Provider{N: 10}}
	om := workload.NewObjectManager(&rec.Provider)
	om.RegisterProvider(workload.ProviderName, rec)
	svc := om.Services(workload.Namespace)
	ctx := context.Background()
	for q, want := range map[string]string{
		"SELECT Name FROM GW_Item WHERE Size > 4096 AND NOT (Owner LIKE 'x%' OR __CLASS = 'GW_Item')": "Name Size Owner",
		"SELECT * FROM GW_Item WHERE Size > 4096":                                                     "",
		"SELECT Name, Id FROM GW_Item":                                                                "Name Id",
	} {
		e, err := svc.ExecQuery(ctx, "WQL", q, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		if got := strings.Join(rec.hint.Properties, " "); got != want {
			t.Errorf("%s: hint properties %q, want %q", q, got, want)
		}
	}
}
