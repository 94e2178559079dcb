//go:build linux

package host_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

func TestLivePerf(t *testing.T) {
	svc := newOM(t, host.Config{LoadInterval: 50 * time.Millisecond})
	procs := byKey(enumerate(t, svc, "Win32_PerfFormattedData_PerfOS_Processor"))
	total := procs[`Win32_PerfFormattedData_PerfOS_Processor.Name="_Total"`]
	if total == nil || len(procs) < 2 {
		t.Fatalf("formatted processors: %v", procs)
	}
	for _, p := range procs {
		busy, idle := p.Value("PercentProcessorTime"), p.Value("PercentIdleTime")
		if !busy.IsNull() && busy.Uint() > 100 || !idle.IsNull() && idle.Uint() > 100 {
			t.Errorf("%s: busy %v idle %v", p.Value("Name").Str(), busy, idle)
		}
	}
	if runtime.NumCPU() > 0 && procs[`Win32_PerfFormattedData_PerfOS_Processor.Name="0"`] == nil {
		t.Error("no processor 0")
	}
	raw1, err := getObject(t, svc, `Win32_PerfRawData_PerfOS_Processor.Name="_Total"`)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	raw2, _ := getObject(t, svc, `Win32_PerfRawData_PerfOS_Processor.Name="_Total"`)
	if raw2.Value("Timestamp_Sys100NS").Uint() <= raw1.Value("Timestamp_Sys100NS").Uint() ||
		raw2.Value("PercentIdleTime").Uint() < raw1.Value("PercentIdleTime").Uint() {
		t.Errorf("raw counters went back: %v → %v", raw1, raw2)
	}
	mem, err := getObject(t, svc, `Win32_PerfFormattedData_PerfOS_Memory=@`)
	if err != nil {
		t.Fatal(err)
	}
	avail := meminfoKB(t, "MemAvailable") * 1024
	if got := mem.Value("AvailableBytes").Uint(); diff(got, avail) > meminfoKB(t, "MemTotal")*1024/20 {
		t.Errorf("AvailableBytes %d, MemAvailable %d", got, avail)
	}
	if mem.Value("CommittedBytes").IsNull() || mem.Value("PageFaultsPerSec").IsNull() {
		t.Errorf("memory counters: %v", mem)
	}
	if n := len(enumerate(t, svc, "Win32_PerfFormattedData_PerfOS_Memory")); n != 1 {
		t.Errorf("%d memory instances", n)
	}
}

// The sampling wait honours ctx: a cancelled call returns at once.
func TestPerfHonoursContext(t *testing.T) {
	for _, c := range []struct{ prov, class string }{
		{host.ProviderPerfFormattedProcessor, "Win32_PerfFormattedData_PerfOS_Processor"},
		{host.ProviderPerfMemory, "Win32_PerfFormattedData_PerfOS_Memory"},
	} {
		p := host.Providers(host.Config{LoadInterval: time.Hour})[c.prov]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		err := p.EnumerateInstances(ctx, classOf(t, c.class), provider.EmitFunc(func(*cim.Instance) error { return nil }))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("%s: %v after %v", c.class, err, time.Since(start))
		}
	}
}

func TestFixturePerf(t *testing.T) {
	svc := newOM(t, fixture(t))
	raw := byKey(enumerate(t, svc, "Win32_PerfRawData_PerfOS_Processor"))
	if len(raw) != 5 {
		t.Fatalf("%d raw processors: %v", len(raw), raw)
	}
	// cpu0: 100 user, 50 system, 350 idle ticks of 10 ms.
	checkProps(t, raw[`Win32_PerfRawData_PerfOS_Processor.Name="0"`], map[string]any{
		"PercentUserTime": strconv.Itoa(100 * 100000), "PercentPrivilegedTime": strconv.Itoa(50 * 100000),
		"PercentIdleTime": strconv.Itoa(350 * 100000), "PercentProcessorTime": strconv.Itoa(350 * 100000),
		"Frequency_Sys100NS": "10000000",
	})
	// A fixture does not move: no time passes between the samples, so the
	// percentages are NULL rather than a made-up 0.
	f := byKey(enumerate(t, svc, "Win32_PerfFormattedData_PerfOS_Processor"))
	checkProps(t, f[`Win32_PerfFormattedData_PerfOS_Processor.Name="_Total"`], map[string]any{"PercentProcessorTime": nil})
	mem := enumerate(t, svc, "Win32_PerfFormattedData_PerfOS_Memory")
	checkProps(t, mem[0], map[string]any{"AvailableBytes": strconv.Itoa(8000000 * 1024), "FreeAndZeroPageListBytes": strconv.Itoa(1000000 * 1024),
		"CommittedBytes": nil, "PageFaultsPerSec": nil})
}
