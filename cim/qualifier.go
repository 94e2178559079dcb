package cim

import "strings"

// Flavor holds a qualifier's flavor bits, numbered as WMI's WBEM_FLAVOR_TYPE where
// WMI has the flavor.
type Flavor uint16

// Qualifier flavors. A qualifier without FlavorToSubclass is Restricted: it stays
// on the class that declares it.
const (
	FlavorToInstance     Flavor = 0x1   // propagates to instances
	FlavorToSubclass     Flavor = 0x2   // propagates to subclasses (DMTF ToSubclass)
	FlavorNotOverridable Flavor = 0x10  // DisableOverride: subclasses cannot change it
	FlavorPropagated     Flavor = 0x20  // this copy was inherited, not declared here
	FlavorSystem         Flavor = 0x40  // set by the system
	FlavorAmended        Flavor = 0x80  // localized; kept out of the repository
	FlavorTranslatable   Flavor = 0x100 // DMTF Translatable (gowbem's own bit)

	// DefaultFlavor is the DMTF default: EnableOverride, ToSubclass.
	DefaultFlavor = FlavorToSubclass
)

// Qualifier is a named value attached to a class, property, method or parameter.
type Qualifier struct {
	Name   string
	Value  Value
	Flavor Flavor
}

// Qualifiers is a list of qualifiers; names compare case-insensitively.
type Qualifiers []Qualifier

// Get returns the qualifier called name.
func (qs Qualifiers) Get(name string) (Qualifier, bool) {
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Qualifier{}, false
}

// Value returns the value of the qualifier called name, or NULL.
func (qs Qualifiers) Value(name string) Value {
	q, _ := qs.Get(name)
	return q.Value
}

// Has reports whether the boolean qualifier called name is present and true
// (a qualifier given without a value, like [Key], is true).
func (qs Qualifiers) Has(name string) bool {
	q, ok := qs.Get(name)
	if !ok {
		return false
	}
	return q.Value.IsNull() || q.Value.Type() != TypeBoolean || q.Value.Bool()
}

// With returns a copy of qs with q added or replacing the qualifier of the same
// name.
func (qs Qualifiers) With(q Qualifier) Qualifiers {
	out := make(Qualifiers, 0, len(qs)+1)
	replaced := false
	for _, x := range qs {
		if strings.EqualFold(x.Name, q.Name) {
			out = append(out, q)
			replaced = true
			continue
		}
		out = append(out, x)
	}
	if !replaced {
		out = append(out, q)
	}
	return out
}

// inherit returns the qualifiers of a parent element that propagate to a
// subclass, overridden by the child's own where overriding is allowed. It
// reports the first illegal override.
func inherit(parent, own Qualifiers) (Qualifiers, *Error) {
	var out Qualifiers
	for _, p := range parent {
		if p.Flavor&FlavorToSubclass == 0 {
			continue
		}
		if o, ok := own.Get(p.Name); ok {
			if p.Flavor&FlavorNotOverridable != 0 && !Equal(o.Value, p.Value) && !(o.Value.IsNull() && p.Value.Type() == TypeBoolean && p.Value.Bool()) {
				return nil, Errorf(WBEM_E_OVERRIDE_NOT_ALLOWED, "qualifier %s cannot be overridden", p.Name)
			}
			continue
		}
		p.Flavor |= FlavorPropagated
		out = append(out, p)
	}
	for _, o := range own {
		o.Flavor &^= FlavorPropagated
		out = append(out, o)
	}
	return out, nil
}
