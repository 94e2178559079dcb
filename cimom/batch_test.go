package cimom_test

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// objectsOnly is a ResultWriter without WriteBatch: it records each Write.
type objectsOnly struct {
	objs   []cim.Object
	writes int
}

func (w *objectsOnly) Write(obj cim.Object) error {
	w.writes++
	w.objs = append(w.objs, obj)
	return nil
}
func (w *objectsOnly) SetResultString(string) {}
func (w *objectsOnly) Progress(int, int)      {}

// batchesToo is a wbem.BatchWriter: it records each WriteBatch's length.
type batchesToo struct {
	objectsOnly
	batches []int
}

func (w *batchesToo) WriteBatch(objs []cim.Object) error {
	w.batches = append(w.batches, len(objs))
	w.objs = append(w.objs, objs...)
	return nil
}

// A provider's EmitBatch reaches a writer that takes batches as one
// WriteBatch per batch, placed, filtered and projected as Emit's instances
// are; a writer without WriteBatch gets the same objects one Write each.
func TestEmitBatchReachesWriteBatch(t *testing.T) {
	ops := []struct {
		name string
		op   wbem.Op
		want []int // the batches: the provider's 64, 64, 22, less what the filter drops
	}{
		{"instance enumeration", wbem.Op{Kind: wbem.OpCreateInstanceEnum, Path: workload.ClassName}, []int{64, 64, 22}},
		{"query with a filter and a projection", wbem.Op{Kind: wbem.OpExecQuery, Language: "WQL",
			Query: "SELECT Id, Name FROM " + workload.ClassName + " WHERE Id >= 10"}, []int{54, 64, 22}},
	}
	for _, tc := range ops {
		t.Run(tc.name, func(t *testing.T) {
			p := &workload.Provider{N: 150, Batch: 64}
			om := workload.NewObjectManager(p)
			tc.op.Namespace = workload.Namespace
			var bw batchesToo
			if err := om.Do(context.Background(), &tc.op, &bw); err != nil {
				t.Fatal(err)
			}
			if bw.writes != 0 || len(bw.batches) != len(tc.want) {
				t.Fatalf("the writer got %d Writes and the batches %v; want no Write and the batches %v", bw.writes, bw.batches, tc.want)
			}
			for i, n := range tc.want {
				if bw.batches[i] != n {
					t.Fatalf("batches %v, want %v", bw.batches, tc.want)
				}
			}
			var ow objectsOnly
			if err := om.Do(context.Background(), &tc.op, &ow); err != nil {
				t.Fatal(err)
			}
			if len(ow.objs) != len(bw.objs) || ow.writes != len(ow.objs) {
				t.Fatalf("a writer without batches got %d objects in %d Writes, the batch writer %d", len(ow.objs), ow.writes, len(bw.objs))
			}
			for i := range bw.objs {
				b, o := bw.objs[i].(*cim.Instance), ow.objs[i].(*cim.Instance)
				if b.ObjectPath().String() != o.ObjectPath().String() || b.Len() != o.Len() || b.ObjectPath().Server != "testhost" {
					t.Fatalf("object %d: batched %s (%d properties), one by one %s (%d properties)", i, b.ObjectPath(), b.Len(), o.ObjectPath(), o.Len())
				}
				for k := range b.Len() {
					if !cim.Equal(b.At(k), o.At(k)) {
						t.Fatalf("object %d, property %d: batched %v, one by one %v", i, k, b.At(k), o.At(k))
					}
				}
			}
			if got := p.Emitted.Load(); got != 300 {
				t.Errorf("the provider counted %d emitted, want 300 (150 per call)", got)
			}
		})
	}
}
