package cimom_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/wbem"
)

func baseClass(b *testing.B, svc *wbem.Services) *cim.Class {
	b.Helper()
	cr, err := svc.GetObject(context.Background(), "GW_Base", 0)
	if err != nil {
		b.Fatal(err)
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		b.Fatal(err)
	}
	return obj.(*cim.Class)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkEventLatency measures a repository change until its event
// reaches a semisynchronous consumer in-process (PutInstance, then Next),
// against PutInstance alone in the same process.
func BenchmarkEventLatency(b *testing.B) {
	ctx := context.Background()
	om := workload.NewObjectManager(&workload.Provider{})
	svc := om.Services(workload.Namespace)
	c := baseClass(b, svc)
	e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisync)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 1)
	var withEvent, putOnly []time.Duration
	i := 0
	for b.Loop() {
		inst := c.NewInstance()
		inst.Set("Name", cim.String(fmt.Sprint("e", i)))
		start := time.Now()
		if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
			b.Fatal(err)
		}
		put := time.Since(start)
		if n, err := e.Next(wbem.Infinite, buf); n != 1 {
			b.Fatal(err)
		}
		withEvent = append(withEvent, time.Since(start))
		putOnly = append(putOnly, put)
		i++
	}
	b.ReportMetric(float64(percentile(withEvent, 0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(withEvent, 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(percentile(putOnly, 0.5).Microseconds()), "put-p50-µs")
}

// BenchmarkEventThroughput puts 10^5 instances in one transaction (a MOF
// plan applied) and waits until every subscriber has all 10^5 creation
// events. Building the plan's instances is the caller's and is not timed.
// It reports events/s from the apply's start until the last subscriber has
// the last event, the same per second of the process's CPU time (the
// machine is shared and noisy), and the apply's wall and CPU time against
// the same apply without subscribers (subscribers=0, the baseline in the
// same process). The events are raised and written to the subscribers'
// streams at the commit, within the apply; BenchmarkEventDelivery measures
// that part alone.
func BenchmarkEventThroughput(b *testing.B) {
	const n = 100_000
	for _, subs := range []int{0, 1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(n+1))
			svc := om.Services(workload.Namespace)
			c := baseClass(b, svc)
			var es []*wbem.Enumerator
			for range subs {
				e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisync)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				es = append(es, e)
			}
			round := 0
			var apply, deliver, applyCPU, deliverCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				plan := &mof.Plan{Items: make([]mof.Item, n)}
				for k := range n {
					inst := c.NewInstance()
					inst.Set("Name", cim.String(fmt.Sprintf("r%d-%d", round, k)))
					plan.Items[k] = mof.Item{Namespace: workload.Namespace, Instance: inst}
				}
				round++
				runtime.GC() // the last round's garbage is not this one's
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				if err := om.Apply(ctx, plan); err != nil {
					b.Fatal(err)
				}
				committed, cpu1 := time.Now(), cpuTime()
				apply += committed.Sub(start)
				applyCPU += cpu1 - cpu0
				drainEvents(b, es, n)
				deliver += time.Since(committed)
				deliverCPU += cpuTime() - cpu1
			}
			events := float64(n * subs * b.N)
			b.ReportMetric(float64(apply.Milliseconds())/float64(b.N), "apply-ms")
			b.ReportMetric(float64(applyCPU.Milliseconds())/float64(b.N), "apply-cpu-ms")
			if subs == 0 {
				return
			}
			b.ReportMetric(events/(apply+deliver).Seconds(), "events/s")
			if applyCPU+deliverCPU > 0 {
				b.ReportMetric(events/(applyCPU+deliverCPU).Seconds(), "events/cpu-s")
			}
		})
	}
}

// BenchmarkEventDelivery is the event engine's part of the throughput
// alone: 10^5 creations handed to it as one committed transaction's
// changes (no store), until every subscriber has read all 10^5 events.
func BenchmarkEventDelivery(b *testing.B) {
	const n = 100_000
	for _, subs := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(n+1))
			svc := om.Services(workload.Namespace)
			c := baseClass(b, svc)
			var es []*wbem.Enumerator
			for range subs {
				e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisync)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				es = append(es, e)
			}
			round := 0
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				insts := make([]*cim.Instance, n)
				for k := range insts {
					insts[k] = c.NewInstance()
					insts[k].Set("Name", cim.String(fmt.Sprintf("d%d-%d", round, k)))
				}
				round++
				runtime.GC()
				b.StartTimer()
				cpu0 := cpuTime()
				cimom.RaiseCreated(om, workload.Namespace, insts)
				drainEvents(b, es, n)
				cpu += cpuTime() - cpu0
			}
			events := float64(n * subs * b.N)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			if cpu > 0 {
				b.ReportMetric(events/cpu.Seconds(), "events/cpu-s")
			}
		})
	}
}

// BenchmarkEventMemory: a consumer that never reads while 10^4 and 10^5
// events are raised; what the subscription holds stays at the bounds of its
// queues, the same for both.
func BenchmarkEventMemory(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) { eventMemory(b, n) })
	}
}

func eventMemory(b *testing.B, n int) {
	ctx := context.Background()
	for b.Loop() {
		om := workload.NewObjectManager(&workload.Provider{})
		svc := om.Services(workload.Namespace)
		c := baseClass(b, svc)
		e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", semisync)
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for k := range n / 1000 {
			plan := &mof.Plan{}
			for j := range 1000 {
				inst := c.NewInstance()
				inst.Set("Name", cim.String(fmt.Sprintf("m%d-%d", k, j)))
				plan.Items = append(plan.Items, mof.Item{Namespace: workload.Namespace, Instance: inst})
			}
			if err := om.Apply(ctx, plan); err != nil {
				b.Fatal(err)
			}
		}
		// The repository holds the instances: measure what the
		// subscription holds by closing it.
		runtime.GC()
		runtime.ReadMemStats(&after)
		e.Close()
		time.Sleep(50 * time.Millisecond)
		var closed runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&closed)
		runtime.KeepAlive(om) // else the closed measure frees the repository too
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(closed.HeapInuse))/(1<<20), "subscription-MiB")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "heap-growth-MiB")
	}
}

// drainEvents reads n events from each subscription, all at once, and fails
// b when one gets fewer.
func drainEvents(b *testing.B, es []*wbem.Enumerator, n int) {
	done := make(chan int, len(es))
	for _, e := range es {
		go func() {
			buf := make([]cim.Object, 1024)
			got := 0
			for got < n {
				k, err := e.Next(wbem.Infinite, buf[:min(len(buf), n-got)])
				got += k
				if err != nil {
					break
				}
			}
			done <- got
		}()
	}
	for range es {
		if got := <-done; got != n {
			b.Fatalf("a subscriber got %d of %d events", got, n)
		}
	}
}
