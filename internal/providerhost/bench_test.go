//go:build linux

package providerhost

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The benchmarks of docs/benchmarks.md's "Out-of-process providers": the
// 10-property workload served by the same provider linked in and out of
// process (the test binary as its executable), in one run:
//
//	go test -run X -bench . -benchtime 3x ./internal/providerhost

const benchN = 200_000

// drain enumerates GW_Item over svc and returns how many came and the time
// to the first.
func drain(b testing.TB, svc *wbem.Services) (int, time.Duration) {
	start := time.Now()
	e, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 1000)
	// The first object alone: Next with Infinite waits for a full batch.
	total, err := e.Next(wbem.Infinite, buf[:1])
	first := time.Since(start)
	if err == io.EOF {
		return total, first
	}
	if err != nil {
		b.Fatal(err)
	}
	for {
		n, err := e.Next(wbem.Infinite, buf)
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

// providers returns the two ways of serving benchN workload instances.
func benchProviders(b *testing.B) map[string]func() provider.InstanceProvider {
	h := newHost(b, Config{})
	r := reg(b, "Bench", SelfHost)
	return map[string]func() provider.InstanceProvider{
		"linked-in":      func() provider.InstanceProvider { return &workload.Provider{N: benchN} },
		"out-of-process": func() provider.InstanceProvider { return h.Proxy(r) },
	}
}

func benchEnumerate(b *testing.B, svc *wbem.Services) {
	drain(b, svc) // start the process, warm the class cache
	b.ResetTimer()
	for range b.N {
		if got, _ := drain(b, svc); got != benchN {
			b.Fatalf("got %d instances, want %d", got, benchN)
		}
	}
	b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "inst/s")
}

// BenchmarkEnumerate: instances/s through the in-process API.
func BenchmarkEnumerate(b *testing.B) {
	ps := benchProviders(b)
	for _, name := range []string{"linked-in", "out-of-process"} {
		b.Run(name, func(b *testing.B) {
			benchEnumerate(b, omWith(ps[name]()).Services(workload.Namespace))
		})
	}
}

// BenchmarkEnumerateWSMan: instances/s over WS-Management on loopback.
func BenchmarkEnumerateWSMan(b *testing.B) {
	ps := benchProviders(b)
	for _, name := range []string{"linked-in", "out-of-process"} {
		b.Run(name, func(b *testing.B) {
			om := omWith(ps[name]())
			hs := httptest.NewServer(wsman.NewServer(om, wsman.Options{AllowAnonymous: true, ServerName: "bench"}))
			defer hs.Close()
			svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman?maxelements=1000&maxenvelopesize=67108864", workload.Namespace, wbem.Credentials{})
			if err != nil {
				b.Fatal(err)
			}
			benchEnumerate(b, svc)
		})
	}
}

// BenchmarkFirstObject: time from the call to the first object, with the
// provider's process running (warm) and not yet started (cold).
func BenchmarkFirstObject(b *testing.B) {
	for _, mode := range []string{"linked-in", "warm", "cold"} {
		b.Run(mode, func(b *testing.B) {
			h := newHost(b, Config{})
			var p provider.InstanceProvider = &workload.Provider{N: 1000}
			if mode != "linked-in" {
				p = h.Proxy(reg(b, "Items", SelfHost))
			}
			svc := omWith(p).Services(workload.Namespace)
			drain(b, svc)
			var ds []time.Duration
			b.ResetTimer()
			for range b.N {
				if mode == "cold" {
					b.StopTimer()
					h.StopProvider(`root\cimv2`, "Items", "benchmark")
					waitStopped(b, h)
					b.StartTimer()
				}
				_, first := drain(b, svc)
				ds = append(ds, first)
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "ms-max")
		})
	}
}

// waitStopped waits until the host runs no process.
func waitStopped(b testing.TB, h *Host) {
	for {
		h.mu.Lock()
		n := len(h.procs)
		h.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
