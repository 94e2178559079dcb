//go:build linux

package host

import (
	"github.com/gowbem/gowbem/cim"
)

// indexes returns the positions of names in c (-1 for a property c lacks,
// as a subclass or an edited class may).
func indexes(c *cim.Class, names []string) []int {
	ix := make([]int, len(names))
	for i, n := range names {
		ix[i] = c.PropertyIndex(n)
	}
	return ix
}

// put sets property i of inst to v, converting when the class declares
// another type; a NULL value, a missing property or a value that does not
// convert leaves the property NULL.
func put(inst *cim.Instance, i int, v cim.Value) {
	if i < 0 || v.IsNull() {
		return
	}
	if t := inst.Class().Properties[i].Type; t != v.Type() {
		cv, err := v.Convert(t)
		if err != nil {
			return
		}
		v = cv
	}
	inst.SetAt(i, v)
}

// str is cim.String, NULL for "".
func str(s string) cim.Value {
	if s == "" {
		return cim.Null
	}
	return cim.String(s)
}

// keyString returns the value of the key called name in p, as text.
func keyString(p cim.ObjectPath, name string) (string, bool) {
	for _, k := range p.Keys {
		if cim.EqualFold(k.Name, name) {
			return k.Value.Text(), true
		}
	}
	return "", false
}

// notFound is the error of a GetInstance that finds nothing.
func notFound(p cim.ObjectPath) error {
	return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: p.String(), Description: "no instance " + p.RelPath()}
}

// outParams returns an out-parameter instance with ReturnValue set.
func outParams(c *cim.Class, rv uint32) *cim.Instance {
	out := c.NewInstance()
	put(out, out.Class().PropertyIndex("ReturnValue"), cim.Uint32(rv))
	return out
}
