package cimxml_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// A plain EnumerateInstances (no pull operations: the server writes one
// chunked response as the objects arrive, the client decodes it as it
// reads) holds neither the whole response nor every object: with the
// server and the client in this process, the heap read every few hundred
// objects does not grow from 10,000 to 100,000 instances. (The pull
// operations' bound is TestForwardOnlyMemoryBounded/cimxml in package
// wbem.)
func TestPlainEnumerateMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 110,000 instances")
	}
	heap := func(n int) uint64 {
		e := newEnv(t, &workload.Provider{N: n}, nil)
		svc := e.connect(t, "pull=false")
		en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer en.Close()
		buf := make([]cim.Object, 100)
		var peak uint64
		var ms runtime.MemStats
		total := 0
		for i := 0; ; i++ {
			k, err := en.Next(wbem.Infinite, buf)
			total += k
			clear(buf[:k])
			if i%300 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			if err != nil {
				break
			}
		}
		if total != n {
			t.Fatalf("read %d instances of %d", total, n)
		}
		return peak
	}
	small, big := heap(10_000), heap(100_000)
	t.Logf("peak heap in use: %d KiB at 10,000 instances, %d KiB at 100,000", small>>10, big>>10)
	if big > small+8<<20 {
		t.Fatalf("heap grew with N: %d MiB at 10,000, %d MiB at 100,000", small>>20, big>>20)
	}
}
