//go:build linux

package host

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// blockDev is a disk or partition of /sys/block.
type blockDev struct {
	name      string // "sda", "sda1"
	dev       string // "major:minor"
	size      uint64 // bytes
	sector    uint64 // logical block size
	removable bool
	// Disks only.
	index      int // position among the disks, in name order
	model      string
	vendor     string
	serial     string
	firmware   string
	iface      string // WMI's InterfaceType
	partitions []blockDev
	// Partitions only.
	number int    // the kernel's partition number (1-based)
	start  uint64 // bytes from the start of the disk
	disk   string // the disk's name
}

// path is the device's path.
func (b blockDev) path() string { return "/dev/" + b.name }

// disks reads the disks of /sys/block: the block devices backed by a device
// (not loop, ram, zram, device-mapper or md), optical drives aside, each
// with its partitions.
func (h *host) disks() ([]blockDev, error) {
	root := h.cfg.path("/sys/block")
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []blockDev
	for _, e := range ents {
		name := e.Name()
		dir := filepath.Join(root, name)
		if _, err := os.Stat(dir + "/device"); err != nil || strings.HasPrefix(name, "sr") {
			continue
		}
		d := h.blockInfo(dir, name)
		d.model = readLine(dir + "/device/model")
		d.vendor = readLine(dir + "/device/vendor")
		d.firmware = readLine(dir + "/device/rev")
		if d.firmware == "" {
			d.firmware = readLine(dir + "/device/firmware_rev")
		}
		d.serial = readLine(dir + "/serial")
		if d.serial == "" {
			d.serial = readLine(dir + "/device/serial")
		}
		d.iface = "SCSI"
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			switch {
			case strings.Contains(real, "/usb"):
				d.iface = "USB"
			case strings.Contains(real, "/ata"):
				d.iface = "IDE"
			case strings.Contains(real, "/firewire"):
				d.iface = "1394"
			}
		}
		parts, _ := os.ReadDir(dir)
		for _, p := range parts {
			pdir := filepath.Join(dir, p.Name())
			num, err := strconv.Atoi(readLine(pdir + "/partition"))
			if err != nil {
				continue
			}
			pd := h.blockInfo(pdir, p.Name())
			pd.number, pd.disk = num, name
			pd.sector = d.sector
			if s, err := strconv.ParseUint(readLine(pdir+"/start"), 10, 64); err == nil {
				pd.start = s * 512
			}
			d.partitions = append(d.partitions, pd)
		}
		slices.SortFunc(d.partitions, func(a, b blockDev) int { return a.number - b.number })
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b blockDev) int { return strings.Compare(a.name, b.name) })
	for i := range out {
		out[i].index = i
	}
	return out, nil
}

// blockInfo reads what disks and partitions share: dev, size (in 512-byte
// sectors whatever the device's block size), block size, removable.
func (h *host) blockInfo(dir, name string) blockDev {
	b := blockDev{name: name, dev: readLine(dir + "/dev"), sector: 512}
	if s, err := strconv.ParseUint(readLine(dir+"/size"), 10, 64); err == nil {
		b.size = s * 512
	}
	if s, err := strconv.ParseUint(readLine(dir+"/queue/logical_block_size"), 10, 64); err == nil && s > 0 {
		b.sector = s
	}
	b.removable = readLine(dir+"/removable") == "1"
	return b
}

// diskDriveID and partitionID are the DeviceIDs: the device paths.
func diskDriveID(d blockDev) string { return d.path() }

// newDiskDriveProvider serves Win32_DiskDrive.
func newDiskDriveProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		disks, err := h.disks()
		if err != nil {
			return nil // no /sys/block: no disks
		}
		sys := h.hostname()
		for _, d := range disks {
			if err := emit(diskDriveInstance(class, sys, d)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func diskDriveInstance(class *cim.Class, sys string, d blockDev) *cim.Instance {
	caption := strings.TrimSpace(d.vendor + " " + d.model)
	if d.model == "" {
		caption = d.path()
	}
	media := "Fixed hard disk media"
	if d.removable {
		media = "Removable Media"
	}
	return newRow(class).system(sys).
		set("DeviceID", cim.String(diskDriveID(d))).
		set("Name", cim.String(d.path())).
		set("Caption", cim.String(caption)).
		set("Description", cim.String("Disk drive")).
		set("Model", str(d.model)).
		set("Manufacturer", str(d.vendor)).
		set("SerialNumber", str(d.serial)).
		set("FirmwareRevision", str(d.firmware)).
		set("InterfaceType", cim.String(d.iface)).
		set("MediaType", cim.String(media)).
		set("MediaLoaded", cim.Bool(d.size > 0)).
		set("Size", cim.Uint64(d.size)).
		set("BytesPerSector", cim.Uint32(uint32(d.sector))).
		set("TotalSectors", cim.Uint64(d.size/max(d.sector, 1))).
		set("Partitions", cim.Uint32(uint32(len(d.partitions)))).
		set("Index", cim.Uint32(uint32(d.index))).
		set("Status", cim.String("OK")).inst
}

// newDiskPartitionProvider serves Win32_DiskPartition.
func newDiskPartitionProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		disks, err := h.disks()
		if err != nil {
			return nil
		}
		sys := h.hostname()
		for _, d := range disks {
			for _, p := range d.partitions {
				if err := emit(partitionInstance(class, sys, d, p)); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

func partitionInstance(class *cim.Class, sys string, d, p blockDev) *cim.Instance {
	caption := "Disk #" + strconv.Itoa(d.index) + ", Partition #" + strconv.Itoa(p.number-1)
	return newRow(class).system(sys).
		set("DeviceID", cim.String(p.path())).
		set("Name", cim.String(p.path())).
		set("Caption", cim.String(caption)).
		set("Description", cim.String(caption)).
		set("DiskIndex", cim.Uint32(uint32(d.index))).
		set("Index", cim.Uint32(uint32(p.number-1))).
		set("Size", cim.Uint64(p.size)).
		set("StartingOffset", cim.Uint64(p.start)).
		set("BlockSize", cim.Uint64(p.sector)).
		set("NumberOfBlocks", cim.Uint64(p.size/max(p.sector, 1))).
		set("Status", cim.String("OK")).inst
}

// volumeInfo is a volume: a disk without partitions or a partition that
// holds a file system, or the block device of a mount.
type volumeInfo struct {
	name   string // device name
	dev    string // major:minor
	size   uint64
	sector uint64
	points []string // where it is mounted, shortest first
	fstype string
	ro     bool
	remov  bool
}

// volumes lists the host's volumes: every partition, every disk without
// partitions, and every other block device (loop, device-mapper, md) that
// is mounted, by device name.
func (h *host) volumes() []volumeInfo {
	disks, _ := h.disks()
	ms, _ := h.allMounts()
	byDev := map[string][]mount{}
	for _, m := range ms {
		if pseudoFS[m.fstype] {
			continue
		}
		byDev[m.majMin] = append(byDev[m.majMin], m)
	}
	var out []volumeInfo
	seen := map[string]bool{}
	add := func(b blockDev) {
		v := volumeInfo{name: b.name, dev: b.dev, size: b.size, sector: b.sector, remov: b.removable}
		for _, m := range byDev[b.dev] {
			if m.root != "/" {
				continue // a bind mount of a directory of the volume
			}
			v.points = append(v.points, m.point)
			v.fstype = m.fstype
			v.ro = v.ro || hasOpt(m.opts, "ro")
		}
		slices.SortFunc(v.points, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
		v.points = slices.Compact(v.points)
		seen[b.dev] = true
		out = append(out, v)
	}
	for _, d := range disks {
		if len(d.partitions) == 0 {
			add(d)
		}
		for _, p := range d.partitions {
			add(p)
		}
	}
	// Mounted block devices that are not disks: loop, dm, md.
	root := h.cfg.path("/sys/class/block")
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		dev := readLine(dir + "/dev")
		if dev == "" || seen[dev] || len(byDev[dev]) == 0 {
			continue
		}
		add(h.blockInfo(dir, e.Name()))
	}
	slices.SortFunc(out, func(a, b volumeInfo) int { return strings.Compare(a.name, b.name) })
	return out
}

// allMounts returns every mount of mountinfo (mounts() keeps the topmost
// per mount point).
func (h *host) allMounts() ([]mount, error) {
	b, err := readInto(nil, h.cfg.path("/proc/self/mountinfo"), MaxMountinfo)
	if err != nil {
		return nil, err
	}
	return parseMountinfo(b), nil
}

func hasOpt(opts, o string) bool {
	for x := range strings.SplitSeq(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

// newVolumeProvider serves Win32_Volume.
func newVolumeProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sys := h.hostname()
		names := h.diskNames()
		swaps := h.swaps()
		for _, v := range h.volumes() {
			if err := emit(h.volumeInstance(ctx, class, sys, names, swaps, v)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func (h *host) volumeInstance(ctx context.Context, class *cim.Class, sys string, names diskNames, swaps map[string]bool, v volumeInfo) *cim.Instance {
	dev := "/dev/" + v.name
	label, uuid := names.lookup(h, dev)
	name := dev
	if len(v.points) > 0 {
		name = v.points[0]
	}
	dt := uint32(DriveLocal)
	if v.remov {
		dt = DriveRemovable
	}
	r := newRow(class).system(sys).
		set("DeviceID", cim.String(dev)).
		set("Name", cim.String(name)).
		set("Caption", cim.String(name)).
		set("Label", str(label)).
		set("DriveType", cim.Uint32(dt)).
		set("Capacity", cim.Uint64(v.size)).
		set("BlockSize", cim.Uint64(v.sector)).
		set("FileSystem", str(v.fstype)).
		set("PageFilePresent", cim.Bool(swaps[dev])).
		set("Status", cim.String("OK"))
	if uuid != "" {
		r.set("DeviceUUID", cim.String(uuid))
	}
	mounted := len(v.points) > 0
	r.set("Automount", cim.Null)
	if mounted {
		r.set("SystemVolume", cim.Bool(slices.Contains(v.points, "/"))).
			set("BootVolume", cim.Bool(slices.Contains(v.points, "/boot") || slices.Contains(v.points, "/"))).
			set("Access", cim.Uint16(map[bool]uint16{true: 1, false: 3}[v.ro]))
		if st, ok := statfs(ctx, h.cfg.path(v.points[0]), false); ok {
			bs := uint64(st.Bsize)
			r.set("Capacity", cim.Uint64(st.Blocks*bs)).
				set("FreeSpace", cim.Uint64(st.Bavail*bs)).
				set("BlockSize", cim.Uint64(bs)).
				set("MaximumFileNameLength", cim.Uint32(uint32(st.Namelen)))
		}
	} else {
		r.set("SystemVolume", cim.Bool(false)).set("BootVolume", cim.Bool(false))
	}
	return r.inst
}

// swaps lists the devices of /proc/swaps.
func (h *host) swaps() map[string]bool {
	out := map[string]bool{}
	b, err := readSmall(h.cfg.path("/proc/swaps"))
	if err != nil {
		return out
	}
	for i, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			out[unescapeMount(f[0])] = true
		}
	}
	return out
}

// newDirectoryProvider serves Win32_Directory for the directories volumes
// are mounted on (the ends of Win32_MountPoint): gowbem does not offer the
// host's whole directory tree.
func newDirectoryProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sys := h.hostname()
		seen := map[string]bool{}
		for _, v := range h.volumes() {
			for _, p := range v.points {
				if seen[p] {
					continue
				}
				seen[p] = true
				if err := emit(directoryInstance(class, sys, p)); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

func directoryInstance(class *cim.Class, sys, p string) *cim.Instance {
	return newRow(class).
		set("Name", cim.String(p)).
		set("Caption", cim.String(p)).
		set("FileName", cim.String(filepath.Base(p))).
		set("Path", cim.String(filepath.Dir(p))).
		set("CSCreationClassName", cim.String("Win32_ComputerSystem")).
		set("CSName", str(sys)).
		set("CreationClassName", cim.String(class.Name)).
		set("FSCreationClassName", cim.String("Win32_FileSystem")).
		set("FSName", cim.Null).
		set("Status", cim.String("OK")).inst
}

// exePath returns the executable of a process: its /proc/<pid>/exe, ""
// for kernel threads and (for an unprivileged daemon) other users'
// processes.
func (h *host) exePath(pid int) string {
	exe, err := os.Readlink(h.cfg.path("/proc/" + strconv.Itoa(pid) + "/exe"))
	if err != nil || strings.HasSuffix(exe, " (deleted)") {
		return ""
	}
	return exe
}

// executables lists the executables of running processes, each with the
// processes that run it, in pid order.
func (h *host) executables(ctx context.Context) (map[string][]int, []string, error) {
	by := map[string][]int{}
	var order []string
	err := h.eachPID(ctx, func(pid int) error {
		if exe := h.exePath(pid); exe != "" {
			if _, ok := by[exe]; !ok {
				order = append(order, exe)
			}
			by[exe] = append(by[exe], pid)
		}
		return nil
	})
	return by, order, err
}

// newDataFileProvider serves CIM_DataFile for the executables of running
// processes (the ends of CIM_ProcessExecutable): gowbem does not offer the
// host's files at large.
func newDataFileProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		_, order, err := h.executables(ctx)
		if err != nil {
			return err
		}
		sys := h.hostname()
		for _, exe := range order {
			if err := emit(dataFileInstance(class, sys, exe)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func dataFileInstance(class *cim.Class, sys, p string) *cim.Instance {
	base := filepath.Base(p)
	ext := strings.TrimPrefix(filepath.Ext(base), ".")
	r := newRow(class).
		set("Name", cim.String(p)).
		set("Caption", cim.String(p)).
		set("FileName", cim.String(strings.TrimSuffix(base, filepath.Ext(base)))).
		set("Extension", cim.String(ext)).
		set("Path", cim.String(strings.TrimSuffix(filepath.Dir(p), "/")+"/")).
		set("CSCreationClassName", cim.String("Win32_ComputerSystem")).
		set("CSName", str(sys)).
		set("CreationClassName", cim.String(class.Name)).
		set("FSCreationClassName", cim.String("Win32_FileSystem")).
		set("Status", cim.String("OK"))
	if fi, err := os.Stat(p); err == nil {
		r.set("FileSize", cim.Uint64(uint64(fi.Size()))).
			set("LastModified", cim.TimeValue(fi.ModTime())).
			set("Executable", cim.Bool(fi.Mode()&0o111 != 0))
	}
	return r.inst
}

// newProcessExecutable links an executable (Antecedent) to the processes
// running it (Dependent). From a process it reads that process's exe link.
func newProcessExecutable(h *host) *assocProvider {
	return &assocProvider{
		ends: [2]assocEnd{{"Antecedent", []string{"CIM_DataFile"}}, {"Dependent", []string{"Win32_Process", "CIM_Process"}}},
		pairs: func(ctx context.Context, from int, target cim.ObjectPath, emit func(a, b cim.ObjectPath) error) error {
			if from == 1 {
				hs, _ := keyString(target, "Handle")
				pid, err := strconv.Atoi(hs)
				if err != nil || pid <= 0 || strconv.Itoa(pid) != hs {
					return nil
				}
				if exe := h.exePath(pid); exe != "" {
					return emit(path1("CIM_DataFile", "Name", cim.String(exe)), processPath(pid))
				}
				return nil
			}
			want, _ := keyString(target, "Name")
			by, order, err := h.executables(ctx)
			if err != nil {
				return err
			}
			for _, exe := range order {
				if from == 0 && exe != want {
					continue
				}
				for _, pid := range by[exe] {
					if err := emit(path1("CIM_DataFile", "Name", cim.String(exe)), processPath(pid)); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}
