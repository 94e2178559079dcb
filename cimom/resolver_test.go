package cimom_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
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

func TestWithSystemClasses(t *testing.T) {
	ctx := context.Background()
	om := cimom.NewMemory(cimom.WithSystemClasses(&cim.Class{Name: "__Extra", Superclass: "__SystemClass",
		Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}))
	for _, ns := range []string{"root", `root\cimv2`} {
		r, err := om.Services(ns).GetObject(ctx, "__Extra", 0)
		if err == nil {
			_, err = r.ResultObject(wbem.Infinite)
		}
		if err != nil {
			t.Errorf("%s: %v", ns, err)
		}
	}
}
