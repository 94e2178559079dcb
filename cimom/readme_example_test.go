package cimom_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// diskProvider serves the instances of the dynamic class Demo_Disk.
type diskProvider struct{}

func (diskProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for _, id := range []string{"/", "/home"} {
		inst := class.NewInstance()
		inst.Set("DeviceID", cim.String(id))
		if err := out.Emit(inst); err != nil {
			return err // the consumer has gone: stop
		}
	}
	return nil
}

func (diskProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

// demoDisk is the class, served by the provider registered as "Disks".
var demoDisk = &cim.Class{
	Name:       "Demo_Disk",
	Qualifiers: cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("Disks")}},
	Properties: []cim.Property{{Name: "DeviceID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}},
}

func Example_readme() {
	ctx := context.Background()
	om := cimom.NewMemory(cimom.WithProvider("Disks", diskProvider{}))
	svc := om.Services(`root\cimv2`)
	if _, err := svc.PutClass(ctx, demoDisk, 0); err != nil {
		log.Fatal(err)
	}
	if err := listDisks(ctx, svc); err != nil {
		log.Fatal(err)
	}
	// Output:
	// /
	// /home
}

func listDisks(ctx context.Context, svc *wbem.Services) error {
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Demo_Disk",
		wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return err
	}
	defer e.Close()
	batch := make([]cim.Object, 100)
	for {
		n, err := e.Next(500*time.Millisecond, batch)
		for _, obj := range batch[:n] {
			id, _ := obj.Get("DeviceID")
			fmt.Println(id.Text())
		}
		switch {
		case err == io.EOF: // WBEM_S_FALSE: the end
			return nil
		case err == nil, err == wbem.ErrTimedOut: // full batch, or WBEM_S_TIMEDOUT: go on
			continue
		default: // the operation's WBEM status, e.g. WBEM_E_INVALID_CLASS
			return err
		}
	}
}
