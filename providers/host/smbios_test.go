//go:build linux

package host_test

import (
	"os"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/host"
)

func TestFixtureSMBIOS(t *testing.T) {
	svc := newOM(t, fixture(t))
	bios := enumerate(t, svc, "Win32_BIOS")
	if len(bios) != 1 {
		t.Fatalf("%d BIOS instances", len(bios))
	}
	checkProps(t, bios[0], map[string]any{
		"Manufacturer": "Fixture BIOS Inc.", "SMBIOSBIOSVersion": "FX.1.07", "Name": "FX.1.07",
		"Version": "Fixture BIOS Inc. - FX.1.07", "SMBIOSMajorVersion": "3", "SMBIOSMinorVersion": "2",
		"SystemBiosMajorVersion": "1", "SystemBiosMinorVersion": "7", "EmbeddedControllerMajorVersion": "2",
		"EmbeddedControllerMinorVersion": "5", "SerialNumber": "SER-0042", "SMBIOSPresent": "true",
		"ReleaseDate": cim.DatetimeFromTime(time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC)).String(),
	})
	if _, err := getObject(t, svc, bios[0].ObjectPath().RelPath()); err != nil {
		t.Errorf("GetObject of the BIOS by its five keys: %v", err)
	}
	board := enumerate(t, svc, "Win32_BaseBoard")
	if len(board) != 1 {
		t.Fatalf("%d boards", len(board))
	}
	checkProps(t, board[0], map[string]any{"Tag": "Base Board", "Manufacturer": "Acme Boards", "Product": "RB-1",
		"Version": "rev A", "SerialNumber": "BOARD-77", "HostingBoard": "true"})
	prod := enumerate(t, svc, "Win32_ComputerSystemProduct")
	if len(prod) != 1 {
		t.Fatalf("%d products", len(prod))
	}
	// SMBIOS 3.2 stores the first three UUID fields little-endian.
	checkProps(t, prod[0], map[string]any{"Vendor": "Acme", "Name": "Roadrunner 3000", "Version": "v2",
		"IdentifyingNumber": "SER-0042", "SKUNumber": "SKU-9", "UUID": "00112233-4455-6677-8899-AABBCCDDEEFF"})
	mem := byKey(enumerate(t, svc, "Win32_PhysicalMemory"))
	if len(mem) != 2 {
		t.Fatalf("%d modules, want the 2 populated slots: %v", len(mem), mem)
	}
	checkProps(t, mem[`Win32_PhysicalMemory.Tag="Physical Memory 0",CreationClassName="Win32_PhysicalMemory"`], map[string]any{
		"Capacity": "8589934592", "DeviceLocator": "DIMM_A1", "BankLabel": "BANK 0", "Manufacturer": "Hynix",
		"SerialNumber": "MEM-SER-1", "PartNumber": "HMA81GU6", "Speed": "3200", "ConfiguredClockSpeed": "2933",
		"FormFactor": "8", "SMBIOSMemoryType": "26", "DataWidth": "64", "TotalWidth": "72",
	})
	checkProps(t, mem[`Win32_PhysicalMemory.Tag="Physical Memory 1",CreationClassName="Win32_PhysicalMemory"`], map[string]any{
		"Capacity": "68719476736", "DeviceLocator": "DIMM_B1", "FormFactor": "12", "SMBIOSMemoryType": "34",
	})
}

// Live: with the SMBIOS table readable, the classes agree with
// /sys/class/dmi/id; without DMI at all (a VM without firmware tables) they
// are empty rather than made up.
func TestLiveSMBIOS(t *testing.T) {
	svc := newOM(t, host.Config{})
	bios := enumerate(t, svc, "Win32_BIOS")
	vendor, err := os.ReadFile("/sys/class/dmi/id/bios_vendor")
	if err != nil {
		if len(bios) != 0 || len(enumerate(t, svc, "Win32_PhysicalMemory")) != 0 {
			t.Errorf("no DMI here, yet %d BIOS instances", len(bios))
		}
		return
	}
	if len(bios) != 1 {
		t.Fatalf("%d BIOS instances", len(bios))
	}
	checkProps(t, bios[0], map[string]any{"Manufacturer": string(trimNL(vendor))})
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
