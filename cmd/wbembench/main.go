// Command wbembench measures gowbem with the synthetic 10-property workload
// and prints Markdown tables, the ones kept in docs/benchmarks.md.
//
// Without flags it measures the semisynchronous stream in process. With
// -wsman it measures the WS-Management server in a process of its own (this
// program again, run with -serve) against clients in this one, over
// loopback: the server's resident memory under 64 concurrent enumerations
// and with 1,000 open idle contexts, and its throughput as a fraction of
// the wire's ceiling (the same client reading pre-rendered responses from
// a bare net/http handler in the same server process). With -startup N it
// builds the wbem command (go build's default, and pure Go) and a
// hello-world program and compares their start-up over N interleaved
// rounds.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/internal/bench"
	"github.com/gowbem/gowbem/wbem"
)

func main() {
	n := flag.Int("n", 1_000_000, "instances for throughput")
	big := flag.Bool("big", false, "also measure the peak heap at 10^7 instances")
	ws := flag.Bool("wsman", false, "measure the WS-Management server in a process of its own instead")
	reps := flag.Int("reps", 3, "with -wsman: interleaved repetitions of each throughput run; without: of the stream's ratio to the bare loop (at least 5)")
	only := flag.String("only", "", "with -wsman: run only these parts (comma-separated: concurrent, tradeoff, idle, ceiling); without: \"ratio\" runs only the stream's ratio to the bare loop")
	serve := flag.Bool("serve", false, "run the benchmark server (used by -wsman)")
	maxctx := flag.Int("maxctx", 64, "with -serve: open contexts allowed to the user")
	pprof := flag.Bool("pprof", false, "with -serve: serve /debug/pprof/; with -wsman: have the servers do so, and print their addresses")
	maxbuf := flag.Int64("maxbuffered", 0, "with -serve and -wsman: the enumeration contexts' budget in bytes (0: the default)")
	chunk := flag.Int("chunk", 0, "with -serve and -wsman: the server's ResponseChunk at /wsman (0: the default; negative: responses whole)")
	budget := flag.Int64("budget", 0, "with -serve and -wsman: the server's ResponseBudget at /wsman (0: the default; negative: none)")
	memlimit := flag.Int64("memlimit", 0, "with -serve and -wsman: a soft memory limit in bytes for the server (0: none, as wbemd without GOMEMLIMIT)")
	ceilingKs := flag.String("ks", "100,1000,10000", "with -wsman: the MaxElements of the ceiling's runs (comma-separated)")
	startup := flag.Int("startup", 0, "measure the wbem command's start-up against a hello-world program instead, over this many interleaved runs of each")
	flag.Parse()
	var err error
	switch {
	case *serve:
		err = bench.Serve(bench.ServerConfig{N: *n, MaxContexts: *maxctx, Pprof: *pprof, MaxBuffered: *maxbuf, ResponseChunk: *chunk, ResponseBudget: *budget, MemoryLimit: *memlimit}, os.Stdin, os.Stdout)
	case *ws:
		var ks []int
		for _, f := range strings.Split(*ceilingKs, ",") {
			k, perr := strconv.Atoi(strings.TrimSpace(f))
			if perr != nil || k <= 0 {
				fmt.Fprintf(os.Stderr, "wbembench: -ks: %q is not a positive count\n", f)
				os.Exit(2)
			}
			ks = append(ks, k)
		}
		err = runWSMan(*reps, *only, *pprof, *maxbuf, *chunk, *budget, *memlimit, ks)
	case *startup > 0:
		err = runStartup(*startup)
	default:
		err = run(*n, *big, *only == "ratio", max(*reps, 5))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wbembench:", err)
		os.Exit(1)
	}
}

const (
	fwd   = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY
	bidir = wbem.WBEM_FLAG_RETURN_IMMEDIATELY
	sync  = wbem.WBEM_FLAG_RETURN_WBEM_COMPLETE
)

func run(n int, big, ratioOnly bool, rounds int) error {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s/%s, %d CPUs, %s; load average %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Println("| measure | value | goal |")
	fmt.Println("|---|---|---|")
	var first time.Duration
	if !ratioOnly {
		bench.Baseline(n / 10) // warm up
		base := bench.Baseline(n)
		total, f, err := bench.Enumerate(n, 1000, fwd)
		if err != nil {
			return err
		}
		first = f
		rate := float64(n) / total.Seconds()
		fmt.Printf("| baseline: build %d instances | %.2f M/s | |\n", n, float64(n)/base.Seconds()/1e6)
		fmt.Printf("| semisync forward-only, Next(Infinite, 1000) | %.2f M/s | ≥ 2 M/s |\n", rate/1e6)
		fmt.Printf("| ratio to baseline | %.2f | ≥ 0.5 |\n", base.Seconds()/total.Seconds())
	}
	for _, procs := range []int{0, 1} {
		r, err := bench.StreamVsBaseline(n, rounds, procs)
		if err != nil {
			return err
		}
		gmp := fmt.Sprintf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
		if procs > 0 {
			gmp = fmt.Sprintf("GOMAXPROCS %d", procs)
		}
		ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
		fmt.Printf("| stream / bare loop, %s, %d interleaved runs: processor time (medians %s / %s) | %.2f | ≥ 0.8 |\n", gmp, rounds, ms(r.StreamCPU), ms(r.BaseCPU), r.CPURatio)
		fmt.Printf("| … wall-clock time (medians %s / %s) | %.2f | |\n", ms(r.StreamWall), ms(r.BaseWall), r.WallRatio)
		fmt.Printf("| … collector cycles per run, stream / bare loop; heap allocations per instance | %.1f / %.1f; %.2f / %.2f | |\n", r.StreamGCs, r.BaseGCs, r.StreamAllocs, r.BaseAllocs)
		fmt.Printf("| … processor time against a loop that also holds a batch of 1000, as the stream's consumer does (not the goal's baseline) | %.2f | |\n", r.BatchCPURatio)
		fmt.Printf("| stream fed by a provider that emits %d at a time (provider.BatchEmitter) / bare loop, same runs: processor time (median %s) | %.2f | ≥ 0.8 |\n", bench.ProviderBatch, ms(r.Batched.CPU), r.Batched.CPURatio)
		fmt.Printf("| … wall-clock time (median %s) | %.2f | |\n", ms(r.Batched.Wall), r.Batched.WallRatio)
		fmt.Printf("| … collector cycles per run; heap allocations per instance | %.1f; %.2f | |\n", r.Batched.GCs, r.Batched.Allocs)
	}
	if ratioOnly {
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Printf("\nload average at the end %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
		return nil
	}
	fmt.Printf("| first object in that run | %v | < 1 ms |\n", first.Round(time.Microsecond))
	for _, size := range []int{1_000, n} {
		med, worst := bench.FirstObject(size, 200)
		fmt.Printf("| call return → first object, N=%d (median / max of 200) | %v / %v | < 1 ms |\n", size, med.Round(time.Microsecond), worst.Round(time.Microsecond))
	}
	sizes := []int{n}
	if big {
		sizes = append(sizes, 10*n)
	}
	for _, size := range sizes {
		peak, err := bench.PeakHeap(size, fwd)
		if err != nil {
			return err
		}
		fmt.Printf("| peak heap, forward-only, N=%d | %.1f MiB | ≤ 32 MiB, flat |\n", size, float64(peak)/(1<<20))
	}
	for _, m := range []struct {
		name  string
		flags wbem.Flag
	}{{"bidirectional semisync", bidir}, {"synchronous", sync}} {
		peak, err := bench.PeakHeap(n, m.flags)
		if err != nil {
			return err
		}
		fmt.Printf("| peak heap, %s, N=%d | %.1f MiB | holds everything, as in WMI |\n", m.name, n, float64(peak)/(1<<20))
	}
	p50, p99 := bench.CloseLatency(1000)
	fmt.Printf("| Close → provider sees ctx done (p50 / p99 of 1000) | %v / %v | p99 < 10 ms |\n", p50.Round(time.Microsecond), p99.Round(time.Microsecond))
	return nil
}

// runStartup prints the wbem command's start-up against a hello-world
// program's, for each of bench.DefaultBuilds.
func runStartup(runs int) error {
	r, err := bench.Startup("github.com/gowbem/gowbem/cmd/wbem", runs)
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s/%s, %d CPUs, %s; load average %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:3], " "))
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Println("| program (" + strconv.Itoa(r.Runs) + " rounds, interleaved) | size | wall min | wall median | CPU min | CPU median | page faults min, median | ÷ hello: wall min, CPU min | − hello: wall min, CPU min | − hello, median of rounds: wall, CPU, faults |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| hello world | | %s | %s | %s | %s | %d, %d | | | |\n", ms(r.Hello.WallMin), ms(r.Hello.WallMedian), ms(r.Hello.CPUMin), ms(r.Hello.CPUMedian), r.Hello.FaultsMin, r.Hello.FaultsMedian)
	for _, c := range r.CLI {
		t := c.Times
		fmt.Printf("| %s | %.1f MB | %s | %s | %s | %s | %d, %d | %.2f, %.2f | %s, %s | %s, %s, %+d |\n", c.Build.Name, float64(c.Size)/1e6,
			ms(t.WallMin), ms(t.WallMedian), ms(t.CPUMin), ms(t.CPUMedian), t.FaultsMin, t.FaultsMedian,
			r.Ratio(c, func(t bench.Times) time.Duration { return t.WallMin }), r.Ratio(c, func(t bench.Times) time.Duration { return t.CPUMin }),
			ms(t.WallMin-r.Hello.WallMin), ms(t.CPUMin-r.Hello.CPUMin), ms(c.Diff.WallMedian), ms(c.Diff.CPUMedian), c.Diff.FaultsMedian)
	}
	fmt.Println("\n| program | start → first request (wall min, median) | − hello's whole run (wall min) |")
	fmt.Println("|---|---|---|")
	for _, c := range r.CLI {
		fmt.Printf("| %s | %s, %s | %s |\n", c.Build.Name, ms(c.ToRequestMin), ms(c.ToRequestMedian), ms(c.ToRequestMin-r.Hello.WallMin))
	}
	fmt.Println("\ngoal: wbem − hello ≤ 10 ms")
	return nil
}
