package cimom

import (
	"context"
	"errors"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// errChanges stops a probe at the first write that would change the store.
var errChanges = errors.New("cimom: the transaction would change the store")

// probeTx runs a write transaction's function over a read transaction, to
// learn whether it would change anything: reads go to the store, a write
// that would store what is there already does nothing, and any other write
// fails with errChanges. Until the first such write every write was a no-op,
// so the reads see exactly what the write transaction would.
type probeTx struct{ repository.Tx }

func (p probeTx) CreateNamespace(string) error { return errChanges }

func (p probeTx) DeleteNamespace(ns string) error {
	if p.NamespaceExists(ns) {
		return errChanges
	}
	return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: ns, Description: "namespace " + ns + " does not exist"}
}

func (p probeTx) PutClass(ns string, c *cim.Class) error {
	if old, err := p.Class(ns, c.Name); err != nil || !repository.SameClass(old, c) {
		return errChanges
	}
	return nil
}

func (p probeTx) DeleteClass(ns, name string) error {
	if _, err := p.Class(ns, name); err != nil {
		return err
	}
	return errChanges
}

func (p probeTx) PutInstance(ns string, inst *cim.Instance) error {
	if old, err := p.Instance(ns, inst.Class(), repository.InstanceKey(inst)); err != nil || !repository.SameInstance(old, inst) {
		return errChanges
	}
	return nil
}

func (p probeTx) DeleteInstance(ns, className, key string) error {
	c, err := p.Class(ns, className)
	if err != nil {
		return err
	}
	if _, err := p.Instance(ns, c, key); err != nil {
		return err
	}
	return errChanges
}

// changes reports whether fn, run in a write transaction, would change the
// store; it runs fn over a read transaction (see probeTx). A failure of fn
// counts as a change: the write transaction then reports it.
func (om *ObjectManager) changes(ctx context.Context, fn func(repository.Tx) error) bool {
	return om.store.View(ctx, func(tx repository.Tx) error { return fn(probeTx{tx}) }) != nil
}
