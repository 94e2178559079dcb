package cim

import "strings"

// SystemProperties lists the names of the system properties, in WMI's order.
var SystemProperties = []string{
	"__GENUS", "__CLASS", "__SUPERCLASS", "__DYNASTY", "__RELPATH", "__PROPERTY_COUNT",
	"__DERIVATION", "__SERVER", "__NAMESPACE", "__PATH",
}

// IsSystemProperty reports whether name is a system property (it begins with "__").
func IsSystemProperty(name string) bool { return strings.HasPrefix(name, "__") }

func derivationValue(d []string) Value {
	vals := make([]Value, len(d))
	for i, s := range d {
		vals[i] = String(s)
	}
	return arrValue(TypeString.ArrayOf(), vals)
}

func strOrNull(s string) Value {
	if s == "" {
		return Null
	}
	return String(s)
}

// System returns the system property called name (case-insensitive) of the
// instance. Path properties are NULL when the instance is not locatable (a
// projection that left out keys); as in WMI, a projection also reports NULL
// __SUPERCLASS, __DYNASTY, __DERIVATION and __SERVER unless its query named
// them (see Class.Project).
func (i *Instance) System(name string) (Value, bool) {
	c := i.class
	up := strings.ToUpper(name)
	switch up {
	case "__GENUS":
		return Sint32(int32(GenusInstance)), true
	case "__CLASS":
		return String(c.Name), true
	case "__SUPERCLASS":
		if c.hides(up) {
			return Null, true
		}
		return strOrNull(c.Superclass), true
	case "__DYNASTY":
		if c.hides(up) {
			return Null, true
		}
		return String(c.Dynasty()), true
	case "__DERIVATION":
		if c.hides(up) {
			return Null, true
		}
		return derivationValue(c.Derivation), true
	case "__PROPERTY_COUNT":
		return Sint32(int32(len(c.Properties))), true
	case "__RELPATH":
		if !i.locatable() {
			return Null, true
		}
		return String(i.ObjectPath().RelPath()), true
	case "__PATH":
		if !i.locatable() || i.namespace == "" {
			return Null, true
		}
		return String(i.ObjectPath().String()), true
	case "__SERVER":
		if !i.locatable() && !c.selects(up) {
			return Null, true
		}
		return strOrNull(i.server), true
	case "__NAMESPACE":
		return strOrNull(i.namespace), true
	}
	return Null, false
}

// System returns the system property called name of the class.
func (c *Class) System(name string) (Value, bool) {
	switch strings.ToUpper(name) {
	case "__GENUS":
		return Sint32(int32(GenusClass)), true
	case "__CLASS":
		return String(c.Name), true
	case "__SUPERCLASS":
		return strOrNull(c.Superclass), true
	case "__DYNASTY":
		return String(c.Dynasty()), true
	case "__DERIVATION":
		return derivationValue(c.Derivation), true
	case "__PROPERTY_COUNT":
		return Sint32(int32(len(c.Properties))), true
	case "__RELPATH":
		return String(c.Name), true
	case "__PATH":
		if c.Namespace == "" {
			return Null, true
		}
		return String(c.ObjectPath().String()), true
	case "__SERVER":
		return strOrNull(c.Server), true
	case "__NAMESPACE":
		return strOrNull(c.Namespace), true
	}
	return Null, false
}
