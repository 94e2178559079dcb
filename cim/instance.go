package cim

import (
	"strings"
)

// Genus tells classes from instances (WBEM_GENUS_TYPE).
type Genus int32

// The two genera.
const (
	GenusClass    Genus = 1
	GenusInstance Genus = 2
)

// Object is what an operation yields: a *Class or an *Instance, as WMI's
// IWbemClassObject is either.
type Object interface {
	// Genus is GenusClass or GenusInstance.
	Genus() Genus
	// ClassName returns the name of the class (of the instance).
	ClassName() string
	// Get returns a property's value, system properties (__CLASS, __PATH, …)
	// included; WBEM_E_NOT_FOUND when the object has no such property.
	Get(name string) (Value, error)
	// ObjectPath returns where the object lives.
	ObjectPath() ObjectPath

	isObject()
}

// Instance is an instance of a class. Its values are laid out by the class's
// property positions. An Instance is not safe for concurrent modification;
// instances delivered by an operation belong to the receiver.
type Instance struct {
	class             *Class
	values            []Value
	server, namespace string
}

func (*Instance) isObject() {}
func (*Class) isObject()    {}

// Genus returns GenusInstance.
func (i *Instance) Genus() Genus { return GenusInstance }

// Class returns the instance's class.
func (i *Instance) Class() *Class { return i.class }

// ClassName returns the name of the instance's class.
func (i *Instance) ClassName() string { return i.class.Name }

// Len returns the number of properties.
func (i *Instance) Len() int { return len(i.values) }

// At returns the value of the property at position n of the class.
func (i *Instance) At(n int) Value { return i.values[n] }

// SetAt sets the value of the property at position n without conversion; the
// value must already have the property's type (or be NULL).
func (i *Instance) SetAt(n int, v Value) { i.values[n] = v }

// Value returns the value of the property called name, or NULL when there is
// none.
func (i *Instance) Value(name string) Value {
	if n := i.class.PropertyIndex(name); n >= 0 {
		return i.values[n]
	}
	return Null
}

// Get returns the value of a property or system property.
func (i *Instance) Get(name string) (Value, error) {
	if n := i.class.PropertyIndex(name); n >= 0 {
		return i.values[n], nil
	}
	if v, ok := i.System(name); ok {
		return v, nil
	}
	return Null, Errorf(WBEM_E_NOT_FOUND, "class %s has no property %s", i.class.Name, name)
}

// Set sets the property called name, converting v to the property's type. It
// fails with WBEM_E_NOT_FOUND for an unknown property, WBEM_E_SYSTEM_PROPERTY
// for a system property and WBEM_E_TYPE_MISMATCH for a value that does not fit.
func (i *Instance) Set(name string, v Value) error {
	n := i.class.PropertyIndex(name)
	if n < 0 {
		if strings.HasPrefix(name, "__") {
			return Errorf(WBEM_E_SYSTEM_PROPERTY, "system property %s is read-only", name)
		}
		return Errorf(WBEM_E_NOT_FOUND, "class %s has no property %s", i.class.Name, name)
	}
	c, err := v.Convert(i.class.Properties[n].Type)
	if err != nil {
		e := AsError(err)
		return Errorf(e.Status, "property %s.%s: %s", i.class.Name, i.class.Properties[n].Name, e.Description)
	}
	i.values[n] = c
	return nil
}

// SetLocation records the server and namespace the instance lives in.
func (i *Instance) SetLocation(server, namespace string) { i.server, i.namespace = server, namespace }

// Clone returns a copy of the instance that can be modified independently
// (embedded objects and arrays are shared: values are immutable).
func (i *Instance) Clone() *Instance {
	c := *i
	c.values = append([]Value(nil), i.values...)
	return &c
}

// Project returns a copy of the instance shaped as the projection class pc
// (made by pc = i.Class().Project(...)).
func (i *Instance) Project(pc *Class) *Instance {
	out := &Instance{class: pc, values: make([]Value, len(pc.Properties)), server: i.server, namespace: i.namespace}
	for n := range pc.Properties {
		out.values[n] = i.Value(pc.Properties[n].Name)
	}
	return out
}

// ObjectPath returns the instance's path: class and key values, server and
// namespace. An instance of a projection without all keys has no keys.
func (i *Instance) ObjectPath() ObjectPath {
	p := ObjectPath{Server: i.server, Namespace: i.namespace, Class: i.class.Name}
	if i.class.IsSingleton() {
		p.Singleton = true
		return p
	}
	keys := i.class.Keys()
	p.Keys = make([]KeyBinding, 0, len(keys))
	for _, k := range keys {
		p.Keys = append(p.Keys, KeyBinding{Name: i.class.Properties[k].Name, Value: i.values[k]})
	}
	return p
}

// locatable reports whether the instance has a path: a singleton, or keys
// that are all non-NULL (a projection must have kept them all).
func (i *Instance) locatable() bool {
	if i.class.IsSingleton() {
		return true
	}
	keys := i.class.Keys()
	if len(keys) == 0 {
		return false
	}
	for _, k := range keys {
		if i.values[k].IsNull() {
			return false
		}
	}
	return true
}

// CheckKeys verifies that an instance can be stored: its class is concrete and
// has keys (or is a singleton), and no Key, Indexed or Not_Null property is
// NULL.
func (i *Instance) CheckKeys() error {
	c := i.class
	if c.IsAbstract() {
		return Errorf(WBEM_E_INVALID_OPERATION, "class %s is abstract and cannot have instances", c.Name)
	}
	if len(c.Keys()) == 0 && !c.IsSingleton() {
		return Errorf(WBEM_E_NO_KEY, "class %s has no key property", c.Name)
	}
	for n := range c.Properties {
		p := &c.Properties[n]
		if i.values[n].IsNull() && (p.IsKey() || p.Qualifiers.Has("Indexed") || p.Qualifiers.Has("Not_Null")) {
			return &Error{Status: WBEM_E_ILLEGAL_NULL, Parameter: p.Name,
				Description: "property " + c.Name + "." + p.Name + " must not be NULL"}
		}
	}
	return nil
}

// Genus returns GenusClass.
func (c *Class) Genus() Genus { return GenusClass }

// ClassName returns the class's name.
func (c *Class) ClassName() string { return c.Name }

// ObjectPath returns the class path.
func (c *Class) ObjectPath() ObjectPath {
	return ObjectPath{Server: c.Server, Namespace: c.Namespace, Class: c.Name}
}

// Get returns a property's default value or a system property.
func (c *Class) Get(name string) (Value, error) {
	if n := c.PropertyIndex(name); n >= 0 {
		return c.Properties[n].Default, nil
	}
	if v, ok := c.System(name); ok {
		return v, nil
	}
	return Null, Errorf(WBEM_E_NOT_FOUND, "class %s has no property %s", c.Name, name)
}
