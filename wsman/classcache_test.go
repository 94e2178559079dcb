package wsman_test

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The client's class cache follows its rule (see internal/classcache): a schema
// write it cannot see (made in-process, behind the server) does not make it
// misread an object, and its own schema writes empty it.
func TestClientClassCache(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, &workload.Provider{}, wsman.Options{})
	local := e.om.Services(workload.Namespace)
	remote := e.connect(t, testUser, testPass, "")
	get := func(path string) *cim.Instance {
		t.Helper()
		cr, err := remote.GetObject(ctx, path, 0)
		if err != nil {
			t.Fatalf("GetObject %s: %v", path, err)
		}
		obj, err := cr.ResultObject(wbem.Infinite)
		if err != nil {
			t.Fatal(err)
		}
		return obj.(*cim.Instance)
	}
	class := func(nType cim.Type, extra ...cim.Property) *cim.Class {
		return &cim.Class{Name: "Test_Cache", Properties: append([]cim.Property{
			{Name: "Id", Type: cim.TypeString, Qualifiers: keyQ}, {Name: "N", Type: nType}}, extra...)}
	}
	force := func(svc *wbem.Services, c *cim.Class) {
		t.Helper()
		if _, err := svc.PutClass(ctx, c, wbem.WBEM_FLAG_UPDATE_FORCE_MODE); err != nil {
			t.Fatalf("PutClass: %v", err)
		}
	}
	mustPutClass(t, local, class(cim.TypeUint32))
	mustPut(t, local, "Test_Cache", map[string]cim.Value{"Id": cim.String("a"), "N": cim.Uint32(1)})
	if v := get(`Test_Cache.Id="a"`).Value("N"); v.Uint() != 1 {
		t.Fatalf("N = %s", v)
	}

	// Behind the client's back: a new property.
	force(local, class(cim.TypeUint32, cim.Property{Name: "Extra", Type: cim.TypeString}))
	mustPut(t, local, "Test_Cache", map[string]cim.Value{"Id": cim.String("a"), "N": cim.Uint32(2), "Extra": cim.String("x")})
	if inst := get(`Test_Cache.Id="a"`); inst.Value("Extra").Str() != "x" || inst.Value("N").Uint() != 2 {
		t.Errorf("after a property was added: %v", inst)
	}

	// Behind the client's back: a property of another type.
	if _, err := local.DeleteClass(ctx, "Test_Cache", 0); err != nil {
		t.Fatal(err)
	}
	mustPutClass(t, local, class(cim.TypeString))
	mustPut(t, local, "Test_Cache", map[string]cim.Value{"Id": cim.String("a"), "N": cim.String("many")})
	if inst := get(`Test_Cache.Id="a"`); inst.Value("N").Str() != "many" || inst.Class().Properties[1].Type != cim.TypeString {
		t.Errorf("after a property changed its type: %v", inst)
	}

	// The client's own schema write: a property it removes is gone at once.
	c := class(cim.TypeString)
	c.Properties = c.Properties[:1]
	force(remote, c)
	if inst := get(`Test_Cache.Id="a"`); inst.Class().PropertyIndex("N") >= 0 {
		t.Errorf("after the client's own PutClass the instance still has N: %v", inst)
	}
}
