package cimom

import (
	"context"
	"errors"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// class returns the class name of ns, located, or WBEM_E_INVALID_CLASS.
func (om *ObjectManager) class(tx repository.Tx, ns, name string) (*cim.Class, error) {
	rtx, read := tx.(readTx)
	wtx, _ := tx.(*writeTx)
	if wtx != nil && wtx.last != nil && wtx.lastNS == ns && wtx.lastName == name {
		return wtx.last, nil // a load asks for one class per instance
	}
	key := cacheKey(ns, name)
	switch {
	case read:
		if c := om.cache.class(key); c != nil {
			return c, nil
		}
	case wtx != nil:
		if c := wtx.classes[key]; c != nil {
			wtx.lastNS, wtx.lastName, wtx.last = ns, name, c
			return c, nil
		}
	}
	c, err := tx.Class(ns, name)
	if err != nil {
		if errors.Is(err, cim.ErrNotFound) {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: "class " + name + " does not exist in " + ns}
		}
		return nil, err
	}
	c = c.Located(om.server, ns)
	switch {
	case read:
		om.cache.put(rtx.gen, key, c, nil, false)
	case wtx != nil:
		wtx.remember(key, c)
	}
	return c, nil
}

// descendants returns the classes deriving from name, depth first, not name
// itself.
func (om *ObjectManager) descendants(tx repository.Tx, ns, name string) ([]*cim.Class, error) {
	rtx, read := tx.(readTx)
	key := cacheKey(ns, name)
	if read {
		if d, ok := om.cache.descendants(key); ok {
			return d, nil
		}
	}
	var out []*cim.Class
	var walk func(string) error
	walk = func(n string) error {
		subs, err := tx.Subclasses(ns, n)
		if err != nil {
			return err
		}
		for _, s := range subs {
			c, err := om.class(tx, ns, s)
			if err != nil {
				return err
			}
			out = append(out, c)
			if err := walk(s); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(name); err != nil {
		return nil, err
	}
	if read {
		om.cache.put(rtx.gen, key, nil, out, true)
	}
	return out, nil
}

func (om *ObjectManager) putClass(ctx context.Context, op *wbem.Op) error {
	decl, ok := op.Object.(*cim.Class)
	if !ok || decl == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutClass needs a class")
	}
	if isSystemName(decl.Name) && op.Flags&wbem.WBEM_FLAG_OWNER_UPDATE == 0 {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: decl.Name,
			Description: "class name " + decl.Name + " is reserved: names beginning or ending with '_' are system classes"}
	}
	return om.update(ctx, true, func(tx repository.Tx) error {
		return om.putClassTx(tx, op.Namespace, decl, op.Flags)
	})
}

// PutClassTx creates or updates decl in namespace ns within tx, applying WMI's
// update rules for flags (create only, update only, update modes). It is how
// a whole MOF compile goes into the store in one transaction.
func (om *ObjectManager) putClassTx(tx repository.Tx, ns string, decl *cim.Class, flags wbem.Flag) error {
	var parent *cim.Class
	if decl.Superclass != "" {
		p, err := tx.Class(ns, decl.Superclass)
		if err != nil {
			if errors.Is(err, cim.ErrNotFound) {
				return &cim.Error{Status: cim.WBEM_E_INVALID_SUPERCLASS, Parameter: decl.Superclass,
					Description: "superclass " + decl.Superclass + " of " + decl.Name + " does not exist in " + ns}
			}
			return err
		}
		parent = p
	}
	c, err := cim.Derive(parent, decl)
	if err != nil {
		return err
	}
	old, err := tx.Class(ns, decl.Name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, cim.ErrNotFound):
		return err
	case exists && flags&wbem.WBEM_FLAG_CREATE_ONLY != 0:
		return &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: decl.Name, Description: "class " + decl.Name + " already exists"}
	case !exists && flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0:
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: decl.Name, Description: "class " + decl.Name + " does not exist"}
	}
	if !exists {
		return tx.PutClass(ns, c)
	}
	if !cim.EqualFold(old.Superclass, c.Superclass) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_SUPERCLASS, Parameter: decl.Name,
			Description: "class " + decl.Name + " cannot move from superclass " + old.Superclass + " to " + c.Superclass}
	}
	mode := flags & wbem.WBEM_MASK_UPDATE_MODE
	subs, err := tx.Subclasses(ns, c.Name)
	if err != nil {
		return err
	}
	sameShape := sameProperties(old, c)
	if len(subs) > 0 && mode == wbem.WBEM_FLAG_UPDATE_COMPATIBLE && !sameShape {
		return &cim.Error{Status: cim.WBEM_E_CLASS_HAS_CHILDREN, Parameter: c.Name,
			Description: "class " + c.Name + " has subclasses; update them first or use WBEM_FLAG_UPDATE_SAFE_MODE"}
	}
	if mode != wbem.WBEM_FLAG_UPDATE_FORCE_MODE && !sameShape {
		desc, err := om.descendants(tx, ns, c.Name)
		if err != nil {
			return err
		}
		for _, d := range append([]*cim.Class{c}, desc...) {
			has, err := tx.HasInstances(ns, d.Name)
			if err != nil {
				return err
			}
			if has {
				return &cim.Error{Status: cim.WBEM_E_CLASS_HAS_INSTANCES, Parameter: c.Name,
					Description: "class " + c.Name + " has instances (of " + d.Name + "); delete them first or use WBEM_FLAG_UPDATE_FORCE_MODE"}
			}
		}
	}
	if err := tx.PutClass(ns, c); err != nil {
		return err
	}
	return om.rederive(tx, ns, c, subs)
}

// rederive completes the subclasses of parent again after parent changed.
func (om *ObjectManager) rederive(tx repository.Tx, ns string, parent *cim.Class, subs []string) error {
	for _, s := range subs {
		child, err := tx.Class(ns, s)
		if err != nil {
			return err
		}
		nc, err := cim.Derive(parent, ownDeclaration(child))
		if err != nil {
			return err
		}
		if err := tx.PutClass(ns, nc); err != nil {
			return err
		}
		grand, err := tx.Subclasses(ns, s)
		if err != nil {
			return err
		}
		if err := om.rederive(tx, ns, nc, grand); err != nil {
			return err
		}
	}
	return nil
}

// ownDeclaration recovers a declaration from a complete class: its own
// qualifiers (not the propagated ones) and every property and method as a
// declaration or an override.
func ownDeclaration(c *cim.Class) *cim.Class {
	own := func(qs cim.Qualifiers) cim.Qualifiers {
		var out cim.Qualifiers
		for _, q := range qs {
			if q.Flavor&cim.FlavorPropagated == 0 {
				out = append(out, q)
			}
		}
		return out
	}
	d := &cim.Class{Name: c.Name, Superclass: c.Superclass, Qualifiers: own(c.Qualifiers)}
	for _, p := range c.Properties {
		p.Qualifiers = own(p.Qualifiers)
		d.Properties = append(d.Properties, p)
	}
	for _, m := range c.Methods {
		m.Qualifiers = own(m.Qualifiers)
		d.Methods = append(d.Methods, m)
	}
	return d
}

// sameProperties reports whether two versions of a class have the same
// properties with the same types and keys (an update that changes only
// qualifiers such as Description is allowed even with instances).
func sameProperties(a, b *cim.Class) bool {
	if len(a.Properties) != len(b.Properties) {
		return false
	}
	for i := range a.Properties {
		p, q := &a.Properties[i], &b.Properties[i]
		if !cim.EqualFold(p.Name, q.Name) || p.Type != q.Type || p.IsKey() != q.IsKey() {
			return false
		}
	}
	return true
}

func (om *ObjectManager) deleteClass(ctx context.Context, op *wbem.Op) error {
	name := op.Path
	if name == "" {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "DeleteClass needs a class name")
	}
	if isSystemName(name) && op.Flags&wbem.WBEM_FLAG_OWNER_UPDATE == 0 {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Parameter: name, Description: "system class " + name + " cannot be deleted"}
	}
	return om.update(ctx, true, func(tx repository.Tx) error {
		return om.deleteClassTx(tx, op.Namespace, name)
	})
}

func (om *ObjectManager) deleteClassTx(tx repository.Tx, ns, name string) error {
	if _, err := tx.Class(ns, name); err != nil {
		if errors.Is(err, cim.ErrNotFound) {
			return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: name, Description: "class " + name + " does not exist in " + ns}
		}
		return err
	}
	desc, err := om.descendants(tx, ns, name)
	if err != nil {
		return err
	}
	for i := len(desc) - 1; i >= 0; i-- {
		if err := tx.DeleteClass(ns, desc[i].Name); err != nil {
			return err
		}
	}
	return tx.DeleteClass(ns, name)
}

func (om *ObjectManager) createClassEnum(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	shallow := op.Flags&wbem.WBEM_FLAG_SHALLOW != 0
	var classes []*cim.Class
	err := om.view(ctx, func(tx repository.Tx) error {
		if op.Path != "" {
			if _, err := om.class(tx, op.Namespace, op.Path); err != nil {
				return err
			}
		}
		if shallow {
			subs, err := tx.Subclasses(op.Namespace, op.Path)
			if err != nil {
				return err
			}
			for _, s := range subs {
				c, err := om.class(tx, op.Namespace, s)
				if err != nil {
					return err
				}
				classes = append(classes, c)
			}
			return nil
		}
		var err error
		classes, err = om.descendants(tx, op.Namespace, op.Path)
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range classes {
		if err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}
