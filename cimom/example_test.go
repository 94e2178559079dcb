package cimom_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/wbem"
)

// An object manager over an in-memory store: MOF goes in in one transaction,
// and WQL comes out.
func ExampleObjectManager_CompileMOF() {
	ctx := context.Background()
	om := cimom.NewMemory(cimom.WithServer("demo"))
	mof := fstest.MapFS{"disks.mof": {Data: []byte(`
class Demo_Volume {
	[Key] string DeviceID;
	uint64 FreeSpace;
};
instance of Demo_Volume { DeviceID = "/";     FreeSpace = 1073741824; };
instance of Demo_Volume { DeviceID = "/home"; FreeSpace = 5368709120; };
`)}}
	if _, err := om.CompileMOF(ctx, mof, "disks.mof", `root\cimv2`); err != nil {
		fmt.Println(err)
		return
	}
	svc := om.Services(`root\cimv2`)
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT DeviceID FROM Demo_Volume WHERE FreeSpace > 2147483648",
		wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		fmt.Println(err)
		return
	}
	for obj, err := range e.All(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		id, _ := obj.Get("DeviceID")
		fmt.Println(id.Text())
	}
	// Output:
	// /home
}
