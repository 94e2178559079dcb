package wbem_test

import (
	"context"
	"fmt"
	"io"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// diskProvider is a whole instance provider: it streams the instances of its
// class through the emitter and stops as soon as the consumer has gone.
type diskProvider struct{}

func (diskProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for _, d := range []struct {
		id   string
		free uint64
	}{{"/", 1 << 30}, {"/home", 5 << 30}, {"/boot", 200 << 20}} {
		inst := class.NewInstance()
		inst.Set("DeviceID", cim.String(d.id))
		inst.Set("FreeSpace", cim.Uint64(d.free))
		if err := out.Emit(inst); err != nil {
			return err // the consumer released the enumeration
		}
	}
	return nil
}

func (diskProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.ErrNotFound
}

// newDiskServices returns an in-process object manager with a dynamic class
// served by diskProvider.
func newDiskServices() *wbem.Services {
	om := cimom.NewMemory(cimom.WithProvider("Disks", diskProvider{}))
	svc := om.Services(`root\cimv2`)
	_, err := svc.PutClass(context.Background(), &cim.Class{
		Name:       "Demo_Disk",
		Qualifiers: cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("Disks")}},
		Properties: []cim.Property{
			{Name: "DeviceID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
			{Name: "FreeSpace", Type: cim.TypeUint64},
		},
	}, 0)
	if err != nil {
		panic(err)
	}
	return svc
}

// A semisynchronous, forward-only query: the call returns at once and the
// caller reads the results as they come.
func ExampleServices_ExecQuery() {
	svc := newDiskServices()
	ctx := context.Background()
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Demo_Disk",
		wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		panic(err)
	}
	for obj, err := range e.All(ctx) {
		if err != nil {
			fmt.Println("query failed:", err)
			return
		}
		id, _ := obj.Get("DeviceID")
		free, _ := obj.Get("FreeSpace")
		fmt.Println(id.Text(), free.Uint()>>20, "MiB free")
	}
	// Output:
	// / 1024 MiB free
	// /home 5120 MiB free
	// /boot 200 MiB free
}

// Next with a timeout, read like io.Reader: use the objects first, then look
// at the status.
func ExampleEnumerator_Next() {
	svc := newDiskServices()
	e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM Demo_Disk",
		wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		panic(err)
	}
	defer e.Close()
	batch := make([]cim.Object, 2)
	for {
		n, err := e.Next(wbem.Infinite, batch)
		fmt.Println("got", n)
		switch {
		case err == nil: // a full batch: ask for more
			continue
		case err == io.EOF: // the end (cim.WBEM_S_FALSE)
			fmt.Println("done")
			return
		case err == wbem.ErrTimedOut: // only with a finite timeout
			continue
		default:
			fmt.Println("failed:", wbem.StatusOf(err))
			return
		}
	}
	// Output:
	// got 2
	// got 1
	// done
}

// Errors carry WMI's status and match the sentinels with errors.Is.
func ExampleStatusOf() {
	svc := newDiskServices()
	_, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM NoSuchClass", 0)
	fmt.Println(wbem.StatusOf(err))
	// Output:
	// WBEM_E_INVALID_CLASS (0x80041010)
}
