package wsman_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// Every CIM type survives Put and Get through the client and the server
// (DSP0230 on the wire both ways), and so does the class definition.
func TestValueRoundTrip(t *testing.T) {
	e := newEnv(t, nil, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "")
	ctx := context.Background()
	cls := &cim.Class{Name: "GW_AllTypes", Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.String("all <types> & more"), Flavor: cim.FlavorToSubclass}},
		Properties: []cim.Property{
			{Name: "K", Type: cim.TypeString, Qualifiers: keyQ},
			{Name: "S8", Type: cim.TypeSint8}, {Name: "U8", Type: cim.TypeUint8},
			{Name: "S16", Type: cim.TypeSint16}, {Name: "U16", Type: cim.TypeUint16},
			{Name: "S32", Type: cim.TypeSint32}, {Name: "U32", Type: cim.TypeUint32},
			{Name: "S64", Type: cim.TypeSint64}, {Name: "U64", Type: cim.TypeUint64},
			{Name: "R32", Type: cim.TypeReal32}, {Name: "R64", Type: cim.TypeReal64}, {Name: "Inf", Type: cim.TypeReal64},
			{Name: "B", Type: cim.TypeBoolean}, {Name: "C", Type: cim.TypeChar16},
			{Name: "Str", Type: cim.TypeString}, {Name: "Spaces", Type: cim.TypeString}, {Name: "Empty", Type: cim.TypeString},
			{Name: "When", Type: cim.TypeDatetime}, {Name: "Zone", Type: cim.TypeDatetime}, {Name: "Span", Type: cim.TypeDatetime},
			{Name: "Wild", Type: cim.TypeDatetime},
			{Name: "Ref", Type: cim.TypeReference, RefClass: "Test_Foo"}, {Name: "RefInt", Type: cim.TypeReference},
			{Name: "Obj", Type: cim.TypeObject},
			{Name: "Nums", Type: cim.TypeUint32.ArrayOf()}, {Name: "Strs", Type: cim.TypeString.ArrayOf()},
			{Name: "NoArr", Type: cim.TypeString.ArrayOf()}, {Name: "EmptyArr", Type: cim.TypeString.ArrayOf()},
			{Name: "Dates", Type: cim.TypeDatetime.ArrayOf()},
			{Name: "Null", Type: cim.TypeUint32, Default: cim.Uint32(7)},
		},
		Methods: []cim.Method{{Name: "M", ReturnType: cim.TypeUint32, Params: []cim.Parameter{{Name: "A", Type: cim.TypeString.ArrayOf(), Qualifiers: inQ}}}},
	}
	mustPutClass(t, svc, cls)
	got := getClass(t, svc, "GW_AllTypes")
	if len(got.Properties) != len(cls.Properties) || got.Qualifiers.Value("Description").Str() != "all <types> & more" ||
		got.Properties[len(got.Properties)-1].Default.Uint() != 7 || got.Properties[0].IsKey() != true ||
		len(got.Methods) != 1 || got.Methods[0].Params[0].Type != cim.TypeString.ArrayOf() || got.Properties[21].RefClass != "Test_Foo" {
		t.Fatalf("class definition did not survive: %+v", got)
	}
	embedded := getClass(t, svc, "Test_Foo").NewInstance()
	embedded.Set("Id", cim.String("inner"))
	embedded.Set("Count", cim.Uint32(3))
	vals := map[string]cim.Value{
		"K": cim.String("k1"), "S8": cim.Sint8(-128), "U8": cim.Uint8(255), "S16": cim.Sint16(-32768), "U16": cim.Uint16(65535),
		"S32": cim.Sint32(math.MinInt32), "U32": cim.Uint32(math.MaxUint32), "S64": cim.Sint64(math.MinInt64), "U64": cim.Uint64(math.MaxUint64),
		"R32": cim.Real32(1.25e-7), "R64": cim.Real64(math.Pi), "Inf": cim.Real64(math.Inf(-1)), "B": cim.Bool(true), "C": cim.Char16('é'),
		"Str": cim.String("a <b> & \"c\" 'd' ]]> \u00e9\U0001F600"), "Spaces": cim.String("  lead and trail  \n\tx"), "Empty": cim.String(""),
		"When": cim.TimeValue(time.Date(2025, 12, 31, 23, 59, 58, 123456000, time.UTC)),
		"Zone": cim.TimeValue(time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("", -150*60))),
		"Span": cim.IntervalValue(49*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Microsecond),
		"Wild": cim.String("2025**********.******+***"),
		"Ref":  cim.RefString(`Test_Foo.Id="a"`), "RefInt": cim.RefString(`GW_Item.Id=5`),
		"Obj":   cim.Embedded(embedded),
		"Nums":  cim.Array(cim.TypeUint32, cim.Uint32(1), cim.Uint32(2), cim.Uint32(3)),
		"Strs":  cim.Array(cim.TypeString, cim.String("x"), cim.String(""), cim.String("<z>")),
		"NoArr": cim.Null, "EmptyArr": cim.Array(cim.TypeString),
		"Dates": cim.Array(cim.TypeDatetime, cim.IntervalValue(time.Second), cim.TimeValue(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))),
		"Null":  cim.Null,
	}
	mustPut(t, svc, "GW_AllTypes", vals)
	cr, err := svc.GetObject(ctx, `GW_AllTypes.K="k1"`, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	inst := obj.(*cim.Instance)
	for name, want := range vals {
		v := inst.Value(name)
		switch name {
		case "Obj":
			in := v.Instance()
			if in == nil || in.ClassName() != "Test_Foo" || in.Value("Id").Str() != "inner" || in.Value("Count").Uint() != 3 {
				t.Errorf("embedded instance: %v", v)
			}
			continue
		case "Wild":
			want, _ = want.Convert(cim.TypeDatetime)
		case "EmptyArr":
			// DSP0230 writes an empty array as no element at all: it reads
			// back as NULL.
			if !v.IsNull() {
				t.Errorf("EmptyArr = %#v", v)
			}
			continue
		}
		if v.Type() != want.Type() && !want.IsNull() {
			t.Errorf("%s: type %v, want %v", name, v.Type(), want.Type())
		}
		if !cim.Equal(v, want) || v.Str() != want.Str() {
			t.Errorf("%s = %#v, want %#v", name, v, want)
		}
	}
	if p, _ := inst.Get("__PATH"); p.Str() != `\\testhost\root\cimv2:GW_AllTypes.K="k1"` {
		t.Errorf("__PATH = %v", p)
	}
}

func getClass(t *testing.T, svc *wbem.Services, name string) *cim.Class {
	t.Helper()
	cr, err := svc.GetObject(context.Background(), name, 0)
	if err != nil {
		t.Fatalf("GetObject %s: %v", name, err)
	}
	obj, _ := cr.ResultObject(0)
	return obj.(*cim.Class)
}

// A query's projection arrives as an instance of the projected class, NULLs
// and all, as it does in-process.
func TestProjection(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 3}, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "")
	local := e.om.Services(workload.Namespace)
	q := "SELECT Id, Note FROM Test_Foo WHERE Id = 'b'"
	for name, s := range map[string]*wbem.Services{"local": local, "wsman": svc} {
		en, err := s.ExecQuery(context.Background(), "WQL", q, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		objs, err := en.Collect(context.Background())
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d objects, %v", name, len(objs), err)
		}
		inst := objs[0].(*cim.Instance)
		if inst.Len() != 2 || inst.Value("Id").Str() != "b" || !inst.Value("Note").IsNull() || !inst.Value("Count").IsNull() {
			t.Fatalf("%s: projection has %d properties: Id %v Note %v Count %v", name, inst.Len(), inst.Value("Id"), inst.Value("Note"), inst.Value("Count"))
		}
	}
}
