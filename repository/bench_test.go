package repository_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// benchClass is the 10-property class of the benchmarks: 4 strings (one the
// key), 4 integers, a datetime and a boolean.
func benchClass(tb testing.TB) *cim.Class {
	tb.Helper()
	c, err := cim.Derive(nil, &cim.Class{Name: "Bench", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "Caption", Type: cim.TypeString},
		{Name: "Description", Type: cim.TypeString},
		{Name: "Status", Type: cim.TypeString},
		{Name: "Count", Type: cim.TypeUint32},
		{Name: "Size", Type: cim.TypeUint64},
		{Name: "Offset", Type: cim.TypeSint32},
		{Name: "Flags", Type: cim.TypeUint16},
		{Name: "Installed", Type: cim.TypeDatetime},
		{Name: "Enabled", Type: cim.TypeBoolean},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var benchTime = cim.TimeValue(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))

func benchInstance(c *cim.Class, i int) *cim.Instance {
	inst := c.NewInstance()
	inst.SetAt(0, cim.String(fmt.Sprintf("instance-%08d", i)))
	inst.SetAt(1, cim.String("A benchmark instance"))
	inst.SetAt(2, cim.String("Ten properties of the usual kinds, as a typical Win32 class has"))
	inst.SetAt(3, cim.String("OK"))
	inst.SetAt(4, cim.Uint32(uint32(i)))
	inst.SetAt(5, cim.Uint64(uint64(i)*4096))
	inst.SetAt(6, cim.Sint32(int32(-i)))
	inst.SetAt(7, cim.Uint16(uint16(i)))
	inst.SetAt(8, benchTime)
	inst.SetAt(9, cim.Bool(i%2 == 0))
	return inst
}

func benchStore(b *testing.B) (*repository.Bolt, *cim.Class) {
	s, err := repository.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), repository.BoltOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	c := benchClass(b)
	if err := s.Update(context.Background(), func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, c) }); err != nil {
		b.Fatal(err)
	}
	return s, c
}

// BenchmarkPutInstance measures storing instances; one op is one instance.
// Run with -benchtime=100000x for the 10^5 of the brief.
func BenchmarkPutInstance(b *testing.B) {
	ctx := context.Background()
	b.Run("UpdateEach", func(b *testing.B) {
		s, c := benchStore(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			inst := benchInstance(c, i)
			if err := s.Update(ctx, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, inst) }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "instances/s")
	})
	b.Run("UpdatePer1000", func(b *testing.B) {
		s, c := benchStore(b)
		b.ReportAllocs()
		b.ResetTimer()
		for lo := 0; lo < b.N; lo += 1000 {
			if err := s.Update(ctx, func(tx repository.Tx) error {
				for i := lo; i < min(b.N, lo+1000); i++ {
					if err := tx.PutInstance(`root\cimv2`, benchInstance(c, i)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "instances/s")
	})
	b.Run("BatchParallel", func(b *testing.B) {
		s, c := benchStore(b)
		var next atomic.Int64
		b.SetParallelism(16) // 16 goroutines per GOMAXPROCS
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				inst := benchInstance(c, int(next.Add(1)))
				if err := s.Batch(ctx, func(tx repository.Tx) error { return tx.PutInstance(`root\cimv2`, inst) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "instances/s")
	})
}

// streamStores holds the stores of BenchmarkStream, built once per process
// (removed by TestMain's cleanup).
var streamStores struct {
	sync.Mutex
	dir string
	m   map[int]*repository.Bolt
}

func cleanupBenchStores() {
	streamStores.Lock()
	defer streamStores.Unlock()
	for _, s := range streamStores.m {
		s.Close()
	}
	if streamStores.dir != "" {
		os.RemoveAll(streamStores.dir)
	}
}

func streamStore(b *testing.B, n int) (*repository.Bolt, *cim.Class) {
	c := benchClass(b)
	streamStores.Lock()
	defer streamStores.Unlock()
	if s := streamStores.m[n]; s != nil {
		return s, c
	}
	if streamStores.dir == "" {
		dir, err := os.MkdirTemp("", "gowbem-bench-")
		if err != nil {
			b.Fatal(err)
		}
		streamStores.dir, streamStores.m = dir, map[int]*repository.Bolt{}
	}
	s, err := repository.OpenBolt(filepath.Join(streamStores.dir, fmt.Sprintf("stream-%d.db", n)), repository.BoltOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if err := s.Update(ctx, func(tx repository.Tx) error { return tx.PutClass(`root\cimv2`, c) }); err != nil {
		b.Fatal(err)
	}
	const per = 20000
	for lo := 0; lo < n; lo += per {
		if err := s.Update(ctx, func(tx repository.Tx) error {
			for i := lo; i < min(n, lo+per); i++ {
				if err := tx.PutInstance(`root\cimv2`, benchInstance(c, i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	fi, _ := os.Stat(s.Path())
	b.Logf("built a store of %d instances in %v (%d MB)", n, time.Since(start).Round(time.Millisecond), fi.Size()>>20)
	streamStores.m[n] = s
	return s, c
}

// BenchmarkStream measures Instances over a class of 10^5 and 10^6 stored
// instances; one op is one whole enumeration. peak-heap-MB is the highest
// HeapInuse sampled during the stream: it must not grow with the count.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if testing.Short() {
				b.Skip("builds a large store; skipped with -short")
			}
			s, c := streamStore(b, n)
			ctx := context.Background()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, ms.HeapInuse
			b.ResetTimer()
			for range b.N {
				seen := 0
				if err := s.Instances(ctx, `root\cimv2`, c, func(inst *cim.Instance) error {
					seen++
					if seen%8192 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if seen != n {
					b.Fatalf("streamed %d instances, want %d", seen, n)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "instances/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(peak-base)/(1<<20), "heap-growth-MB")
		})
	}
}

// syntheticClasses derives count classes in a tree (each class has up to 8
// subclasses), each adding 5 properties and a method to what it inherits.
func syntheticClasses(tb testing.TB, count int) []*cim.Class {
	tb.Helper()
	out := make([]*cim.Class, 0, count)
	for i := range count {
		var parent *cim.Class
		decl := &cim.Class{Name: fmt.Sprintf("Synth_%04d", i),
			Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.String("a synthetic class for the load benchmark")}}}
		if i == 0 {
			decl.Properties = append(decl.Properties, cim.Property{Name: "ID", Type: cim.TypeString,
				Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}})
		} else {
			parent = out[(i-1)/8]
			decl.Superclass = parent.Name
		}
		for p := range 5 {
			decl.Properties = append(decl.Properties, cim.Property{Name: fmt.Sprintf("P%d_%d", i, p), Type: cim.TypeUint32,
				Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.String("a property")}}})
		}
		decl.Methods = []cim.Method{{Name: fmt.Sprintf("M%d", i), ReturnType: cim.TypeUint32,
			Params: []cim.Parameter{{Name: "In1", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}}}}}
		c, err := cim.Derive(parent, decl)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// BenchmarkLoadClasses stores 1,500 classes of a derivation tree in one
// Update into a new store, then reads them all back; one op is the whole load.
func BenchmarkLoadClasses(b *testing.B) {
	classes := syntheticClasses(b, 1500)
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		s, err := repository.OpenBolt(filepath.Join(b.TempDir(), "classes.db"), repository.BoltOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Update(ctx, func(tx repository.Tx) error {
			for _, c := range classes {
				if err := tx.PutClass(`root\cimv2`, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		// Read the whole tree back, as an object manager does at start.
		n := 0
		if err := s.View(ctx, func(tx repository.Tx) error {
			var walk func(string) error
			walk = func(name string) error {
				subs, err := tx.Subclasses(`root\cimv2`, name)
				if err != nil {
					return err
				}
				for _, sub := range subs {
					if _, err := tx.Class(`root\cimv2`, sub); err != nil {
						return err
					}
					n++
					if err := walk(sub); err != nil {
						return err
					}
				}
				return nil
			}
			return walk("")
		}); err != nil {
			b.Fatal(err)
		}
		if n != len(classes) {
			b.Fatalf("read back %d classes, want %d", n, len(classes))
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
