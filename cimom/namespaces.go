package cimom

import (
	"context"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
)

// childrenClass is the system class whose instances are the child
// namespaces of a namespace (WMI's __NAMESPACE, key Name).
//
// Its instances are not stored: they are the store's namespaces, read from
// it whenever they are asked for, so every namespace is an instance of its
// parent's __NAMESPACE however it was made — by New, by a MOF's #pragma
// namespace, or by PutInstance of an __NAMESPACE — and PutInstance and
// DeleteInstance of one create and delete the namespace itself.
const childrenClass = "__NAMESPACE"

// isNamespaceClass reports whether c is __NAMESPACE (or derives from it).
func isNamespaceClass(c *cim.Class) bool { return c.IsA(childrenClass) }

// childNamespace returns the full name of the child of ns that an
// __NAMESPACE instance's Name gives, or WBEM_E_INVALID_PARAMETER for a name
// that is not one namespace element.
func childNamespace(ns string, name cim.Value) (string, error) {
	n := name.Str()
	if name.IsNull() || n == "" || strings.ContainsAny(n, `\/:`) || strings.TrimSpace(n) != n || len(n) > cim.MaxNameLength {
		return "", &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: n,
			Description: "__NAMESPACE.Name " + strings.TrimSpace(n) + " is not a namespace name: one element of at most 255 characters, without \\, / or :"}
	}
	return ns + `\` + n, nil
}

// createNamespace creates ns, whose parent exists, with the system classes
// and extra (WithSystemClasses): the one way a namespace is made.
func createNamespace(tx repository.Tx, ns string, extra []*cim.Class) error {
	if err := tx.CreateNamespace(ns); err != nil {
		return err
	}
	if err := ensureSystemClasses(tx, ns); err != nil {
		return err
	}
	return ensureClasses(tx, ns, extra)
}

// newNamespaceInstance returns the __NAMESPACE instance of class c for the
// child namespace full.
func newNamespaceInstance(c *cim.Class, full string) *cim.Instance {
	inst := c.NewInstance()
	inst.Set("Name", cim.String(full[strings.LastIndexByte(full, '\\')+1:]))
	return inst
}

// namespaceInstance returns the __NAMESPACE instance of ns that rp names, or
// WBEM_E_NOT_FOUND.
func namespaceInstance(tx repository.Tx, ns string, c *cim.Class, rp cim.ObjectPath) (*cim.Instance, error) {
	var name cim.Value
	for _, k := range rp.Keys {
		if cim.EqualFold(k.Name, "Name") {
			name = k.Value
		}
	}
	full, err := childNamespace(ns, name)
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: rp.RelPath(), Description: "no namespace " + rp.RelPath()}
	}
	children, err := tx.Namespaces(ns)
	if err != nil {
		return nil, err
	}
	for _, child := range children {
		if cim.EqualFold(child, full) {
			return newNamespaceInstance(c, child), nil
		}
	}
	return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: rp.RelPath(), Description: "namespace " + full + " does not exist"}
}

// putNamespaceInstance creates the namespace an __NAMESPACE instance names,
// as mode allows (an update of an existing one changes nothing: Name, its
// key, is all it has).
func putNamespaceInstance(tx repository.Tx, ns string, inst *cim.Instance, mode provider.PutMode, extra []*cim.Class) error {
	full, err := childNamespace(ns, inst.Value("Name"))
	if err != nil {
		return err
	}
	exists := tx.NamespaceExists(full)
	switch {
	case exists && mode == provider.CreateOnly:
		return &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: full, Description: "namespace " + full + " already exists"}
	case !exists && mode == provider.UpdateOnly:
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: full, Description: "namespace " + full + " does not exist"}
	case exists:
		return nil
	}
	return createNamespace(tx, full, extra)
}

// deleteNamespaceInstance deletes the namespace an __NAMESPACE path names,
// with its children, classes and instances.
func deleteNamespaceInstance(tx repository.Tx, ns string, c *cim.Class, rp cim.ObjectPath) error {
	inst, err := namespaceInstance(tx, ns, c, rp)
	if err != nil {
		return err
	}
	if err := tx.DeleteNamespace(ns + `\` + inst.Value("Name").Str()); err != nil {
		return err
	}
	// Repositories written before __NAMESPACE instances were derived from
	// the namespaces may still hold a stored one.
	if err := tx.DeleteInstance(ns, c.Name, rp.KeyString()); err != nil && cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		return err
	}
	return nil
}

// enumerateNamespaces emits the __NAMESPACE instances of ns: its children.
func (om *ObjectManager) enumerateNamespaces(ctx context.Context, ns string, c *cim.Class, e *emitter) error {
	var children []string
	if err := om.view(ctx, func(tx repository.Tx) error {
		var err error
		children, err = tx.Namespaces(ns)
		return err
	}); err != nil {
		return err
	}
	for _, child := range children {
		if err := e.Emit(newNamespaceInstance(c, child)); err != nil {
			return err
		}
	}
	return nil
}
