package cim

import (
	"strings"
)

// Scope is the set of elements a qualifier may be applied to (DSP0004's
// qualifier scopes).
type Scope uint16

// The scopes; ScopeAny is all of them.
const (
	ScopeClass Scope = 1 << iota
	ScopeAssociation
	ScopeIndication
	ScopeProperty
	ScopeReference
	ScopeMethod
	ScopeParameter
	ScopeQualifier
	ScopeAny = ScopeClass | ScopeAssociation | ScopeIndication | ScopeProperty | ScopeReference | ScopeMethod | ScopeParameter | ScopeQualifier
)

// ScopeNames are the scopes by their MOF names, in MOF's order.
var ScopeNames = []struct {
	Scope Scope
	Name  string
}{
	{ScopeClass, "class"}, {ScopeAssociation, "association"}, {ScopeIndication, "indication"},
	{ScopeProperty, "property"}, {ScopeReference, "reference"}, {ScopeMethod, "method"},
	{ScopeParameter, "parameter"}, {ScopeQualifier, "qualifier"},
}

// String lists the scopes as MOF writes them: "class, property" or "any".
func (s Scope) String() string {
	if s == ScopeAny {
		return "any"
	}
	var parts []string
	for _, n := range ScopeNames {
		if s&n.Scope != 0 {
			parts = append(parts, n.Name)
		}
	}
	return strings.Join(parts, ", ")
}

// GenusQualifierDecl is the genus of a *QualifierDecl: gowbem's own, as WMI
// keeps no qualifier declarations (WBEM_GENUS_TYPE has classes and instances
// only).
const GenusQualifierDecl Genus = 3

// QualifierDecl is a qualifier type declaration (DSP0004: a qualifier's
// name, type, default value, scopes and default flavor), as MOF's
// `Qualifier Name : type = value, Scope(...), Flavor(...);` declares it and
// DSP0201's QUALIFIER.DECLARATION carries it. It is an Object only so that a
// backend can deliver it: it has no properties and no path.
type QualifierDecl struct {
	Name    string
	Type    Type
	Default Value // of Type; NULL when none is given
	Scopes  Scope
	Flavor  Flavor // the flavor a use of the qualifier gets by default
	// ArraySize is the fixed size of an array type declared as type[n]; 0
	// otherwise.
	ArraySize int
}

func (*QualifierDecl) isObject() {}

// Genus returns GenusQualifierDecl.
func (*QualifierDecl) Genus() Genus { return GenusQualifierDecl }

// ClassName returns the qualifier's name.
func (q *QualifierDecl) ClassName() string { return q.Name }

// Get fails: a qualifier declaration has no properties.
func (q *QualifierDecl) Get(name string) (Value, error) {
	return Null, Errorf(WBEM_E_NOT_FOUND, "qualifier declaration %s has no property %s", q.Name, name)
}

// ObjectPath returns the zero path: a qualifier declaration is named, not
// addressed by a path.
func (q *QualifierDecl) ObjectPath() ObjectPath { return ObjectPath{} }

// Clone returns a copy of q (values are immutable, so a shallow one).
func (q *QualifierDecl) Clone() *QualifierDecl {
	c := *q
	return &c
}

// Check reports what makes q unfit to store, as WBEM_E_INVALID_PARAMETER
// (WBEM_E_QUALIFIER_NAME_TOO_WIDE for a long name) naming it: a name that
// is not an identifier, a type that is not a qualifier's (references and
// embedded objects are not), a default of another type, an array size on a
// scalar, flavor bits DSP0004 has not. It converts a default that converts
// losslessly to the declared type.
func (q *QualifierDecl) Check() error {
	if err := checkName(q.Name, WBEM_E_QUALIFIER_NAME_TOO_WIDE, "qualifier"); err != nil {
		return err
	}
	if !q.Type.Valid() || q.Type.Elem() == TypeReference || q.Type.Elem() == TypeObject || q.Type == TypeEmpty {
		return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: q.Name,
			Description: "qualifier " + q.Name + ": " + q.Type.String() + " is not a qualifier type"}
	}
	if q.ArraySize < 0 || q.ArraySize > 0 && !q.Type.IsArray() {
		return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: q.Name,
			Description: "qualifier " + q.Name + ": an array size needs an array type"}
	}
	const flavors = FlavorToInstance | FlavorToSubclass | FlavorNotOverridable | FlavorTranslatable | FlavorAmended
	if q.Flavor&^flavors != 0 {
		return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: q.Name,
			Description: "qualifier " + q.Name + ": flavor bits are not a declaration's"}
	}
	if q.Scopes&^ScopeAny != 0 {
		return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: q.Name,
			Description: "qualifier " + q.Name + ": unknown scope bits"}
	}
	if !q.Default.IsNull() && q.Default.Type() != q.Type {
		v, err := q.Default.Convert(q.Type)
		if err != nil {
			return &Error{Status: WBEM_E_INVALID_PARAMETER, Parameter: q.Name,
				Description: "qualifier " + q.Name + ": default value is not a " + q.Type.String(), Err: err}
		}
		q.Default = v
	}
	return nil
}
