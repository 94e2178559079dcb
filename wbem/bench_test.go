package wbem_test

import (
	"testing"

	"github.com/gowbem/gowbem/internal/bench"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// BenchmarkBaseline builds workload instances with nothing in between: the
// baseline the stream is compared with.
func BenchmarkBaseline(b *testing.B) {
	c := workload.Class()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bench.Sink.Store(workload.Build(c, i))
	}
}

// BenchmarkSemisyncForwardOnly enumerates b.N instances through a
// semisynchronous forward-only ExecQuery read with Next(Infinite, 1000).
func BenchmarkSemisyncForwardOnly(b *testing.B) {
	b.ReportAllocs()
	if _, _, err := bench.Enumerate(b.N, 1000, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFirstObject measures a semisynchronous call's return to its
// first object.
func BenchmarkFirstObject(b *testing.B) {
	for b.Loop() {
		bench.FirstObject(1_000_000, 1)
	}
}
