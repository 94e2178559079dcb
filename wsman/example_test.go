package wsman_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// An object manager served over WS-Management, and a program reaching it
// through wbem.Connect.
func Example() {
	ctx := context.Background()
	users := auth.Static{"admin": {Password: "secret", Admin: true}} // a daemon keeps hashes on disk
	srv := wsman.NewServer(workload.NewObjectManager(&workload.Provider{N: 3}), wsman.Options{
		Authenticator: auth.NewBasic(users, auth.BasicOptions{}),
	})
	defer srv.Close()
	// A daemon would use an http.Server with ServeTLS; both install ConnContext.
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.ConnContext = wsman.ConnContext
	hs.Start()
	defer hs.Close()

	svc, err := wbem.Connect(ctx, hs.URL+"/wsman", `root\cimv2`, wbem.Credentials{User: "admin", Password: "secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Backend().(*wsman.Client).CloseIdleConnections()
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
