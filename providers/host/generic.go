//go:build linux

package host

import (
	"context"
	"errors"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// row fills one instance by property name: for classes of a few instances,
// where looking names up costs nothing next to reading the kernel.
type row struct{ inst *cim.Instance }

func newRow(class *cim.Class) row { return row{class.NewInstance()} }

// set puts v (NULL leaves the property NULL) into the property called name.
func (r row) set(name string, v cim.Value) row {
	put(r.inst, r.inst.Class().PropertyIndex(name), v)
	return r
}

// system sets the three properties that place an element on this
// computer: CreationClassName, SystemCreationClassName and SystemName.
func (r row) system(sys string) row {
	return r.set("CreationClassName", cim.String(r.inst.ClassName())).
		set("SystemCreationClassName", cim.String("Win32_ComputerSystem")).
		set("SystemName", str(sys))
}

// listProvider serves a class whose instances are few: GetInstance builds
// them and picks the one the path names.
type listProvider struct {
	h    *host
	list func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error
}

// EnumerateInstances emits every instance.
func (p *listProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return p.list(ctx, class, func(inst *cim.Instance) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return out.Emit(inst)
	})
}

var errFound = errors.New("found")

// GetInstance returns the instance whose keys are the path's.
func (p *listProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	var found *cim.Instance
	err := p.list(ctx, class, func(inst *cim.Instance) error {
		if sameKeys(inst.ObjectPath(), path) {
			found = inst
			return errFound
		}
		return ctx.Err()
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	if found == nil {
		return nil, notFound(path)
	}
	return found, nil
}

// sameKeys reports whether two paths name the same instance, whatever class
// of the hierarchy each names (WMI compares keys case-insensitively).
func sameKeys(a, b cim.ObjectPath) bool {
	a.Class, b.Class = "", ""
	a.Server, b.Server = "", ""
	a.Namespace, b.Namespace = "", ""
	return len(a.Keys) == len(b.Keys) && a.KeyString() == b.KeyString()
}

// stringArray makes a string array value; NULL when empty.
func stringArray(v []string) cim.Value {
	if len(v) == 0 {
		return cim.Null
	}
	vals := make([]cim.Value, len(v))
	for i, s := range v {
		vals[i] = cim.String(s)
	}
	return cim.Array(cim.TypeString, vals...)
}
