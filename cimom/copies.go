package cimom

import (
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// classCopies hands every class an operation returns to the caller as the
// caller's own copy. The object manager's classes are shared: its cache
// holds them, instances point at them, compiled queries are compiled for
// them. A caller that changes a class it got (to PutClass it back, say)
// changes only its copy. Instances are not copied: their values are
// immutable, and their class (Instance.Class) is documented read-only.
type classCopies struct{ wbem.ResultWriter }

// copyClasses wraps w for the operations that can return classes: GetObject,
// CreateClassEnum and ExecQuery (schema queries, ClassDefsOnly, prototypes).
// The others keep w itself, whose optional interfaces (wbem.Subscriber for
// event queries) a wrapper would hide.
func copyClasses(kind wbem.OpKind, w wbem.ResultWriter) wbem.ResultWriter {
	switch kind {
	case wbem.OpGetObject, wbem.OpCreateClassEnum, wbem.OpExecQuery:
		return classCopies{w}
	}
	return w
}

func (w classCopies) Write(obj cim.Object) error {
	if c, ok := obj.(*cim.Class); ok {
		obj = c.Clone()
	}
	return w.ResultWriter.Write(obj)
}

// WriteBatch implements wbem.BatchWriter: a batch without classes goes to
// the caller in one hand-over when w can take batches; one with classes
// goes object by object, each class copied.
func (w classCopies) WriteBatch(objs []cim.Object) error {
	for _, obj := range objs {
		if _, ok := obj.(*cim.Class); ok {
			for _, obj := range objs {
				if err := w.Write(obj); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return wbem.WriteAll(w.ResultWriter, objs)
}
