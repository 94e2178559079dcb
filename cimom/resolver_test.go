package cimom_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// resolver serves the workload provider under its name in one namespace.
type resolver struct {
	ns    string
	p     any
	err   error
	asked []string
}

func (r *resolver) ResolveProvider(ctx context.Context, ns, name string) (any, error) {
	r.asked = append(r.asked, ns+":"+name)
	if r.err != nil {
		return nil, r.err
	}
	if ns == r.ns && name == workload.ProviderName {
		return r.p, nil
	}
	return nil, nil
}

func TestProviderResolver(t *testing.T) {
	ctx := context.Background()
	r := &resolver{ns: `root\cimv2`, p: &workload.Provider{N: 3}}
	om := cimom.NewMemory(cimom.WithProviderResolver(r))
	svc := om.Services(`root\cimv2`)
	if err := workload.Setup(ctx, svc); err != nil {
		t.Fatal(err)
	}
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.Collect(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("got %d instances, %v", len(all), err)
	}
	if len(r.asked) == 0 || r.asked[0] != `root\cimv2:`+workload.ProviderName {
		t.Errorf("the resolver was asked %q", r.asked)
	}

	// A provider registered in Go comes first.
	r.asked = nil
	om.RegisterProvider(workload.ProviderName, &workload.Provider{N: 1})
	if e, err = svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_FORWARD_ONLY); err != nil {
		t.Fatal(err)
	}
	if all, err = e.Collect(ctx); err != nil || len(all) != 1 || len(r.asked) != 0 {
		t.Errorf("got %d instances, %v; resolver asked %q", len(all), err, r.asked)
	}

	// The resolver's error is the call's; nothing found is PROVIDER_NOT_FOUND.
	r2 := &resolver{err: &cim.Error{Status: cim.WBEM_E_PROVIDER_LOAD_FAILURE, Description: "broken registration"}}
	om2 := cimom.NewMemory(cimom.WithProviderResolver(r2))
	svc2 := om2.Services(`root\cimv2`)
	if err := workload.Setup(ctx, svc2); err != nil {
		t.Fatal(err)
	}
	e, err = svc2.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_FORWARD_ONLY)
	if err == nil {
		_, err = e.Next(wbem.Infinite, make([]cim.Object, 1))
	}
	if !errors.Is(err, &cim.Error{Status: cim.WBEM_E_PROVIDER_LOAD_FAILURE}) {
		t.Errorf("resolver error: %v", err)
	}
	r2.err = nil
	r2.ns = "elsewhere"
	res, err := svc2.ExecMethod(ctx, "GW_Item", "Echo", nil, 0)
	if err == nil {
		_, err = res.CallStatus(wbem.Infinite)
	}
	if !errors.Is(err, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED}) && err != io.EOF {
		t.Errorf("no provider for a method: %v", err)
	}
}

// The classes of WithSystemClasses are in every namespace: root and
// root\cimv2, one that existed before the object manager was made with
// them (a repository of an earlier start), and those made later by
// __NAMESPACE and by a MOF's #pragma namespace.
func TestWithSystemClasses(t *testing.T) {
	ctx := context.Background()
	extra := cimom.WithSystemClasses(&cim.Class{Name: "__Extra", Superclass: "__SystemClass",
		Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}},
		&cim.Class{Name: "__ExtraChild", Superclass: "__Extra"})
	store := repository.NewMemory()
	before, err := cimom.New(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	mkNamespace := func(om *cimom.ObjectManager, parent, name string) {
		t.Helper()
		c, err := om.Services(parent).GetObject(ctx, "__NAMESPACE", 0)
		if err != nil {
			t.Fatal(err)
		}
		class, err := c.ResultObject(wbem.Infinite)
		if err != nil {
			t.Fatal(err)
		}
		inst := class.(*cim.Class).NewInstance()
		inst.Set("Name", cim.String(name))
		r, err := om.Services(parent).PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY)
		if err == nil {
			_, err = r.CallStatus(wbem.Infinite)
		}
		if err != nil {
			t.Fatalf("creating %s\\%s: %v", parent, name, err)
		}
	}
	mkNamespace(before, "root", "old")
	mkNamespace(before, `root\old`, "older")

	om, err := cimom.New(ctx, store, extra)
	if err != nil {
		t.Fatal(err)
	}
	has := func(ns string) {
		t.Helper()
		for _, name := range []string{"__Extra", "__ExtraChild"} {
			r, err := om.Services(ns).GetObject(ctx, name, 0)
			if err == nil {
				_, err = r.ResultObject(wbem.Infinite)
			}
			if err != nil {
				t.Errorf("%s: %s: %v", ns, name, err)
			}
		}
	}
	for _, ns := range []string{"root", `root\cimv2`, `root\old`, `root\old\older`} {
		has(ns)
	}
	mkNamespace(om, `root\cimv2`, "later")
	has(`root\cimv2\later`)
	fsys := fstest.MapFS{"ns.mof": {Data: []byte("#pragma namespace(\"\\\\\\\\.\\\\root\\\\app\\\\deep\")\nclass App_Thing { [Key] uint32 Id; };\n")}}
	if _, err := om.CompileMOF(ctx, fsys, "ns.mof", `root\cimv2`); err != nil {
		t.Fatal(err)
	}
	has(`root\app`)
	has(`root\app\deep`)
}
