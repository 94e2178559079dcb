package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/internal/bench"
	"github.com/gowbem/gowbem/internal/enumctx"
)

const mib = 1 << 20

// runWSMan measures the WS-Management server in child processes, a fresh
// one per part so that each part's peak is its own.
func runWSMan(reps int, only string, pprof bool, maxbuf int64, chunk int, budget, memlimit int64, ks []int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	want := func(part string) bool { return only == "" || slices.Contains(strings.Split(only, ","), part) }
	start := func(n, maxctx int) (*bench.Process, error) {
		args := []string{"-serve", "-n", strconv.Itoa(n), "-maxctx", strconv.Itoa(maxctx), "-maxbuffered", strconv.FormatInt(maxbuf, 10),
			"-chunk", strconv.Itoa(chunk), "-budget", strconv.FormatInt(budget, 10), "-memlimit", strconv.FormatInt(memlimit, 10)}
		if pprof {
			args = append(args, "-pprof")
		}
		p, err := bench.StartProcess(exe, args...)
		if err == nil && pprof {
			fmt.Fprintf(os.Stderr, "server: %s\n", p.URL("/debug/pprof/"))
		}
		return p, err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s/%s, %d CPUs, %s; load average %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Println("| measure | value | goal |")
	fmt.Println("|---|---|---|")
	if want("concurrent") {
		const clients, n, k = 64, 10_000, 1000
		for _, raw := range []bool{true, false} {
			p, err := start(n, clients)
			if err != nil {
				return err
			}
			rest, _, _ := p.Memory()
			r, err := bench.Concurrent(p, clients, n, k, 3, raw)
			p.Close()
			if err != nil {
				return err
			}
			who := "gowbem's clients (decoding)"
			if raw {
				who = "bare clients (counting)"
			}
			ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
			fmt.Printf("| %d concurrent enumerations of %d, MaxElements %d, %s: server's peak RSS (at rest %.1f MB) | %.1f MB | ≤ 40 MB |\n", clients, n, k, who, float64(rest)/mib, float64(r.PeakRSS)/mib)
			fmt.Printf("| … peak Go heap (objects, sampled every 10 ms) | %.1f MB | |\n", float64(r.PeakHeap)/mib)
			fmt.Printf("| … instances/s, all clients together | %.0f k | |\n", r.Rate/1e3)
			fmt.Printf("| … server CPU per 10^5 instances | %.3f s | |\n", r.CPU.Seconds()/float64(r.Received)*1e5)
			fmt.Printf("| … first instance min / median / max | %s / %s / %s | |\n", ms(r.Firsts[0]), ms(r.Firsts[len(r.Firsts)/2]), ms(r.Firsts[len(r.Firsts)-1]))
		}
	}
	if want("tradeoff") {
		// In one server process (the same object manager and contexts),
		// alternately: as served now (responses in chunks, the default
		// budget, or what -chunk, -maxbuffered and -memlimit say), and as
		// served before issue 20's memory work of this session (responses
		// whole, a budget of 8 MiB, no memory limit): the throughput that
		// it costs.
		const clients, n, k = 64, 10_000, 1000
		p, err := start(n, clients)
		if err != nil {
			return err
		}
		type config struct {
			name          string
			path          string
			limit, budget int64
		}
		now := config{"now", "/wsman", -1, enumctx.DefaultMaxBuffered}
		if memlimit > 0 {
			now.limit = memlimit
		}
		if maxbuf > 0 {
			now.budget = maxbuf
		}
		configs := []config{now, {"before (whole, 8 MiB budget)", "/wsman-whole", -1, 8 << 20}}
		rate := make([][]float64, len(configs))
		cpu := make([][]float64, len(configs))
		for range reps {
			for i, c := range configs {
				err := p.Set(c.limit, c.budget)
				var r bench.ConcurrentResult
				if err == nil {
					r, err = bench.ConcurrentAt(p, c.path, clients, n, k, 1, true)
				}
				if err != nil {
					p.Close()
					return err
				}
				rate[i] = append(rate[i], r.Rate)
				cpu[i] = append(cpu[i], r.CPU.Seconds()/float64(r.Received)*1e5)
			}
		}
		p.Close()
		ratio := func(a, b []float64) float64 {
			r := make([]float64, len(a))
			for i := range a {
				r[i] = a[i] / b[i]
			}
			return median(r)
		}
		fmt.Printf("| %d concurrent enumerations of %d, MaxElements %d, bare clients, one server, %d alternate rounds: instances/s now / before (median; median ratio) | %.0f k / %.0f k (%.2f) | ≥ 0.9 |\n", clients, n, k, reps, median(rate[0])/1e3, median(rate[1])/1e3, ratio(rate[0], rate[1]))
		fmt.Printf("| … server CPU per 10^5 instances now / before (median; median ratio) | %.3f s / %.3f s (%.2f) | |\n", median(cpu[0]), median(cpu[1]), ratio(cpu[0], cpu[1]))
	}
	if want("idle") {
		const count, k = 1000, 1000
		p, err := start(1<<40, count)
		if err != nil {
			return err
		}
		r, err := bench.IdleContexts(p, count, k)
		p.Close()
		if err != nil {
			return err
		}
		per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / count / 1024 }
		fmt.Printf("| %d open idle contexts: server RSS (at rest %.1f MB) | %.1f MB | ≤ 64 MB |\n", count, float64(r.RSS)/mib, float64(r.RSSOpen)/mib)
		fmt.Printf("| … per idle context: RSS / live heap (%d goroutines) | %.1f KB / %.1f KB | ≤ 32 KB |\n", r.Goroutines, per(r.RSSOpen, r.RSS), per(r.HeapOpen, r.Heap))
		fmt.Printf("| … after one Pull of %d on each: RSS | %.1f MB | |\n", k, float64(r.RSSPulled)/mib)
		fmt.Printf("| … per context after that Pull: RSS / live heap | %.1f KB / %.1f KB | |\n", per(r.RSSPulled, r.RSS), per(r.HeapPulled, r.Heap))
	}
	if want("ceiling") {
		const n = 100_000
		p, err := start(n, 64)
		if err != nil {
			return err
		}
		defer p.Close()
		for _, k := range ks {
			r, err := bench.Throughput(p, n, k, reps)
			if err != nil {
				return err
			}
			ratio := func(a, b []float64) float64 {
				v := make([]float64, len(a))
				for i := range a {
					v[i] = a[i] / b[i]
				}
				return median(v)
			}
			goal := ""
			if k == 1000 {
				goal = "≥ 0.5"
			}
			fmt.Printf("| MaxElements %d: gowbem / ceiling, bare client, wall-clock (k instances/s, medians of %d; median ratio) | %.0f / %.0f = %.2f | %s |\n", k, reps, median(r.Server)/1e3, median(r.Ceiling)/1e3, ratio(r.Server, r.Ceiling), goal)
			fmt.Printf("| … processor time, server and client (k instances per CPU-second; median ratio) | %.0f / %.0f = %.2f | %s |\n", median(r.ServerCPU)/1e3, median(r.CeilingCPU)/1e3, ratio(r.ServerCPU, r.CeilingCPU), goal)
		}
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("\nload average at the end %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
	}
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
