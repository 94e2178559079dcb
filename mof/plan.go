package mof

import (
	"github.com/gowbem/gowbem/cim"
)

// Plan is the result of a compile: what the MOF asks the object manager to do,
// in file order. A plan is applied to a store in one transaction; compiling
// never touches a store.
type Plan struct {
	Items []Item
}

// Item is one step of a plan. Exactly one of Qualifier, Class, Instance,
// DeleteClass and DeleteInstance is set.
type Item struct {
	Pos       Position // where the declaration or pragma starts
	Namespace string   // the namespace it applies to, e.g. `root\cimv2`

	Qualifier      *QualifierType // a qualifier type declaration
	Class          *cim.Class     // a complete class (inherited members included)
	Instance       *cim.Instance  // an instance, its values converted and its aliases resolved
	DeleteClass    string         // #pragma deleteclass: the class to delete
	DeleteInstance string         // #pragma deleteinstance: the object path to delete

	// Alias is the alias the class or instance was declared with ("" if none),
	// without the $.
	Alias string
	// Flags are the #pragma classflags (for classes) or #pragma instanceflags
	// (for instances) in force at the declaration.
	Flags Flags
	// MustExist is set for a delete whose pragma said FAIL: deleting an object
	// that does not exist is then an error rather than a no-op.
	MustExist bool
}

// Flags are the update modes that #pragma classflags and #pragma instanceflags
// request, numbered as WMI's WBEM_FLAG_* values. The store honours them.
type Flags uint32

// The update flags.
const (
	FlagUpdateOnly  Flags = 0x1  // "updateonly": the object must exist
	FlagCreateOnly  Flags = 0x2  // "createonly": the object must not exist
	FlagSafeUpdate  Flags = 0x20 // "safeupdate": update a class only where no instance or subclass conflicts
	FlagForceUpdate Flags = 0x40 // "forceupdate": update a class, forcing conflicting subclasses
)

// QualifierType is a qualifier type declaration (Qualifier Name : type = value,
// Scope(...), Flavor(...);): cim's, which the object manager stores.
type QualifierType = cim.QualifierDecl

// Scope is the set of elements a qualifier may be applied to.
type Scope = cim.Scope

// The scopes; ScopeAny is all of them.
const (
	ScopeClass       = cim.ScopeClass
	ScopeAssociation = cim.ScopeAssociation
	ScopeIndication  = cim.ScopeIndication
	ScopeProperty    = cim.ScopeProperty
	ScopeReference   = cim.ScopeReference
	ScopeMethod      = cim.ScopeMethod
	ScopeParameter   = cim.ScopeParameter
	ScopeQualifier   = cim.ScopeQualifier
	ScopeAny         = cim.ScopeAny
)

// Classes returns the classes of the plan, in order.
func (p *Plan) Classes() []*cim.Class {
	var out []*cim.Class
	for i := range p.Items {
		if c := p.Items[i].Class; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Instances returns the instances of the plan, in order.
func (p *Plan) Instances() []*cim.Instance {
	var out []*cim.Instance
	for i := range p.Items {
		if in := p.Items[i].Instance; in != nil {
			out = append(out, in)
		}
	}
	return out
}

// QualifierTypes returns the qualifier declarations of the plan, in order.
func (p *Plan) QualifierTypes() []*QualifierType {
	var out []*QualifierType
	for i := range p.Items {
		if q := p.Items[i].Qualifier; q != nil {
			out = append(out, q)
		}
	}
	return out
}

// Class returns the last definition of the class called name in namespace
// (both case-insensitive), or nil.
func (p *Plan) Class(namespace, name string) *cim.Class {
	for i := len(p.Items) - 1; i >= 0; i-- {
		it := &p.Items[i]
		if it.Class != nil && cim.EqualFold(it.Class.Name, name) && cim.EqualFold(it.Namespace, namespace) {
			return it.Class
		}
	}
	return nil
}
