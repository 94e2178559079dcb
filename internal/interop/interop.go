// Package interop holds the test data of the interop matrix of
// protocols.md §3.6 — the classes Test_Foo (with the methods DoIt and
// StaticM), the association Test_Dep, Test_Obsolete (to delete) and
// CIM_ComputerSystem below an abstract CIM_ManagedElement, and their
// instances — for the tests that drive real third-party clients and those
// that compare the protocols.
package interop

import (
	"context"
	"fmt"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// ProviderName is the provider of Test_Foo's methods.
const ProviderName = "TestMethods"

// NewObjectManager returns workload.NewObjectManager(p) with the interop
// data set up in workload.Namespace.
func NewObjectManager(p *workload.Provider, opts ...cimom.Option) *cimom.ObjectManager {
	if p == nil {
		p = &workload.Provider{}
	}
	om := workload.NewObjectManager(p, append([]cimom.Option{cimom.WithMethodProvider(ProviderName, Methods{})}, opts...)...)
	if err := Setup(context.Background(), om.Services(workload.Namespace)); err != nil {
		panic(err)
	}
	return om
}

var (
	keyQ = cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	inQ  = cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}
	outQ = cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}}
)

// Classes returns the matrix's classes.
func Classes() []*cim.Class {
	return []*cim.Class{
		{Name: "Test_Foo",
			Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String(ProviderName)}},
			Properties: []cim.Property{
				{Name: "Id", Type: cim.TypeString, Qualifiers: keyQ},
				{Name: "Count", Type: cim.TypeUint32},
				{Name: "Flag", Type: cim.TypeBoolean},
				{Name: "List", Type: cim.TypeUint16.ArrayOf()},
				{Name: "When", Type: cim.TypeDatetime},
				{Name: "Ratio", Type: cim.TypeReal64},
				{Name: "Note", Type: cim.TypeString},
			},
			Methods: []cim.Method{
				{Name: "DoIt", ReturnType: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Implemented", Value: cim.Bool(true)}},
					Params: []cim.Parameter{{Name: "X", Type: cim.TypeUint32, Qualifiers: inQ}, {Name: "Y", Type: cim.TypeString, Qualifiers: inQ},
						{Name: "Out", Type: cim.TypeString, Qualifiers: outQ}}},
				{Name: "StaticM", ReturnType: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}, {Name: "Implemented", Value: cim.Bool(true)}}},
			},
		},
		{Name: "Test_Dep", Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}},
			Properties: []cim.Property{
				{Name: "Antecedent", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
				{Name: "Dependent", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
			}},
		{Name: "Test_Obsolete", Properties: []cim.Property{{Name: "K", Type: cim.TypeString, Qualifiers: keyQ}}},
		{Name: "CIM_ManagedElement", Qualifiers: cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}, Properties: []cim.Property{
			{Name: "Caption", Type: cim.TypeString},
			{Name: "Description", Type: cim.TypeString},
		}},
		{Name: "CIM_ComputerSystem", Superclass: "CIM_ManagedElement", Properties: []cim.Property{
			{Name: "CreationClassName", Type: cim.TypeString, Qualifiers: keyQ},
			{Name: "Name", Type: cim.TypeString, Qualifiers: keyQ},
		}},
	}
}

// Setup puts the matrix's classes and instances into svc's namespace:
// Test_Foo "a" and "b", Test_Dep from a to b, and three CIM_ComputerSystem.
func Setup(ctx context.Context, svc *wbem.Services) error {
	for _, c := range Classes() {
		if _, err := svc.PutClass(ctx, c, 0); err != nil {
			return fmt.Errorf("class %s: %w", c.Name, err)
		}
	}
	when := cim.TimeValue(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	for _, in := range []struct {
		class string
		vals  map[string]cim.Value
	}{
		{"Test_Foo", map[string]cim.Value{"Id": cim.String("a"), "Count": cim.Uint32(11), "Flag": cim.Bool(true),
			"List": cim.Array(cim.TypeUint16, cim.Uint16(1), cim.Uint16(2)), "When": when, "Ratio": cim.Real64(0.5), "Note": cim.String("x < y & z")}},
		{"Test_Foo", map[string]cim.Value{"Id": cim.String("b"), "Count": cim.Uint32(12), "Flag": cim.Bool(false),
			"When": cim.IntervalValue(90 * time.Minute)}},
		{"Test_Dep", map[string]cim.Value{"Antecedent": cim.RefString(`Test_Foo.Id="a"`), "Dependent": cim.RefString(`Test_Foo.Id="b"`)}},
		{"CIM_ComputerSystem", map[string]cim.Value{"CreationClassName": cim.String("CIM_ComputerSystem"), "Name": cim.String("cs1"), "Description": cim.String("system")}},
		{"CIM_ComputerSystem", map[string]cim.Value{"CreationClassName": cim.String("CIM_ComputerSystem"), "Name": cim.String("cs2"), "Description": cim.String("system")}},
		{"CIM_ComputerSystem", map[string]cim.Value{"CreationClassName": cim.String("CIM_ComputerSystem"), "Name": cim.String("cs3"), "Description": cim.String("system")}},
	} {
		cr, err := svc.GetObject(ctx, in.class, 0)
		if err != nil {
			return err
		}
		obj, _ := cr.ResultObject(0)
		inst := obj.(*cim.Class).NewInstance()
		for k, v := range in.vals {
			if err := inst.Set(k, v); err != nil {
				return fmt.Errorf("%s.%s: %w", in.class, k, err)
			}
		}
		if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
			return fmt.Errorf("instance of %s: %w", in.class, err)
		}
	}
	return nil
}

// Methods implements Test_Foo's methods: DoIt answers Out = "did X=… Y=…
// on <path>" and ReturnValue 0; StaticM returns 0.
type Methods struct{}

// ExecMethod implements provider.MethodProvider.
func (Methods) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	if cim.EqualFold(call.Method.Name, "DoIt") {
		out.Set("Out", cim.String(fmt.Sprintf("did X=%d Y=%s on %s", call.In.Value("X").Uint(), call.In.Value("Y").Str(), call.Path.RelPath())))
	}
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}
