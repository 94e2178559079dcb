package cimxml_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/bench"
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

// protoCase is one way of reading the workload, with what its runs took.
type protoCase struct {
	name             string // "wsman/100", "cimxml/100", "cimxml/plain"
	url              string
	svc              *wbem.Services
	wall, cpu, first time.Duration
	runs             int
	peak, rss        uint64 // live heap, resident set (server and client)
}

// resetPeakRSS returns the freed heap to the system and restarts the
// process's peak resident set (VmHWM) from what it holds now (Linux's
// clear_refs 5; elsewhere nothing).
func resetPeakRSS() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns VmHWM in bytes (0 where /proc does not tell it).
func peakRSS() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func (c *protoCase) run(b *testing.B, n int) {
	resetPeakRSS()
	h := sampleHeap()
	c0, t0 := bench.CPUTime(), time.Now()
	got, f := drain(b, c.svc)
	c.wall += time.Since(t0)
	c.cpu += bench.CPUTime() - c0
	c.peak = max(c.peak, h.end())
	c.rss = max(c.rss, peakRSS())
	if got != n {
		b.Fatalf("%s: got %d instances, want %d", c.name, got, n)
	}
	c.first += f
	c.runs++
}

// loadAverage is the first field of /proc/loadavg ("?" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// benchRounds is how many interleaved rounds a BenchmarkProtocols
// iteration runs: GOWBEM_BENCH_ROUNDS, else 3 for 10^5 instances and 1 for
// 10^6.
func benchRounds(n int) int {
	if r, err := strconv.Atoi(os.Getenv("GOWBEM_BENCH_ROUNDS")); err == nil && r > 0 {
		return r
	}
	if n >= 1_000_000 {
		return 1
	}
	return 3
}

// The 10-property workload over CIM-XML and over WS-Management on loopback,
// in the same process, interleaved: each round reads the workload once per
// case — pulls of 100, 1000 and 10000 objects (CIM-XML's MaxObjectCount,
// WS-Man's MaxElements), the two protocols of a batch size one after the
// other (which goes first alternates by round), and CIM-XML's plain
// EnumerateInstances read as it streams — so that the machine's load
// falls on both alike. Reported: CIM-XML's time over WS-Man's per batch
// size, in wall time and in processor time (getrusage of the process,
// which holds server and client: the figure a loaded machine disturbs
// least); the table (b.Log) gives instances/s, time to the first object,
// the peak live heap and the peak resident set of each case (the one
// process's, server and client together: the freed heap returned to the
// system and VmHWM restarted before each run), and the load average at the
// start and the end. Run at normal priority: go test -run X -bench Protocols
// -benchtime 1x ./cimxml (GOWBEM_BENCH_ROUNDS sets the rounds).
func BenchmarkProtocols(b *testing.B) {
	sizes := []int{100_000}
	if !testing.Short() {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchProtocols(b, n) })
	}
}

func benchProtocols(b *testing.B, n int) {
	authn := auth.NewBasic(auth.Static{testUser: {Password: testPass, Admin: true}}, auth.BasicOptions{})
	om := workload.NewObjectManager(&workload.Provider{N: n})
	cx := cimxml.NewServer(om, cimxml.Options{Authenticator: authn, ServerName: "testhost"})
	ws := wsman.NewServer(om, wsman.Options{Authenticator: authn, ServerName: "testhost"})
	hcx := httptest.NewUnstartedServer(cx)
	hcx.Config.ConnContext = wsman.ConnContext
	hcx.Start()
	hws := httptest.NewUnstartedServer(ws)
	hws.Config.ConnContext = wsman.ConnContext
	hws.Start()
	defer func() {
		cx.Close()
		ws.Close()
		hcx.Close()
		hws.Close()
	}()
	batches := []int{100, 1000, 10000}
	var cases []*protoCase
	for _, batch := range batches {
		cases = append(cases,
			&protoCase{name: fmt.Sprintf("wsman/%d", batch), url: fmt.Sprintf("%s/wsman?maxelements=%d&maxenvelopesize=%d", hws.URL, batch, 64<<20)},
			&protoCase{name: fmt.Sprintf("cimxml/%d", batch), url: fmt.Sprintf("%s/cimom?maxobjectcount=%d", hcx.URL, batch)})
	}
	plain := &protoCase{name: "cimxml/plain", url: hcx.URL + "/cimom?pull=false"}
	cases = append(cases, plain)
	for _, c := range cases {
		svc, err := wbem.Connect(context.Background(), c.url, workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
		if err != nil {
			b.Fatal(err)
		}
		c.svc = svc
		type closer interface{ CloseIdleConnections() }
		defer svc.Backend().(closer).CloseIdleConnections()
	}
	rounds := benchRounds(n)
	loadStart := loadAverage()
	b.ResetTimer()
	for i := range b.N * rounds {
		for k := range batches {
			one, other := cases[2*k], cases[2*k+1]
			if i%2 == 1 {
				one, other = other, one
			}
			one.run(b, n)
			other.run(b, n)
		}
		plain.run(b, n)
	}
	b.StopTimer()
	for k, batch := range batches {
		w, c := cases[2*k], cases[2*k+1]
		b.ReportMetric(float64(c.wall)/float64(w.wall), fmt.Sprintf("cx/ws-wall-%d", batch))
		b.ReportMetric(float64(c.cpu)/float64(w.cpu), fmt.Sprintf("cx/ws-cpu-%d", batch))
	}
	ws1000 := cases[2]
	b.ReportMetric(float64(plain.wall)/float64(ws1000.wall), "plain/ws1000-wall")
	b.ReportMetric(float64(plain.cpu)/float64(ws1000.cpu), "plain/ws1000-cpu")
	var t strings.Builder
	fmt.Fprintf(&t, "N=%d, %d rounds, GOMAXPROCS %d, load average %s at the start, %s at the end\n", n, rounds*b.N, runtime.GOMAXPROCS(0), loadStart, loadAverage())
	fmt.Fprintf(&t, "%-13s %12s %12s %10s %10s %10s\n", "case", "inst/s wall", "inst/s cpu", "first ms", "heap MiB", "RSS MiB")
	for _, c := range cases {
		inst := float64(n) * float64(c.runs)
		fmt.Fprintf(&t, "%-13s %12.0f %12.0f %10.1f %10.1f %10.1f\n", c.name, inst/c.wall.Seconds(), inst/c.cpu.Seconds(),
			float64(c.first.Microseconds())/float64(c.runs)/1000, float64(c.peak)/(1<<20), float64(c.rss)/(1<<20))
	}
	b.Log("\n" + t.String())
}
