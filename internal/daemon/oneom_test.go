package daemon

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// TestOneObjectManagerBothProtocols checks, on the real daemon, that
// WS-Management and CIM-XML serve one object manager and one set of users:
// a user added to the daemon's users file while it runs logs in over both
// (and a wrong password is refused over both, a removed user too), a class
// and an instance created over CIM-XML are read over WS-Management, a
// modification over WS-Management is read over CIM-XML, and a deletion over
// one is seen over the other, and one user's open enumerations over both
// count against one limit. A daemon that built an object manager, a users
// list or a table of enumerations per protocol fails it.
func TestOneObjectManagerBothProtocols(t *testing.T) {
	dir := t.TempDir()
	cx := make(chan net.Addr, 1)
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", CIMXMLAddr: "127.0.0.1:0",
		CIMXMLReady: func(h, _ net.Addr) { cx <- h }, Install: installWorkload(1 << 30)})
	var cxAddr net.Addr
	select {
	case cxAddr = <-cx:
	case <-time.After(time.Minute):
		t.Fatalf("CIM-XML not ready\n%s", s.log)
	}
	urls := map[string]string{"wsman": "http://" + s.http.String() + Path, "cimxml": "http://" + cxAddr.String() + CIMXMLPath}
	ctx := context.Background()
	sd := []string{"--state-dir", dir, "--bcrypt-cost", "4"}
	if code, _, e := runUsers(t, "pw-carol\n", append(sd, "add", "carol", "--group", "Administrators", "--password-file", "-")...); code != ExitOK {
		t.Fatal(e)
	}
	sides := map[string]*wbem.Services{}
	for proto, url := range urls {
		svc := connect(t, url, "carol", "pw-carol", nil)
		if _, err := svc.GetObject(ctx, "__SystemClass", 0); err != nil {
			t.Fatalf("carol, added once, cannot log in over %s: %v", proto, err)
		}
		sides[proto] = svc
		bad := connect(t, url, "carol", "pw-wrong", nil)
		if _, err := bad.GetObject(ctx, "__SystemClass", 0); cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
			t.Errorf("a wrong password over %s: %v, want WBEM_E_ACCESS_DENIED", proto, err)
		}
	}
	wsm, cxm := sides["wsman"], sides["cimxml"]

	// A class defined over CIM-XML is the class WS-Management serves.
	class := &cim.Class{Name: "GW_OneOM", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: []cim.Qualifier{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Count", Type: cim.TypeUint32}}}
	if _, err := cxm.PutClass(ctx, class, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
		t.Fatalf("PutClass over CIM-XML: %v", err)
	}
	cr, err := wsm.GetObject(ctx, "GW_OneOM", 0)
	if err != nil {
		t.Fatalf("the class made over CIM-XML, over WS-Management: %v", err)
	}
	obj, _ := cr.ResultObject(0)
	inst := obj.(*cim.Class).NewInstance()
	inst.Set("Name", cim.String("one"))
	inst.Set("Count", cim.Uint32(1))
	if _, err := cxm.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
		t.Fatalf("PutInstance over CIM-XML: %v", err)
	}
	count := func(svc *wbem.Services, proto string) uint64 {
		t.Helper()
		cr, err := svc.GetObject(ctx, `GW_OneOM.Name="one"`, 0)
		if err != nil {
			t.Fatalf("GetObject over %s: %v", proto, err)
		}
		o, _ := cr.ResultObject(0)
		v, err := o.Get("Count")
		if err != nil {
			t.Fatal(err)
		}
		return v.Uint()
	}
	if n := count(wsm, "wsman"); n != 1 {
		t.Fatalf("WS-Management reads Count %d of the instance created over CIM-XML, want 1", n)
	}
	// Modified over WS-Management, read over CIM-XML.
	cr, _ = wsm.GetObject(ctx, `GW_OneOM.Name="one"`, 0)
	o, _ := cr.ResultObject(0)
	mod := o.(*cim.Instance)
	mod.Set("Count", cim.Uint32(2))
	if _, err := wsm.PutInstance(ctx, mod, wbem.WBEM_FLAG_UPDATE_ONLY); err != nil {
		t.Fatalf("PutInstance over WS-Management: %v", err)
	}
	if n := count(cxm, "cimxml"); n != 2 {
		t.Fatalf("CIM-XML reads Count %d after WS-Management set 2", n)
	}
	// Deleted over CIM-XML, gone over WS-Management.
	if _, err := cxm.DeleteInstance(ctx, `GW_OneOM.Name="one"`, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := wsm.GetObject(ctx, `GW_OneOM.Name="one"`, 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("WS-Management reads an instance deleted over CIM-XML: %v", err)
	}

	// One table of open enumerations: a user's limit counts both
	// protocols' (a provider of 2^30 objects keeps each one open).
	open := func(svc *wbem.Services) (*wbem.Enumerator, error) {
		en, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			return nil, err
		}
		if _, err := en.Next(time.Minute, make([]cim.Object, 1)); err != nil {
			en.Close()
			return nil, err
		}
		return en, nil
	}
	var enums []*wbem.Enumerator
	defer func() {
		for _, en := range enums {
			en.Close()
		}
	}()
	for i := range wsman.DefaultMaxContextsPerUser {
		svc := []*wbem.Services{wsm, cxm}[i%2]
		en, err := open(svc)
		if err != nil {
			t.Fatalf("enumeration %d of carol's %d: %v", i+1, wsman.DefaultMaxContextsPerUser, err)
		}
		enums = append(enums, en)
	}
	for proto, svc := range sides {
		if _, err := open(svc); cim.StatusOf(err) != cim.WBEM_E_QUOTA_VIOLATION {
			t.Errorf("an enumeration over %s past the limit both protocols' count: %v, want WBEM_E_QUOTA_VIOLATION", proto, err)
		}
	}
	enums[0].Close() // a WS-Management one
	enums = enums[1:]
	var en *wbem.Enumerator
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if en, err = open(cxm); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("over CIM-XML after a WS-Management enumeration was closed: %v", err)
	}
	enums = append(enums, en)

	// A user removed from the one users file is refused over both.
	if code, _, e := runUsers(t, "", append(sd, "del", "carol")...); code != ExitOK {
		t.Fatal(e)
	}
	for proto, url := range urls {
		if _, err := connect(t, url, "carol", "pw-carol", nil).GetObject(ctx, "__SystemClass", 0); cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
			t.Errorf("a removed user over %s: %v, want WBEM_E_ACCESS_DENIED", proto, err)
		}
	}
}
