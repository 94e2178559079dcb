package cimom

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// batchWriter records what WriteBatch and Write got.
type batchWriter struct {
	objs            []cim.Object
	writes, batches int
}

func (w *batchWriter) Write(obj cim.Object) error {
	w.writes++
	w.objs = append(w.objs, obj)
	return nil
}
func (w *batchWriter) WriteBatch(objs []cim.Object) error {
	w.batches++
	w.objs = append(w.objs, objs...)
	return nil
}
func (w *batchWriter) SetResultString(string) {}
func (w *batchWriter) Progress(int, int)      {}

// A batch that holds a class reaches the caller with the class copied, as
// Write's classes are; a batch of instances goes through as one batch.
func TestClassCopiesWriteBatch(t *testing.T) {
	c := &cim.Class{Name: "GW_C"}
	inst := c.NewInstance()
	var rec batchWriter
	w := copyClasses(wbem.OpExecQuery, &rec).(wbem.BatchWriter)
	if err := w.WriteBatch([]cim.Object{inst, inst}); err != nil || rec.batches != 1 || rec.writes != 0 {
		t.Fatalf("a batch of instances: %v, %d batches and %d writes; want one batch", err, rec.batches, rec.writes)
	}
	rec = batchWriter{}
	if err := w.WriteBatch([]cim.Object{inst, c}); err != nil || len(rec.objs) != 2 {
		t.Fatalf("a batch with a class: %v, %d objects", err, len(rec.objs))
	}
	if rec.objs[0] != inst || rec.objs[1] == c || rec.objs[1].(*cim.Class).Name != "GW_C" {
		t.Fatalf("a batch with a class gave %v: want the instance itself and a copy of the class", rec.objs)
	}
}
