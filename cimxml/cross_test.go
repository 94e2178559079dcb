package cimxml_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// One object manager behind both protocols, with one set of users and one
// table of enumerations: what one protocol writes, the other and the
// in-process API read back the same.
func TestCrossProtocol(t *testing.T) {
	ctx := context.Background()
	om := interop.NewObjectManager(&workload.Provider{N: 20})
	authn := testAuthenticator()
	table := enumctx.New(4)
	cx := cimxml.NewServer(om, cimxml.Options{Authenticator: authn, ServerName: "testhost", Enumerations: table})
	ws := wsman.NewServer(om, wsman.Options{Authenticator: authn, ServerName: "testhost", Enumerations: table})
	hcx, hws := httptest.NewServer(cx), httptest.NewServer(ws)
	defer func() { cx.Close(); ws.Close(); hcx.Close(); hws.Close() }()
	creds := wbem.Credentials{User: testUser, Password: testPass}
	overCX, err := wbem.Connect(ctx, hcx.URL+"/cimom", workload.Namespace, creds)
	if err != nil {
		t.Fatal(err)
	}
	overWS, err := wbem.Connect(ctx, hws.URL+"/wsman", workload.Namespace, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer overCX.Backend().(*cimxml.Client).CloseIdleConnections()
	defer overWS.Backend().(*wsman.Client).CloseIdleConnections()
	local := om.Services(workload.Namespace)
	sides := map[string]*wbem.Services{"cimxml": overCX, "wsman": overWS, "in-process": local}

	when := cim.TimeValue(time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC))
	for _, writer := range []string{"cimxml", "wsman"} {
		svc := sides[writer]
		cr, err := svc.GetObject(ctx, "Test_Foo", 0)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := cr.ResultObject(0)
		inst := obj.(*cim.Class).NewInstance()
		id := "by-" + writer
		for k, v := range map[string]cim.Value{"Id": cim.String(id), "Count": cim.Uint32(42), "Flag": cim.Bool(true),
			"List": cim.Array(cim.TypeUint16, cim.Uint16(3), cim.Uint16(4)), "When": when, "Ratio": cim.Real64(-1.25), "Note": cim.String("<&>\"' ü")} {
			if err := inst.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
			t.Fatalf("PutInstance over %s: %v", writer, err)
		}
		for reader, rsvc := range sides {
			cr, err := rsvc.GetObject(ctx, `Test_Foo.Id="`+id+`"`, 0)
			if err != nil {
				t.Fatalf("%s reads what %s wrote: %v", reader, writer, err)
			}
			got, _ := cr.ResultObject(0)
			for i, p := range inst.Class().Properties {
				v, err := got.Get(p.Name)
				if err != nil || !cim.Equal(v, inst.At(i)) || v.Type() != inst.At(i).Type() {
					t.Errorf("%s reads %s.%s written over %s as %#v, want %#v", reader, id, p.Name, writer, v, inst.At(i))
				}
			}
			if p, _ := got.Get("__PATH"); p.Str() != `\\testhost\root\cimv2:Test_Foo.Id="`+id+`"` {
				t.Errorf("%s: __PATH %q", reader, p.Str())
			}
		}
	}
	// A class defined over CIM-XML is the same class over WS-Management.
	if _, err := overCX.PutClass(ctx, &cim.Class{Name: "GW_Cross", Superclass: "GW_Base", Properties: []cim.Property{{Name: "Extra", Type: cim.TypeSint64, Default: cim.Sint64(-7)}}}, 0); err != nil {
		t.Fatal(err)
	}
	for name, svc := range sides {
		cr, err := svc.GetObject(ctx, "GW_Cross", 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		obj, _ := cr.ResultObject(0)
		c := obj.(*cim.Class)
		if p, ok := c.Property("Extra"); !ok || !cim.Equal(p.Default, cim.Sint64(-7)) || c.PropertyIndex("Name") < 0 || len(c.Derivation) != 1 || !c.Properties[0].IsKey() {
			t.Errorf("%s sees GW_Cross as %+v", name, c)
		}
	}
	// The same query gives the same rows everywhere.
	counts := map[string]int{}
	for name, svc := range sides {
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT Id FROM GW_Item WHERE Id >= 10", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := e.Collect(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		counts[name] = len(objs)
	}
	if counts["cimxml"] != 10 || counts["wsman"] != 10 || counts["in-process"] != 10 {
		t.Fatalf("rows: %v", counts)
	}
	// Deleted over one protocol, gone over the other.
	if _, err := overWS.DeleteInstance(ctx, `Test_Foo.Id="by-cimxml"`, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := overCX.GetObject(ctx, `Test_Foo.Id="by-cimxml"`, 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Fatalf("GetObject over CIM-XML of an instance deleted over WS-Man: %v", err)
	}
}
