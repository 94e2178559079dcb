package cimom_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/repository"
)

// bulkMOF is one MOF file with a class and n instances of it, as a bulk
// load (an inventory, a test fixture) has.
func bulkMOF(n int) fstest.MapFS {
	var b bytes.Buffer
	b.WriteString("class GW_Bulk {\n\t[Key] string Name;\n\tuint32 Index;\n\tstring Owner;\n\tuint64 Size;\n\tboolean Active;\n};\n")
	for i := range n {
		fmt.Fprintf(&b, "instance of GW_Bulk { Name = \"item%d\"; Index = %d; Owner = \"root\"; Size = %d; Active = %t; };\n", i, i, i*4096, i%2 == 0)
	}
	return fstest.MapFS{"bulk.mof": {Data: b.Bytes()}}
}

// BenchmarkBulkLoad compiles one MOF file of n instances into a new
// namespace of a new on-disk repository, in one transaction, as
// `wbem mofcomp` does: the time per instance must not grow with n.
func BenchmarkBulkLoad(b *testing.B) {
	for _, n := range []int{10_000, 40_000, 200_000} {
		fsys := bulkMOF(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if testing.Short() && n > 10_000 {
				b.Skip("a large load; skipped with -short")
			}
			ctx := context.Background()
			var cpu time.Duration
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
				before := cpuTime()
				if _, err := om.CompileMOF(ctx, fsys, "bulk.mof", `root\bulk`); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - before
				b.StopTimer()
				store.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/instance")
			// CPU time (user and system, every thread: the load and the
			// garbage collector) says what the load costs apart from the
			// other processes of a busy machine, which stretch the wall time.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
