package cimxml_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// heapPeak samples the live heap every 2 ms until stopped.
type heapPeak struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 { close(h.stop); return <-h.done }

// The 10-property workload over CIM-XML and over WS-Management on loopback,
// in the same process and run, side by side: pulls of 100, 1000 and 10000
// objects (MaxObjectCount, MaxElements) and CIM-XML's plain
// EnumerateInstances read as it streams. Reported per case: instances/s,
// time to the first instance, and the peak live heap of server and client
// together (one process) while enumerating.
func BenchmarkProtocols(b *testing.B) {
	sizes := []int{100_000}
	if !testing.Short() {
		sizes = append(sizes, 1_000_000)
	}
	authn := auth.NewBasic(auth.Static{testUser: {Password: testPass, Admin: true}}, auth.BasicOptions{})
	for _, n := range sizes {
		om := workload.NewObjectManager(&workload.Provider{N: n})
		cx := cimxml.NewServer(om, cimxml.Options{Authenticator: authn, ServerName: "testhost"})
		ws := wsman.NewServer(om, wsman.Options{Authenticator: authn, ServerName: "testhost"})
		hcx := httptest.NewUnstartedServer(cx)
		hcx.Config.ConnContext = wsman.ConnContext
		hcx.Start()
		hws := httptest.NewUnstartedServer(ws)
		hws.Config.ConnContext = wsman.ConnContext
		hws.Start()
		cases := []struct{ name, url string }{}
		for _, batch := range []int{100, 1000, 10000} {
			cases = append(cases,
				struct{ name, url string }{fmt.Sprintf("N=%d/wsman/batch=%d", n, batch), fmt.Sprintf("%s/wsman?maxelements=%d&maxenvelopesize=%d", hws.URL, batch, 64<<20)},
				struct{ name, url string }{fmt.Sprintf("N=%d/cimxml/batch=%d", n, batch), fmt.Sprintf("%s/cimom?maxobjectcount=%d", hcx.URL, batch)})
		}
		cases = append(cases, struct{ name, url string }{fmt.Sprintf("N=%d/cimxml/plain", n), hcx.URL + "/cimom?pull=false"})
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				svc, err := wbem.Connect(context.Background(), c.url, workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
				if err != nil {
					b.Fatal(err)
				}
				drain(b, svc)
				runtime.GC()
				var first time.Duration
				var peak uint64
				b.ResetTimer()
				for range b.N {
					h := sampleHeap()
					got, f := drain(b, svc)
					peak = max(peak, h.end())
					if got != n {
						b.Fatalf("got %d instances, want %d", got, n)
					}
					first += f
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "inst/s")
				b.ReportMetric(float64(first.Microseconds())/float64(b.N)/1000, "ms-to-first")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				type closer interface{ CloseIdleConnections() }
				svc.Backend().(closer).CloseIdleConnections()
			})
		}
		cx.Close()
		ws.Close()
		hcx.Close()
		hws.Close()
	}
}
