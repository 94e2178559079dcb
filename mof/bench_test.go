package mof

import (
	"context"
	"io/fs"
	"runtime"
	"testing"
	"testing/fstest"
)

// BenchmarkCompileCIMSchema compiles the whole CIM Schema 2.49 from its zip
// (decompression included). Besides ns/op and B/op it reports live-MB, the
// heap a compiled plan keeps, and sys-MB, the memory the process got from the
// system by the end (an upper bound of the peak).
func BenchmarkCompileCIMSchema(b *testing.B) {
	fsys, top := openSchema(b)
	benchCompile(b, fsys, top)
}

// BenchmarkCompileCIMSchemaMem is the same with the files already in memory,
// to show the compiler's own cost.
func BenchmarkCompileCIMSchemaMem(b *testing.B) {
	zfs, top := openSchema(b)
	mem := fstest.MapFS{}
	err := fs.WalkDir(zfs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(zfs, p)
		mem[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	benchCompile(b, mem, top)
}

func benchCompile(b *testing.B, fsys fs.FS, top string) {
	b.ReportAllocs()
	var plan *Plan
	for b.Loop() {
		var err error
		if plan, err = Compile(context.Background(), fsys, top, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MB")
	runtime.KeepAlive(plan)
}
