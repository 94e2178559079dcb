package wmi

import (
	"context"
	"runtime"
	"testing"
	"time"

	yw "github.com/yusufpapurcu/wmi"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// The same queries through this backend (semisynchronous, forward-only,
// rows as they come) and through github.com/yusufpapurcu/wmi (synchronous,
// the whole result in a slice), side by side in one process. Under Wine
// these numbers say nothing about Windows.

type ywProcess struct {
	Name      string
	ProcessId uint32
}

type ywService struct {
	Name  string
	State string
}

func benchGowbem(b *testing.B, q string) {
	svc := open(b, `root\cimv2`)
	ctx := context.Background()
	buf := make([]cim.Object, 64)
	var rows int
	var first time.Duration
	var peak uint64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		e, err := svc.ExecQuery(ctx, "WQL", q, semisync)
		if err != nil {
			b.Fatal(err)
		}
		got := false
		for {
			n, err := e.Next(wbem.Infinite, buf)
			if n > 0 && !got {
				first += time.Since(start)
				got = true
			}
			rows += n
			if err != nil {
				break
			}
		}
		e.Close()
		peak = max(peak, heapInUse())
	}
	report(b, rows, first, peak)
}

func benchYusufpapurcu(b *testing.B, q string, dst func() any) {
	var rows int
	var first time.Duration
	var peak uint64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		d := dst()
		if err := ywClient.Query(q, d); err != nil {
			b.Fatal(err)
		}
		first += time.Since(start) // the first row comes with the last
		switch v := d.(type) {
		case *[]ywProcess:
			rows += len(*v)
		case *[]ywService:
			rows += len(*v)
		}
		peak = max(peak, heapInUse())
	}
	report(b, rows, first, peak)
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func report(b *testing.B, rows int, first time.Duration, peak uint64) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(first.Microseconds())/float64(b.N), "µs-first-row")
	b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-heap")
}

func BenchmarkWin32Process(b *testing.B) {
	const q = "SELECT Name, ProcessId FROM Win32_Process"
	b.Run("gowbem", func(b *testing.B) { benchGowbem(b, q) })
	b.Run("yusufpapurcu", func(b *testing.B) { benchYusufpapurcu(b, q, func() any { return new([]ywProcess) }) })
}

func BenchmarkWin32Service(b *testing.B) {
	const q = "SELECT Name, State FROM Win32_Service"
	b.Run("gowbem", func(b *testing.B) { benchGowbem(b, q) })
	b.Run("yusufpapurcu", func(b *testing.B) { benchYusufpapurcu(b, q, func() any { return new([]ywService) }) })
}

// ywClient tolerates the extra properties Wine returns for a projection.
var ywClient = &yw.Client{AllowMissingFields: true}
