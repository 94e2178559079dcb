//go:build linux

package providerhost

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	return drainClass(b, svc, workload.ClassName)
}

func drainClass(b testing.TB, svc *wbem.Services, class string) (int, time.Duration) {
	start := time.Now()
	e, err := svc.CreateInstanceEnum(context.Background(), class, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
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

// providers returns the two ways of serving benchN workload instances, and
// the host of the out-of-process one.
func benchProviders(b *testing.B) (map[string]func() provider.InstanceProvider, *Host) {
	h := newHost(b, Config{})
	r := reg(b, "Bench", SelfHost)
	if p := os.Getenv("GOWBEM_BENCH_PROVIDER_CPUPROFILE"); p != "" {
		// PATH,SECONDS: the provider process profiles its first seconds.
		r.Command = append(r.Command, "cpuprofile="+p)
	}
	return map[string]func() provider.InstanceProvider{
		"linked-in":      func() provider.InstanceProvider { return &workload.Provider{N: benchN} },
		"out-of-process": func() provider.InstanceProvider { return h.Proxy(r) },
	}, h
}

// benchEnumerate reports instances/s and, since the machine is shared and
// loaded, the CPU time an instance costs, which the load does not inflate:
// this process's (the daemon's side) and, with h, its provider processes'.
func benchEnumerate(b *testing.B, svc *wbem.Services, h *Host) {
	benchEnumerateClass(b, svc, h, workload.ClassName)
}

func benchEnumerateClass(b *testing.B, svc *wbem.Services, h *Host, class string) {
	drainClass(b, svc, class) // start the process, warm the class cache
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	self0, prov0 := selfCPU(), hostCPU(h)
	if h != nil {
		h.batches.Store(0)
		h.batched.Store(0)
	}
	b.ResetTimer()
	for range b.N {
		if got, _ := drainClass(b, svc, class); got != benchN {
			b.Fatalf("got %d instances, want %d", got, benchN)
		}
	}
	n := float64(benchN) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "inst/s")
	// What this process (the daemon's side) allocated and collected: the
	// load does not change these.
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/n, "B/inst")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/inst")
	b.ReportMetric(float64(m1.NumGC-m0.NumGC)/n*1e5, "gc/1e5inst")
	if h != nil && h.batches.Load() > 0 {
		b.ReportMetric(float64(h.batched.Load())/float64(h.batches.Load()), "inst/batch")
	}
	self, prov := selfCPU()-self0, hostCPU(h)-prov0
	b.ReportMetric(float64((self+prov).Nanoseconds())/n, "cpu-ns/inst")
	if h != nil {
		b.ReportMetric(float64(prov.Nanoseconds())/n, "provider-cpu-ns/inst")
	}
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostCPU is the CPU time h's running provider processes have used.
func hostCPU(h *Host) time.Duration {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	var pids []int
	for _, p := range h.procs {
		pids = append(pids, p.pid())
	}
	h.mu.Unlock()
	var d time.Duration
	for _, pid := range pids {
		d += pidCPU(pid)
	}
	return d
}

// pidCPU is the CPU time process pid has used, from /proc/PID/stat's utime
// and stime (in clock ticks, 100 a second on Linux).
func pidCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkEnumerate: instances/s through the in-process API.
func BenchmarkEnumerate(b *testing.B) {
	ps, h := benchProviders(b)
	for _, name := range []string{"linked-in", "out-of-process"} {
		b.Run(name, func(b *testing.B) {
			benchEnumerate(b, omWith(ps[name]()).Services(workload.Namespace), map[bool]*Host{true: h}[name != "linked-in"])
		})
	}
}

// BenchmarkEnumerateRounds: the comparison of BenchmarkEnumerate made in
// interleaved rounds — each round enumerates benchN instances linked in
// and out of process, in turns first — and reported as medians (and the
// least and the greatest ratio), since one run of either is noisy on a
// shared machine: -benchtime 9x makes 9 rounds. CPU per instance (both
// processes) is summed over the rounds.
func BenchmarkEnumerateRounds(b *testing.B) {
	ps, h := benchProviders(b)
	li := omWith(ps["linked-in"]()).Services(workload.Namespace)
	oop := omWith(ps["out-of-process"]()).Services(workload.Namespace)
	drain(b, li)
	drain(b, oop)
	var rates [2][]float64 // instances/s: linked-in, out of process
	var cpu [2]time.Duration
	var prov time.Duration
	b.ResetTimer()
	for i := range b.N {
		for j := range 2 {
			k := (i + j) % 2 // who goes first alternates
			svc := map[bool]*wbem.Services{true: li, false: oop}[k == 0]
			self0, prov0 := selfCPU(), hostCPU(h)
			start := time.Now()
			if got, _ := drain(b, svc); got != benchN {
				b.Fatalf("got %d instances, want %d", got, benchN)
			}
			rates[k] = append(rates[k], benchN/time.Since(start).Seconds())
			p := hostCPU(h) - prov0
			cpu[k] += selfCPU() - self0 + p
			if k == 1 {
				prov += p
			}
		}
	}
	b.StopTimer()
	ratios := make([]float64, b.N)
	for i := range ratios {
		ratios[i] = rates[1][i] / rates[0][i]
	}
	median := func(x []float64) float64 {
		x = slices.Clone(x)
		slices.Sort(x)
		if len(x)%2 == 1 {
			return x[len(x)/2]
		}
		return (x[len(x)/2-1] + x[len(x)/2]) / 2
	}
	n := float64(benchN) * float64(b.N)
	b.ReportMetric(median(rates[0]), "linked-inst/s")
	b.ReportMetric(median(rates[1]), "oop-inst/s")
	b.ReportMetric(median(ratios), "ratio-median")
	b.ReportMetric(slices.Min(ratios), "ratio-min")
	b.ReportMetric(slices.Max(ratios), "ratio-max")
	b.ReportMetric(float64(cpu[0].Nanoseconds())/n, "linked-cpu-ns/inst")
	b.ReportMetric(float64(cpu[1].Nanoseconds())/n, "oop-cpu-ns/inst")
	b.ReportMetric(float64(prov.Nanoseconds())/n, "provider-cpu-ns/inst")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEnumerateDecoupled: instances/s through the in-process API from
// a decoupled provider, another process (the test binary) connected to the
// registrar's socket: gRPC over yamux instead of go-plugin's socket.
func BenchmarkEnumerateDecoupled(b *testing.B) {
	e := newDecoupled(b, "", RegistrarConfig{})
	compile(b, e.om, decoupledMOF("Bench", ""))
	cmd := exec.Command(self(b)[0], decoupledArg, e.sock, `root\cimv2`, "Bench", strconv.Itoa(benchN))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	b.Cleanup(func() { cmd.Process.Kill(); <-done })
	waitServed(b, e.svc, "T_Bench", done)
	benchEnumerateClass(b, e.svc, e.host, "T_Bench")
}

// BenchmarkEnumerateWSMan: instances/s over WS-Management on loopback.
func BenchmarkEnumerateWSMan(b *testing.B) {
	ps, h := benchProviders(b)
	for _, name := range []string{"linked-in", "out-of-process"} {
		b.Run(name, func(b *testing.B) {
			om := omWith(ps[name]())
			hs := httptest.NewServer(wsman.NewServer(om, wsman.Options{AllowAnonymous: true, ServerName: "bench"}))
			defer hs.Close()
			svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman?maxelements=1000&maxenvelopesize=67108864", workload.Namespace, wbem.Credentials{})
			if err != nil {
				b.Fatal(err)
			}
			benchEnumerate(b, svc, map[bool]*Host{true: h}[name != "linked-in"])
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
			var ds, cpu []time.Duration
			b.ResetTimer()
			for range b.N {
				if mode == "cold" {
					b.StopTimer()
					stopProvider(h, "Items", "benchmark")
					b.StartTimer()
				}
				_, first := drain(b, svc)
				ds = append(ds, first)
				if mode == "cold" {
					cpu = append(cpu, hostCPU(h)) // the new process's whole life
				}
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "ms-max")
			if len(cpu) > 0 {
				slices.Sort(cpu)
				b.ReportMetric(float64(cpu[len(cpu)/2].Milliseconds()), "provider-cpu-ms-median")
			}
		})
	}
}

// stopProvider stops the processes of provider name in root\cimv2 and
// waits until they are gone, not just forgotten by the host: a stopped
// process's exit would compete with the next one's start.
func stopProvider(h *Host, name, why string) {
	h.mu.Lock()
	var old []*proc
	for _, p := range h.procs {
		if p.serves(`root\cimv2`, name) {
			old = append(old, p)
		}
	}
	h.mu.Unlock()
	h.StopProvider(`root\cimv2`, name, why)
	for _, p := range old {
		<-p.dead
	}
}
