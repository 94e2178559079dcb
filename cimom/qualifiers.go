package cimom

import (
	"context"
	"errors"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// Qualifier declarations (DSP0004's qualifier types) are DMTF's, which WMI
// keeps none of: the object manager stores them per namespace as the MOF
// compiler and CIM-XML's SetQualifier give them, and hands them out again
// (GetQualifier, EnumerateQualifiers). They are schema: writing one needs
// the FullWrite right on the namespace, as writing a class does, reading one
// needs Enable only. The object manager types a qualifier used on a class by
// its value, as WMI does, and does not check classes against the
// declarations (the MOF compiler checks a file against those it declares).

// sameQualifier reports whether storing a would store what b holds.
func sameQualifier(a, b *cim.QualifierDecl) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Scopes == b.Scopes && a.Flavor == b.Flavor &&
		a.ArraySize == b.ArraySize && a.Default.Type() == b.Default.Type() && cim.Equal(a.Default, b.Default)
}

// PutQualifier implements repository.Tx for a probe: storing what is stored
// already changes nothing.
func (p probeTx) PutQualifier(ns string, q *cim.QualifierDecl) error {
	c := q.Clone()
	if err := c.Check(); err != nil {
		return err
	}
	if old, err := p.Qualifier(ns, q.Name); err != nil || !sameQualifier(old, c) {
		return errChanges
	}
	return nil
}

// DeleteQualifier implements repository.Tx for a probe.
func (p probeTx) DeleteQualifier(ns, name string) error {
	if _, err := p.Qualifier(ns, name); err != nil {
		return err
	}
	return errChanges
}

// qualifierName checks the name a Get or Delete names.
func qualifierName(op *wbem.Op) error {
	if op.Path == "" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: op.Kind.String(), Parameter: "QualifierName",
			Description: op.Kind.String() + " needs a qualifier name"}
	}
	return nil
}

func (om *ObjectManager) getQualifier(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if err := qualifierName(op); err != nil {
		return err
	}
	var q *cim.QualifierDecl
	err := om.store.View(ctx, func(tx repository.Tx) error {
		var err error
		q, err = tx.Qualifier(op.Namespace, op.Path)
		return err
	})
	if err != nil {
		return err
	}
	return w.Write(q)
}

func (om *ObjectManager) enumQualifiers(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	var qs []*cim.QualifierDecl
	err := om.store.View(ctx, func(tx repository.Tx) error {
		var err error
		qs, err = tx.Qualifiers(op.Namespace)
		return err
	})
	if err != nil {
		return err
	}
	for _, q := range qs {
		if err := w.Write(q); err != nil {
			return err
		}
	}
	return nil
}

func (om *ObjectManager) putQualifier(ctx context.Context, op *wbem.Op) error {
	q, ok := op.Object.(*cim.QualifierDecl)
	if !ok || q == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: op.Kind.String(), Parameter: "QualifierDeclaration",
			Description: "PutQualifier needs a qualifier declaration"}
	}
	q = q.Clone()
	if err := q.Check(); err != nil {
		return err
	}
	return om.update(ctx, false, func(tx repository.Tx) error {
		return putQualifierTx(tx, op.Namespace, q, op.Flags)
	})
}

// putQualifierTx stores q honouring WBEM_FLAG_CREATE_ONLY and
// WBEM_FLAG_UPDATE_ONLY.
func putQualifierTx(tx repository.Tx, ns string, q *cim.QualifierDecl, flags wbem.Flag) error {
	if flags&(wbem.WBEM_FLAG_CREATE_ONLY|wbem.WBEM_FLAG_UPDATE_ONLY) != 0 {
		_, err := tx.Qualifier(ns, q.Name)
		exists := err == nil
		if err != nil && !errors.Is(err, cim.ErrNotFound) {
			return err
		}
		if exists && flags&wbem.WBEM_FLAG_CREATE_ONLY != 0 {
			return &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: q.Name, Description: "qualifier " + q.Name + " is already declared in " + ns}
		}
		if !exists && flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0 {
			return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: q.Name, Description: "qualifier " + q.Name + " is not declared in " + ns}
		}
	}
	return tx.PutQualifier(ns, q)
}

func (om *ObjectManager) deleteQualifier(ctx context.Context, op *wbem.Op) error {
	if err := qualifierName(op); err != nil {
		return err
	}
	return om.update(ctx, false, func(tx repository.Tx) error {
		return tx.DeleteQualifier(op.Namespace, op.Path)
	})
}
