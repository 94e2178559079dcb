package cimom

import (
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// systemClassDecls are the system classes every namespace has: the base of
// system classes, __NAMESPACE (whose instances are the child namespaces),
// __PARAMETERS (the class of method parameters), the event classes and
// __ExtendedStatus.
func systemClassDecls() []*cim.Class {
	abstract := cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	obj := func(name string) cim.Property {
		return cim.Property{Name: name, Type: cim.TypeObject}
	}
	return append([]*cim.Class{
		{Name: "__SystemClass", Qualifiers: abstract},
		{Name: "__NAMESPACE", Superclass: "__SystemClass", Properties: []cim.Property{{Name: "Name", Type: cim.TypeString, Qualifiers: key}}},
		{Name: "__PARAMETERS", Superclass: "__SystemClass", Qualifiers: abstract},
		{Name: "__NotifyStatus", Superclass: "__SystemClass", Properties: []cim.Property{{Name: "StatusCode", Type: cim.TypeUint32}}},
		{Name: "__ExtendedStatus", Superclass: "__NotifyStatus", Properties: []cim.Property{
			{Name: "Description", Type: cim.TypeString}, {Name: "Operation", Type: cim.TypeString},
			{Name: "ParameterInfo", Type: cim.TypeString}, {Name: "ProviderName", Type: cim.TypeString}}},
		{Name: "__Event", Superclass: "__SystemClass", Qualifiers: abstract, Properties: []cim.Property{
			{Name: "TIME_CREATED", Type: cim.TypeUint64}, {Name: "SECURITY_DESCRIPTOR", Type: cim.TypeUint8.ArrayOf()}}},
		{Name: "__InstanceOperationEvent", Superclass: "__Event", Properties: []cim.Property{obj("TargetInstance")}},
		{Name: "__InstanceCreationEvent", Superclass: "__InstanceOperationEvent"},
		{Name: "__InstanceDeletionEvent", Superclass: "__InstanceOperationEvent"},
		{Name: "__InstanceModificationEvent", Superclass: "__InstanceOperationEvent", Properties: []cim.Property{obj("PreviousInstance")}},
		{Name: "__ClassOperationEvent", Superclass: "__Event", Properties: []cim.Property{obj("TargetClass")}},
		{Name: "__ClassCreationEvent", Superclass: "__ClassOperationEvent"},
		{Name: "__ClassDeletionEvent", Superclass: "__ClassOperationEvent"},
		{Name: "__ClassModificationEvent", Superclass: "__ClassOperationEvent", Properties: []cim.Property{obj("PreviousClass")}},
		{Name: "__NamespaceOperationEvent", Superclass: "__Event", Properties: []cim.Property{obj("TargetNamespace")}},
		{Name: "__NamespaceCreationEvent", Superclass: "__NamespaceOperationEvent"},
		{Name: "__NamespaceDeletionEvent", Superclass: "__NamespaceOperationEvent"},
		{Name: "__ExtrinsicEvent", Superclass: "__Event"},
		{Name: "__AggregateEvent", Superclass: "__Event", Properties: []cim.Property{
			{Name: "NumberOfEvents", Type: cim.TypeUint32}, obj("Representative")}},
	}, eventSystemClassDecls()...)
}

// ensureSystemClasses adds the system classes missing from ns.
func ensureSystemClasses(tx repository.Tx, ns string) error {
	return ensureClasses(tx, ns, append(systemClassDecls(), securityClassDecls()...))
}

// ensureClasses adds the classes of decls missing from ns; parents come first.
func ensureClasses(tx repository.Tx, ns string, decls []*cim.Class) error {
	for _, decl := range decls {
		if _, err := tx.Class(ns, decl.Name); err == nil {
			continue
		}
		var parent *cim.Class
		if decl.Superclass != "" {
			p, err := tx.Class(ns, decl.Superclass)
			if err != nil {
				return err
			}
			parent = p
		}
		c, err := cim.Derive(parent, decl)
		if err != nil {
			return err
		}
		if err := tx.PutClass(ns, c); err != nil {
			return err
		}
	}
	return nil
}

// isSystemName reports whether a class name is reserved for system classes.
func isSystemName(name string) bool {
	return len(name) > 0 && (name[0] == '_' || name[len(name)-1] == '_')
}
