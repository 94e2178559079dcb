//go:build linux

package host_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

// BenchmarkEnumerateClass enumerates each class of the wide host straight
// from its provider (live host, or the fixture where this machine has no
// such data); it reports instances per second.
func BenchmarkEnumerateClass(b *testing.B) {
	fix := host.Config{Root: "testdata/root"}
	live := host.Config{}
	for _, c := range []struct {
		prov, class string
		cfg         host.Config
	}{
		{host.ProviderProcess, "Win32_Process", live},
		{host.ProviderNetworkAdapter, "Win32_NetworkAdapter", live},
		{host.ProviderNetworkAdapterConfig, "Win32_NetworkAdapterConfiguration", live},
		{host.ProviderIP4RouteTable, "Win32_IP4RouteTable", live},
		{host.ProviderDiskDrive, "Win32_DiskDrive", live},
		{host.ProviderDiskPartition, "Win32_DiskPartition", fix},
		{host.ProviderVolume, "Win32_Volume", live},
		{host.ProviderBIOS, "Win32_BIOS", fix},
		{host.ProviderPhysicalMemory, "Win32_PhysicalMemory", fix},
		{host.ProviderUserAccount, "Win32_UserAccount", live},
		{host.ProviderGroup, "Win32_Group", live},
		{host.ProviderGroupUser, "Win32_GroupUser", live},
		{host.ProviderLogonSession, "Win32_LogonSession", fix},
		{host.ProviderEnvironment, "Win32_Environment", live},
		{host.ProviderPerfRawProcessor, "Win32_PerfRawData_PerfOS_Processor", live},
		{host.ProviderSystemProcesses, "Win32_SystemProcesses", live},
	} {
		b.Run(c.class, func(b *testing.B) {
			p := host.Providers(c.cfg)[c.prov]
			class := classOf(b, c.class)
			total := 0
			for b.Loop() {
				err := p.EnumerateInstances(context.Background(), class, provider.EmitFunc(func(*cim.Instance) error { total++; return nil }))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "instances/s")
			b.ReportMetric(float64(total)/float64(b.N), "instances/op")
		})
	}
}

// BenchmarkAssociatorsOfProcess compares ASSOCIATORS OF one process, which
// Win32_SystemProcesses answers from that process alone ("pushdown"), with
// the naive way the object manager takes for association providers without
// References: enumerate every Win32_SystemProcesses instance and keep those
// that refer to the process, then get the other end ("naive").
func BenchmarkAssociatorsOfProcess(b *testing.B) {
	svc := newOM(b, host.Config{})
	pid := strconv.Itoa(os.Getpid())
	b.Run("pushdown", func(b *testing.B) {
		q := `ASSOCIATORS OF {Win32_Process.Handle="` + pid + `"} WHERE AssocClass = Win32_SystemProcesses`
		for b.Loop() {
			e, err := svc.ExecQuery(context.Background(), "WQL", q, 0)
			if n := len(drain(b, e, err)); n != 1 {
				b.Fatalf("%d results", n)
			}
		}
	})
	b.Run("naive", func(b *testing.B) {
		p := host.Providers(host.Config{})[host.ProviderSystemProcesses]
		class := classOf(b, "Win32_SystemProcesses")
		target := cim.ObjectPath{Class: "Win32_Process", Keys: []cim.KeyBinding{{Name: "Handle", Value: cim.String(pid)}}}
		for b.Loop() {
			var ends []cim.ObjectPath
			err := p.EnumerateInstances(context.Background(), class, provider.EmitFunc(func(in *cim.Instance) error {
				part, _ := in.Value("PartComponent").Path()
				if part.KeyString() == target.KeyString() {
					group, _ := in.Value("GroupComponent").Path()
					ends = append(ends, group)
				}
				return nil
			}))
			if err != nil || len(ends) != 1 {
				b.Fatalf("%d ends, %v", len(ends), err)
			}
			if _, err := getObject(b, svc, ends[0].String()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
