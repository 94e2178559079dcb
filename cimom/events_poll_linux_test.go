//go:build linux

package cimom_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/providers/host"
	"github.com/gowbem/gowbem/wbem"
)

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPollingCost watches Win32_Process (the host's /proc) WITHIN 1
// with 1 and with 100 subscriptions for a few seconds of real time, and
// reports the CPU the process spent per second: one shared poller either
// way.
func BenchmarkPollingCost(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc")
	}
	for _, subs := range []int{0, 1, 100} {
		b.Run(fmt.Sprintf("subscriptions=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			om := cimom.NewMemory()
			if err := host.Install(ctx, om, host.Config{}); err != nil {
				b.Fatal(err)
			}
			svc := om.Services(`root\cimv2`)
			for range subs {
				e, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceOperationEvent WITHIN 1 WHERE TargetInstance ISA 'Win32_Process'", semisync)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				go func() {
					buf := make([]cim.Object, 64)
					for {
						if _, err := e.Next(wbem.Infinite, buf); err != nil && err != wbem.ErrTimedOut {
							return
						}
					}
				}()
			}
			const window = 3 * time.Second
			var cpu time.Duration
			for b.Loop() {
				runtime.GC()
				c0 := processCPU()
				time.Sleep(window)
				cpu += processCPU() - c0
			}
			b.ReportMetric(float64(cpu.Milliseconds())/(float64(b.N)*window.Seconds()), "cpu-ms/s")
		})
	}
}
