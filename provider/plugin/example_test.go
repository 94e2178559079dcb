package plugin_test

import (
	"context"
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
)

// items serves three instances of a class keyed by Id.
type items struct{}

func (items) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for i := range 3 {
		inst := class.NewInstance()
		inst.Set("Id", cim.Uint32(uint32(i)))
		inst.Set("Name", cim.String("item "+strconv.Itoa(i)))
		if err := out.Emit(inst); err != nil {
			return err // the consumer has gone
		}
	}
	return nil
}

func (items) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s", path.RelPath())
}

// A provider executable's main: the daemon starts it and calls it.
func ExampleServe() {
	plugin.Serve(items{})
}
