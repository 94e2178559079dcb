//go:build linux

package host_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/host"
)

func TestFixtureStorage(t *testing.T) {
	svc := newOM(t, fixture(t))
	disks := byKey(enumerate(t, svc, "Win32_DiskDrive"))
	if len(disks) != 1 {
		t.Fatalf("%d disks, want sda alone (loop0 has no device): %v", len(disks), disks)
	}
	checkProps(t, disks[`Win32_DiskDrive.DeviceID="/dev/sda"`], map[string]any{
		"Size": "1073741824", "BytesPerSector": "512", "TotalSectors": "2097152", "Partitions": "2",
		"Index": "0", "Model": "Fixture Disk", "Manufacturer": "ACME", "SerialNumber": "FIX123",
		"FirmwareRevision": "1.0", "Caption": "ACME Fixture Disk", "InterfaceType": "SCSI",
		"MediaType": "Fixed hard disk media", "SystemName": "fixture-host",
	})
	parts := byKey(enumerate(t, svc, "Win32_DiskPartition"))
	checkProps(t, parts[`Win32_DiskPartition.DeviceID="/dev/sda1"`], map[string]any{
		"DiskIndex": "0", "Index": "0", "StartingOffset": "1048576", "Size": "536870912",
		"Caption": "Disk #0, Partition #0", "NumberOfBlocks": "1048576", "Bootable": nil,
	})
	checkProps(t, parts[`Win32_DiskPartition.DeviceID="/dev/sda2"`], map[string]any{"Index": "1", "StartingOffset": "537919488"})
	vols := byKey(enumerate(t, svc, "Win32_Volume"))
	checkProps(t, vols[`Win32_Volume.DeviceID="/dev/sda1"`], map[string]any{
		"Name": "/", "FileSystem": "ext4", "SystemVolume": "true", "BootVolume": "true", "Access": "3",
		"PageFilePresent": "false", "DriveLetter": nil, "DriveType": "3",
	})
	checkProps(t, vols[`Win32_Volume.DeviceID="/dev/sda2"`], map[string]any{
		"Name": "/mnt/my disk", "Access": "1", "SystemVolume": "false", "PageFilePresent": "true",
	})
	if len(vols) != 2 {
		t.Errorf("%d volumes: %v", len(vols), vols)
	}
	dirs := byKey(enumerate(t, svc, "Win32_Directory"))
	checkProps(t, dirs[`Win32_Directory.Name="/mnt/my disk"`], map[string]any{"FileName": "my disk", "Path": "/mnt"})
	if _, err := getObject(t, svc, `Win32_Directory.Name="/etc"`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("a directory that is no mount point: %v", err)
	}

	// Associations, walked from either end.
	names := func(q, prop string) []string {
		var out []string
		for _, in := range query(t, svc, q) {
			out = append(out, in.ClassName()+":"+in.Value(prop).Text())
		}
		return out
	}
	for _, c := range []struct{ q, prop, want string }{
		{`ASSOCIATORS OF {Win32_DiskDrive.DeviceID="/dev/sda"}`, "DeviceID", "Win32_DiskPartition:/dev/sda1 Win32_DiskPartition:/dev/sda2"},
		{`ASSOCIATORS OF {Win32_DiskPartition.DeviceID="/dev/sda2"} WHERE AssocClass = Win32_DiskDriveToDiskPartition`, "DeviceID", "Win32_DiskDrive:/dev/sda"},
		{`ASSOCIATORS OF {Win32_DiskPartition.DeviceID="/dev/sda1"} WHERE ResultClass = Win32_LogicalDisk`, "DeviceID", "Win32_LogicalDisk:/"},
		{`ASSOCIATORS OF {Win32_LogicalDisk.DeviceID="/mnt/my disk"} WHERE AssocClass = Win32_LogicalDiskToPartition`, "DeviceID", "Win32_DiskPartition:/dev/sda2"},
		{`ASSOCIATORS OF {Win32_Volume.DeviceID="/dev/sda2"} WHERE AssocClass = Win32_MountPoint`, "Name", "Win32_Directory:/mnt/my disk"},
		{`ASSOCIATORS OF {Win32_Directory.Name="/"} WHERE Role = Dependent`, "DeviceID", "Win32_Volume:/dev/sda1"},
	} {
		if got := strings.Join(names(c.q, c.prop), " "); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.q, got, c.want)
		}
	}
	refs := query(t, svc, `REFERENCES OF {Win32_DiskDrive.DeviceID="/dev/sda"}`)
	if len(refs) != 2 || refs[0].ClassName() != "Win32_DiskDriveToDiskPartition" {
		t.Errorf("REFERENCES OF the disk: %v", refs)
	}
	if got := enumerate(t, svc, "Win32_MountPoint"); len(got) != 2 {
		t.Errorf("%d mount points", len(got))
	}
	one, err := getObject(t, svc, `Win32_MountPoint.Antecedent="Win32_Volume.DeviceID=\"/dev/sda1\"",Dependent="Win32_Directory.Name=\"/\""`)
	if err != nil {
		t.Errorf("GetObject of a mount point: %v", err)
	} else if one.ClassName() != "Win32_MountPoint" {
		t.Errorf("got %v", one)
	}
	if _, err := getObject(t, svc, `Win32_MountPoint.Antecedent="Win32_Volume.DeviceID=\"/dev/sda1\"",Dependent="Win32_Directory.Name=\"/srv\""`); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("GetObject of a link that is not: %v", err)
	}
}

// The disks are /sys/block's devices that have a device; the volume of the
// root file system is mounted on /.
func TestLiveStorage(t *testing.T) {
	svc := newOM(t, host.Config{})
	disks := byKey(enumerate(t, svc, "Win32_DiskDrive"))
	ents, _ := os.ReadDir("/sys/block")
	n := 0
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join("/sys/block", e.Name(), "device")); err != nil || strings.HasPrefix(e.Name(), "sr") {
			continue
		}
		n++
		d := disks[`Win32_DiskDrive.DeviceID="/dev/`+e.Name()+`"`]
		if d == nil {
			t.Errorf("disk %s missing", e.Name())
			continue
		}
		sectors, _ := strconv.ParseUint(readTrim(t, filepath.Join("/sys/block", e.Name(), "size")), 10, 64)
		checkProps(t, d, map[string]any{"Size": strconv.FormatUint(sectors*512, 10)})
	}
	if len(disks) != n {
		t.Errorf("%d disks, want %d", len(disks), n)
	}
	rootVol := 0
	for _, v := range enumerate(t, svc, "Win32_Volume") {
		if v.Value("SystemVolume").Bool() {
			rootVol++
			if v.Value("Name").Str() != "/" || v.Value("Capacity").Uint() == 0 {
				t.Errorf("root volume %v", v)
			}
		}
	}
	if rootVol > 1 {
		t.Errorf("%d system volumes", rootVol)
	}
}
