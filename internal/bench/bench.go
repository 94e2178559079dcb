// Package bench measures the semisynchronous stream with the synthetic
// workload: throughput against a baseline, time to the first object, peak
// heap, and how fast Close reaches the provider. cmd/wbembench prints its
// results as a table; the Go benchmarks of package wbem use it too.
package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// Sink keeps the compiler from discarding built instances.
var Sink atomic.Pointer[cim.Instance]

// Baseline builds n workload instances with nothing in between and returns
// how long it took.
func Baseline(n int) time.Duration {
	c := workload.Class()
	start := time.Now()
	var last *cim.Instance
	for i := range n {
		last = workload.Build(c, i)
	}
	d := time.Since(start)
	Sink.Store(last)
	return d
}

// BatchLoop builds n workload instances into a buffer of batch, as a
// consumer reading Next(Infinite, batch) into one buffer holds them: the
// bare loop plus the batch the stream's consumer keeps live. It is not the
// goal's baseline (Baseline is); it tells what holding a batch costs.
func BatchLoop(n, batch int) time.Duration {
	c := workload.Class()
	buf := make([]cim.Object, batch)
	start := time.Now()
	for i := range n {
		k := i % batch
		if k == 0 {
			clear(buf)
		}
		buf[k] = workload.Build(c, i)
	}
	d := time.Since(start)
	Sink.Store(buf[0].(*cim.Instance))
	return d
}

// Enumerate runs SELECT * over a provider of n instances with flags, reading
// batches of batch with Next(Infinite), and returns the time from the call to
// the end and the time from the call's return to the first object.
func Enumerate(n, batch int, flags wbem.Flag) (total, first time.Duration, err error) {
	return enumerate(workload.NewObjectManager(&workload.Provider{N: n}).Services(workload.Namespace), n, batch, flags)
}

// enumerate is Enumerate on svc, whose workload provider yields n instances.
func enumerate(svc *wbem.Services, n, batch int, flags wbem.Flag) (total, first time.Duration, err error) {
	buf := make([]cim.Object, batch)
	start := time.Now()
	e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM "+workload.ClassName, flags)
	if err != nil {
		return 0, 0, err
	}
	defer e.Close()
	returned := time.Now()
	got := 0
	for {
		k, err := e.Next(wbem.Infinite, buf[:min(batch, max(1, got))])
		if got == 0 && k > 0 {
			first = time.Since(returned)
		}
		got += k
		if err != nil {
			total = time.Since(start)
			if err == io.EOF {
				err = nil
				if got != n {
					err = fmt.Errorf("the enumeration gave %d instances, want %d", got, n)
				}
			}
			return total, first, err
		}
	}
}

// FirstObject measures, rounds times, the time from a semisynchronous call's
// return to its first object for a provider of n instances, and returns the
// median and the worst.
func FirstObject(n, rounds int) (median, worst time.Duration) {
	svc := workload.NewObjectManager(&workload.Provider{N: n}).Services(workload.Namespace)
	buf := make([]cim.Object, 1)
	var ds []time.Duration
	for range rounds {
		e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM "+workload.ClassName,
			wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			panic(err)
		}
		t := time.Now()
		e.Next(wbem.Infinite, buf)
		ds = append(ds, time.Since(t))
		e.Close()
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)-1]
}

// heapSampler samples the live heap until stopped.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

func sampleHeap() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(h.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// PeakHeap enumerates n instances with flags and returns the peak bytes of
// live heap objects seen while it ran (sampled every 2 ms).
func PeakHeap(n int, flags wbem.Flag) (uint64, error) {
	h := sampleHeap()
	_, _, err := Enumerate(n, 1000, flags)
	return h.end(), err
}

// CloseLatency starts rounds enumerations of an endless provider, reads one
// batch from each, closes it, and measures the time from Close to the
// provider's return. It returns the median and the 99th percentile.
func CloseLatency(rounds int) (p50, p99 time.Duration) {
	p := &workload.Provider{N: 1 << 40, Done: make(chan error, 1)}
	svc := workload.NewObjectManager(p).Services(workload.Namespace)
	buf := make([]cim.Object, 100)
	var ds []time.Duration
	var mu sync.Mutex
	for range rounds {
		e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM "+workload.ClassName,
			wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			panic(err)
		}
		e.Next(wbem.Infinite, buf)
		t := time.Now()
		e.Close()
		<-p.Done
		mu.Lock()
		ds = append(ds, time.Since(t))
		mu.Unlock()
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}

// StreamResult is what StreamVsBaseline measured: the medians of the
// processor time and of the wall-clock time of each, the medians of the
// ratios baseline/stream of the interleaved pairs, and, per run, the
// collector's cycles and the heap allocations per instance of each.
type StreamResult struct {
	BaseCPU, StreamCPU, BaseWall, StreamWall time.Duration
	CPURatio, WallRatio                      float64
	BaseGCs, StreamGCs                       float64 // collector cycles per run (mean)
	BaseAllocs, StreamAllocs                 float64 // heap allocations per instance (mean)
	// BatchCPURatio is the median ratio BatchLoop(n, 1000)/stream of
	// processor time, run in the same rounds: the stream against a loop
	// that also holds a batch of 1000 as the stream's consumer does.
	BatchCPURatio float64
	// Batched is the same stream with a provider that hands its instances
	// over ProviderBatch at a time (provider.BatchEmitter), run in the
	// same rounds; its ratios are to the same rounds' bare loop.
	Batched StreamRun
}

// StreamRun is what StreamVsBaseline measured of one kind of stream: the
// medians of its processor and wall-clock time and of the ratios
// baseline/stream of the rounds, its collector cycles per run and heap
// allocations per instance (means).
type StreamRun struct {
	CPU, Wall           time.Duration
	CPURatio, WallRatio float64
	GCs, Allocs         float64
}

// ProviderBatch is how many instances the batching provider of
// StreamVsBaseline hands over at a time.
const ProviderBatch = 64

// StreamVsBaseline runs Baseline(n) and a forward-only semisynchronous
// enumeration of n instances read with Next(Infinite, 1000) alternately,
// rounds times each, with GOMAXPROCS set to procs (0: as it is), and
// measures each run's processor time (the process's, all threads) and
// wall-clock time. On a loaded machine the processor time is the
// meaningful one: the wall-clock time of the stream, whose producer and
// consumer run on two threads, and of the loop, on one, depend on what else
// runs; with procs 1 both run on one thread. Each round also runs
// BatchLoop(n, 1000) after the stream, for BatchCPURatio, and the stream
// again with a provider that emits ProviderBatch instances at a time, for
// Batched. The object manager the
// enumerations run on is built once, before the rounds, as the loop's
// class is: each run pays for its own query, provider call and stream.
func StreamVsBaseline(n, rounds, procs int) (StreamResult, error) {
	var r StreamResult
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	p := &workload.Provider{N: n / 10}
	svc := workload.NewObjectManager(p).Services(workload.Namespace)
	const flags = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY
	Baseline(n / 10) // warm up
	if _, _, err := enumerate(svc, n/10, 1000, flags); err != nil {
		return r, err
	}
	p.N = n
	var bc, sc, bw, sw, tc, tw []time.Duration
	var cr, wr, kr, tcr, twr []float64
	var m0, m1 runtime.MemStats
	for range rounds {
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c0, w0 := CPUTime(), time.Now()
		Baseline(n)
		c1, w1 := CPUTime(), time.Now()
		runtime.ReadMemStats(&m1)
		r.BaseGCs += float64(m1.NumGC - m0.NumGC)
		r.BaseAllocs += float64(m1.Mallocs - m0.Mallocs)
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c2, w2 := CPUTime(), time.Now()
		if _, _, err := enumerate(svc, n, 1000, flags); err != nil {
			return r, err
		}
		c3, w3 := CPUTime(), time.Now()
		runtime.ReadMemStats(&m1)
		r.StreamGCs += float64(m1.NumGC - m0.NumGC)
		r.StreamAllocs += float64(m1.Mallocs - m0.Mallocs)
		runtime.GC()
		c4 := CPUTime()
		BatchLoop(n, 1000)
		c5 := CPUTime()
		kr = append(kr, float64(c5-c4)/float64(c3-c2))
		p.Batch = ProviderBatch
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c6, w6 := CPUTime(), time.Now()
		_, _, err := enumerate(svc, n, 1000, flags)
		c7, w7 := CPUTime(), time.Now()
		runtime.ReadMemStats(&m1)
		p.Batch = 0
		if err != nil {
			return r, err
		}
		r.Batched.GCs += float64(m1.NumGC - m0.NumGC)
		r.Batched.Allocs += float64(m1.Mallocs - m0.Mallocs)
		tc, tw = append(tc, c7-c6), append(tw, w7.Sub(w6))
		tcr = append(tcr, float64(c1-c0)/float64(c7-c6))
		twr = append(twr, float64(w1.Sub(w0))/float64(w7.Sub(w6)))
		bc, sc = append(bc, c1-c0), append(sc, c3-c2)
		bw, sw = append(bw, w1.Sub(w0)), append(sw, w3.Sub(w2))
		cr = append(cr, float64(c1-c0)/float64(c3-c2))
		wr = append(wr, float64(w1.Sub(w0))/float64(w3.Sub(w2)))
	}
	med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	medf := func(f []float64) float64 { slices.Sort(f); return f[len(f)/2] }
	r.BaseCPU, r.StreamCPU, r.BaseWall, r.StreamWall = med(bc), med(sc), med(bw), med(sw)
	r.CPURatio, r.WallRatio, r.BatchCPURatio = medf(cr), medf(wr), medf(kr)
	r.BaseGCs, r.StreamGCs = r.BaseGCs/float64(rounds), r.StreamGCs/float64(rounds)
	r.BaseAllocs, r.StreamAllocs = r.BaseAllocs/float64(rounds*n), r.StreamAllocs/float64(rounds*n)
	r.Batched.CPU, r.Batched.Wall, r.Batched.CPURatio, r.Batched.WallRatio = med(tc), med(tw), medf(tcr), medf(twr)
	r.Batched.GCs, r.Batched.Allocs = r.Batched.GCs/float64(rounds), r.Batched.Allocs/float64(rounds*n)
	return r, nil
}
