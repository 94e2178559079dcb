//go:build linux

package host_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

// Every class of the wide host stops at the emitter's first error and
// notices a cancelled call, over the fixture (which has instances of each)
// or the live host.
func TestWideProvidersStop(t *testing.T) {
	fix := fixture(t)
	for _, c := range []struct {
		prov, class string
		cfg         host.Config
	}{
		{host.ProviderNetworkAdapter, "Win32_NetworkAdapter", host.Config{}},
		{host.ProviderNetworkAdapterConfig, "Win32_NetworkAdapterConfiguration", host.Config{}},
		{host.ProviderIP4RouteTable, "Win32_IP4RouteTable", host.Config{}},
		{host.ProviderDiskDrive, "Win32_DiskDrive", fix},
		{host.ProviderDiskPartition, "Win32_DiskPartition", fix},
		{host.ProviderVolume, "Win32_Volume", fix},
		{host.ProviderDirectory, "Win32_Directory", fix},
		{host.ProviderBIOS, "Win32_BIOS", fix},
		{host.ProviderBaseBoard, "Win32_BaseBoard", fix},
		{host.ProviderComputerSystemProduct, "Win32_ComputerSystemProduct", fix},
		{host.ProviderPhysicalMemory, "Win32_PhysicalMemory", fix},
		{host.ProviderUserAccount, "Win32_UserAccount", fix},
		{host.ProviderGroup, "Win32_Group", fix},
		{host.ProviderGroupUser, "Win32_GroupUser", fix},
		{host.ProviderLogonSession, "Win32_LogonSession", fix},
		{host.ProviderLoggedOnUser, "Win32_LoggedOnUser", fix},
		{host.ProviderEnvironment, "Win32_Environment", fix},
		{host.ProviderPerfRawProcessor, "Win32_PerfRawData_PerfOS_Processor", fix},
		{host.ProviderPerfFormattedProcessor, "Win32_PerfFormattedData_PerfOS_Processor", fix},
		{host.ProviderPerfMemory, "Win32_PerfFormattedData_PerfOS_Memory", fix},
		{host.ProviderSystemProcesses, "Win32_SystemProcesses", host.Config{}},
		{host.ProviderDiskDriveToDiskPartition, "Win32_DiskDriveToDiskPartition", fix},
		{host.ProviderLogicalDiskToPartition, "Win32_LogicalDiskToPartition", fix},
		{host.ProviderMountPoint, "Win32_MountPoint", fix},
		{host.ProviderNetworkAdapterSetting, "Win32_NetworkAdapterSetting", host.Config{}},
	} {
		t.Run(c.class, func(t *testing.T) {
			p := host.Providers(c.cfg)[c.prov]
			class := classOf(t, c.class)
			n := 0
			err := p.EnumerateInstances(context.Background(), class, provider.EmitFunc(func(*cim.Instance) error {
				n++
				return errStop
			}))
			if !errors.Is(err, errStop) || n != 1 {
				t.Errorf("after a failed Emit: %d emits, err %v; want 1 and the emitter's error", n, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			n = 0
			err = p.EnumerateInstances(ctx, class, provider.EmitFunc(func(*cim.Instance) error { n++; return nil }))
			if !errors.Is(err, context.Canceled) || n != 0 {
				t.Errorf("cancelled: %d instances, err %v", n, err)
			}
		})
	}
}
