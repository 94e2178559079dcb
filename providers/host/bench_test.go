//go:build linux

package host_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

// BenchmarkEnumerateProcesses reads every process of the host once per
// iteration, straight from the provider; it reports instances per second.
func BenchmarkEnumerateProcesses(b *testing.B) {
	p := host.Providers(host.Config{})[host.ProviderProcess]
	class := classOf(b, "Win32_Process")
	total := 0
	for b.Loop() {
		err := p.EnumerateInstances(context.Background(), class, provider.EmitFunc(func(*cim.Instance) error { total++; return nil }))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "instances/s")
	b.ReportMetric(float64(total)/float64(b.N), "instances/op")
}

// BenchmarkEnumerateProcessesOM is the same through the object manager's
// CreateInstanceEnum (queue, location, delivery).
func BenchmarkEnumerateProcessesOM(b *testing.B) {
	svc := newOM(b, host.Config{})
	total := 0
	for b.Loop() {
		total += len(enumerate(b, svc, "Win32_Process"))
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "instances/s")
}

// BenchmarkGetProcess reads one process by its key: compare with a full
// enumeration above.
func BenchmarkGetProcess(b *testing.B) {
	svc := newOM(b, host.Config{})
	path := `Win32_Process.Handle="1"`
	for b.Loop() {
		if _, err := getObject(b, svc, path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWhereProcessId runs WHERE ProcessId = n through the query
// engine, which pushes it down to one /proc read.
func BenchmarkWhereProcessId(b *testing.B) {
	svc := newOM(b, host.Config{})
	q := "SELECT Name, ProcessId FROM Win32_Process WHERE ProcessId = " + strconv.Itoa(1)
	for b.Loop() {
		e, err := svc.ExecQuery(context.Background(), "WQL", q, 0)
		if n := len(drain(b, e, err)); n != 1 {
			b.Fatalf("%d results", n)
		}
	}
}
