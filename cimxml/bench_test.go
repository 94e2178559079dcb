package cimxml_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// drain enumerates GW_Item over svc and returns the count and the time to
// the first instance.
func drain(b testing.TB, svc *wbem.Services) (int, time.Duration) {
	start := time.Now()
	e, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 1000)
	total := 0
	var first time.Duration
	for {
		n, err := e.Next(wbem.Infinite, buf)
		if total == 0 && n > 0 {
			first = time.Since(start)
		}
		total += n
		clear(buf[:n])
		if err == io.EOF {
			return total, first
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Enumerate 10^5 (and, without -short, 10^6) workload instances over
// loopback on one keep-alive connection: pulls of MaxObjectCount 100, 1000
// and 10000, and the plain EnumerateInstances read as it streams.
func BenchmarkEnumerate(b *testing.B) {
	sizes := []int{100_000}
	if !testing.Short() {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		for _, mode := range []string{"maxobjectcount=100", "maxobjectcount=1000", "maxobjectcount=10000", "pull=false"} {
			b.Run(fmt.Sprintf("N=%d/%s", n, mode), func(b *testing.B) {
				e := newEnv(b, &workload.Provider{N: n}, nil)
				svc := e.connect(b, mode)
				drain(b, svc) // warm the connection and the class cache
				var first time.Duration
				b.ResetTimer()
				for range b.N {
					got, f := drain(b, svc)
					if got != n {
						b.Fatalf("got %d instances, want %d", got, n)
					}
					first += f
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inst/s")
				b.ReportMetric(float64(first.Microseconds())/float64(b.N)/1000, "ms-to-first")
			})
		}
	}
}
