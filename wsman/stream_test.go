package wsman_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// An enumeration of many Pulls runs on one keep-alive connection.
func TestKeepAlive(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 5000}, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "maxelements=50")
	for range 2 {
		if n, _ := drain(t, svc); n != 5000 {
			t.Fatalf("got %d instances", n)
		}
	}
	// 2 × 100 Pulls; the Identify and class look-ups go on the same
	// connection, and the read-ahead Pull may need a second one at most.
	n := 0
	e.remotes.Range(func(any, any) bool { n++; return true })
	if n > 2 {
		t.Fatalf("%d connections for 200 Pulls: keep-alive is not working", n)
	}
}

// A forward-only enumeration over the wire holds memory bounded by its
// batches and queue, not by the number of instances.
func TestRemoteMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 300k instances")
	}
	heap := func(n int) uint64 {
		e := newEnv(t, &workload.Provider{N: n}, wsman.Options{})
		svc := e.connect(t, testUser, testPass, "maxelements=500")
		en, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		defer en.Close()
		buf := make([]cim.Object, 100)
		var peak uint64
		var ms runtime.MemStats
		for i := 0; ; i++ {
			_, err := en.Next(wbem.Infinite, buf)
			if i%300 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			if err != nil {
				break
			}
		}
		return peak
	}
	small, big := heap(30_000), heap(300_000)
	if big > small+8<<20 {
		t.Fatalf("heap grew with N: %d MiB at 30k, %d MiB at 300k", small>>20, big>>20)
	}
}
