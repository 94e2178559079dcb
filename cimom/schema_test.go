package cimom_test

import (
	"archive/zip"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/repository"
)

// cimSchema opens the DMTF CIM Schema 2.49 zip named by GOWBEM_CIM_SCHEMA_ZIP,
// skipping (failing under GOWBEM_REQUIRE_ALL=1) when it is not set.
func cimSchema(tb testing.TB) (fs.FS, string) {
	tb.Helper()
	p := os.Getenv("GOWBEM_CIM_SCHEMA_ZIP")
	if p == "" {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			tb.Fatal("GOWBEM_CIM_SCHEMA_ZIP is not set and GOWBEM_REQUIRE_ALL=1")
		}
		tb.Skip("GOWBEM_CIM_SCHEMA_ZIP is not set: the DMTF CIM Schema is not available")
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { zr.Close() })
	for _, f := range zr.File {
		if path.Base(f.Name) == "cim_schema_2.49.0.mof" {
			return zr, f.Name
		}
	}
	tb.Fatalf("%s has no cim_schema_2.49.0.mof", p)
	return nil, ""
}

// The whole CIM Schema goes into both stores in one transaction and is then
// served by the object manager.
func TestCIMSchemaIntoStore(t *testing.T) {
	fsys, top := cimSchema(t)
	ctx := context.Background()
	stores := map[string]func() repository.Store{
		"memory": func() repository.Store { return repository.NewMemory() },
		"bolt": func() repository.Store {
			b, err := repository.OpenBolt(filepath.Join(t.TempDir(), "repository.db"), repository.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			om, err := cimom.New(ctx, open(), cimom.WithServer("h"))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := om.CompileMOF(ctx, fsys, top, "")
			if err != nil {
				t.Fatal(err)
			}
			svc := om.Services(`root\cimv2`)
			e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM meta_class WHERE NOT __CLASS LIKE '[_][_]%'", 0)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := e.Collect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			classes := 0
			for _, it := range plan.Items {
				if it.Class != nil {
					classes++
				}
			}
			if len(objs) != classes || classes != 1631 {
				t.Fatalf("store serves %d non-system classes, the plan has %d, the schema 1631", len(objs), classes)
			}
			cr, err := svc.GetObject(ctx, "CIM_ComputerSystem", 0)
			if err != nil {
				t.Fatal(err)
			}
			obj, _ := cr.ResultObject(0)
			cs := obj.(*cim.Class)
			var keys []string
			for _, k := range cs.Keys() {
				keys = append(keys, cs.Properties[k].Name)
			}
			// Name comes first: CIM_ManagedSystemElement declares it, CIM_System
			// makes it a key.
			if len(keys) != 2 || !cim.EqualFold(keys[0], "Name") || !cim.EqualFold(keys[1], "CreationClassName") {
				t.Fatalf("CIM_ComputerSystem keys %v", keys)
			}
			// DeleteClass of the root removes the whole tree in one go.
			if _, err := svc.DeleteClass(ctx, "CIM_ManagedElement", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.GetObject(ctx, "CIM_ComputerSystem", 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
				t.Fatalf("CIM_ComputerSystem after deleting its root: %v", err)
			}
		})
	}
}

// BenchmarkLoadCIMSchema compiles the whole CIM Schema 2.49 and writes it to
// a new on-disk repository in one transaction.
func BenchmarkLoadCIMSchema(b *testing.B) {
	fsys, top := cimSchema(b)
	ctx := context.Background()
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		store, err := repository.OpenBolt(filepath.Join(b.TempDir(), "repository.db"), repository.BoltOptions{})
		if err != nil {
			b.Fatal(err)
		}
		om, err := cimom.New(ctx, store)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := om.CompileMOF(ctx, fsys, top, ""); err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		b.StopTimer()
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap")
}
