package cimxml_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// An object manager served over CIM-XML, and a program reaching it through
// wbem.Connect: the query runs as pull operations, and a failure comes back
// as the WBEM status the server reported.
func Example() {
	ctx := context.Background()
	users := auth.Static{"admin": {Password: "secret", Admin: true}} // a daemon keeps hashes on disk
	srv := cimxml.NewServer(workload.NewObjectManager(&workload.Provider{N: 3}), cimxml.Options{
		Authenticator: auth.NewBasic(users, auth.BasicOptions{}),
	})
	defer srv.Close()
	hs := httptest.NewServer(srv) // a daemon serves it on 5988, and with TLS on 5989
	defer hs.Close()

	svc, err := wbem.Connect(ctx, hs.URL+"/cimom", `root\cimv2`, wbem.Credentials{User: "admin", Password: "secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Backend().(*cimxml.Client).CloseIdleConnections()
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		fmt.Println(err)
		return
	}
	for obj, err := range e.All(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		name, _ := obj.Get("Name")
		path, _ := obj.Get("__RELPATH")
		fmt.Println(path.Str(), name.Str())
	}
	_, err = svc.GetObject(ctx, "GW_Item.Id=7", 0)
	fmt.Println(err)
	// Output:
	// GW_Item.Id=0 item-0
	// GW_Item.Id=1 item-1
	// GW_Item.Id=2 item-2
	// WBEM_E_NOT_FOUND (0x80041002): no GW_Item with key GW_Item.Id=7
}

// An indication listener, and an indication exported to it: the listener
// reads the indication without its class and hands it to its function.
func ExampleListener() {
	users := auth.Static{"cimserver": {Password: "secret"}}
	l := cimxml.NewListener(func(ctx context.Context, ind *cim.Instance) error {
		fmt.Println(ind.ClassName(), ind.Value("Message").Str())
		return nil
	}, cimxml.ListenerOptions{Authenticator: auth.NewBasic(users, auth.BasicOptions{})})
	hs := httptest.NewServer(l)
	defer hs.Close()

	class, _ := cim.Derive(nil, &cim.Class{Name: "CIM_AlertIndication", Properties: []cim.Property{{Name: "Message", Type: cim.TypeString}}})
	ind := class.NewInstance()
	ind.Set("Message", cim.String("disk full"))
	x := &cimxml.Exporter{Credentials: wbem.Credentials{User: "cimserver", Password: "secret"}}
	if err := x.ExportIndication(context.Background(), hs.URL, ind); err != nil {
		fmt.Println(err)
	}
	// Output: CIM_AlertIndication disk full
}
