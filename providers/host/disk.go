//go:build linux

package host

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/provider"
)

// Chkdsk return codes (Microsoft's list for Win32_LogicalDisk.Chkdsk).
const (
	ChkdskSuccess           = 0 // the check ran (and repaired what it found, with FixErrors)
	ChkdskLockedScheduled   = 1 // the volume is mounted; a check at boot may be scheduled
	ChkdskUnknownFileSystem = 2 // no file system gowbem recognizes
	ChkdskUnknownError      = 3 // the check failed or found errors it left unrepaired
	ChkdskUnsupportedFS     = 4 // gowbem has no checker for this file system
)

// StatfsTimeout bounds statfs(2) on a network file system, which can hang
// while its server is away; the sizes are then NULL.
const StatfsTimeout = 5 * time.Second

// LogicalDiskProvider serves Win32_LogicalDisk: the mounted file systems
// (DeviceID is the mount point) and, on request by path, unmounted volumes
// (DeviceID is the block device or image file).
type LogicalDiskProvider struct{ h *host }

var diskProps = []string{
	"DeviceID", "Name", "Caption", "Description", "FileSystem", "Size", "FreeSpace",
	"BlockSize", "NumberOfBlocks", "MaximumComponentLength", "VolumeName", "VolumeSerialNumber",
	"DriveType", "MediaType", "Access", "ProviderName", "VolumeDirty", "Status",
	"CreationClassName", "SystemCreationClassName", "SystemName",
}

const (
	dDeviceID = iota
	dName
	dCaption
	dDescription
	dFileSystem
	dSize
	dFreeSpace
	dBlockSize
	dNumberOfBlocks
	dMaxComponent
	dVolumeName
	dVolumeSerial
	dDriveType
	dMediaType
	dAccess
	dProviderName
	dVolumeDirty
	dStatus
	dCreationClassName
	dSystemCreationClassName
	dSystemName
)

var driveDescriptions = map[uint32]string{
	DriveRemovable: "Removable Disk", DriveLocal: "Local Fixed Disk", DriveNetwork: "Network Connection",
	DriveCD: "CD-ROM Disc", DriveRAM: "RAM Disk",
}

// diskBuilder builds instances for one call.
type diskBuilder struct {
	h     *host
	class *cim.Class
	ix    []int
	names diskNames
	sys   string
}

func (p *LogicalDiskProvider) builder(class *cim.Class) *diskBuilder {
	return &diskBuilder{h: p.h, class: class, ix: indexes(class, diskProps), names: p.h.diskNames(), sys: p.h.hostname()}
}

func (b *diskBuilder) common(inst *cim.Instance, id string) {
	put(inst, b.ix[dDeviceID], cim.String(id))
	put(inst, b.ix[dName], cim.String(id))
	put(inst, b.ix[dCaption], cim.String(id))
	put(inst, b.ix[dCreationClassName], cim.String(b.class.Name))
	put(inst, b.ix[dSystemCreationClassName], cim.String("Win32_ComputerSystem"))
	put(inst, b.ix[dSystemName], str(b.sys))
}

// mounted builds the instance of a mount.
func (b *diskBuilder) mounted(ctx context.Context, m mount) *cim.Instance {
	inst := b.class.NewInstance()
	ix := b.ix
	b.common(inst, m.point)
	dt := b.h.driveType(m)
	put(inst, ix[dDriveType], cim.Uint32(dt))
	put(inst, ix[dDescription], str(driveDescriptions[dt]))
	switch dt {
	case DriveLocal:
		put(inst, ix[dMediaType], cim.Uint32(12)) // fixed hard disk
	case DriveRemovable:
		put(inst, ix[dMediaType], cim.Uint32(11)) // removable, not a floppy
	case DriveNetwork:
		put(inst, ix[dProviderName], str(m.source))
	}
	put(inst, ix[dFileSystem], str(m.fstype))
	access := uint16(3) // read/write
	for o := range strings.SplitSeq(m.opts, ",") {
		if o == "ro" {
			access = 1 // readable
		}
	}
	put(inst, ix[dAccess], cim.Uint16(access))
	put(inst, ix[dStatus], cim.String("OK"))
	label, uuid := b.names.lookup(b.h, m.source)
	put(inst, ix[dVolumeName], str(label))
	put(inst, ix[dVolumeSerial], str(uuid))
	if st, ok := statfs(ctx, b.h.cfg.path(m.point), dt == DriveNetwork); ok {
		bs := uint64(st.Bsize)
		put(inst, ix[dSize], cim.Uint64(st.Blocks*bs))
		put(inst, ix[dFreeSpace], cim.Uint64(st.Bavail*bs))
		put(inst, ix[dBlockSize], cim.Uint64(bs))
		put(inst, ix[dNumberOfBlocks], cim.Uint64(st.Blocks))
		put(inst, ix[dMaxComponent], cim.Uint32(uint32(st.Namelen)))
	}
	return inst
}

// statfs runs statfs(2); on a network file system it gives up after
// StatfsTimeout or when ctx ends (the blocked call finishes on its own).
func statfs(ctx context.Context, path string, network bool) (syscall.Statfs_t, bool) {
	var st syscall.Statfs_t
	if !network {
		return st, syscall.Statfs(path, &st) == nil
	}
	done := make(chan bool, 1)
	go func() {
		var s syscall.Statfs_t
		ok := syscall.Statfs(path, &s) == nil
		st = s
		done <- ok
	}()
	t := time.NewTimer(StatfsTimeout)
	defer t.Stop()
	select {
	case ok := <-done:
		return st, ok
	case <-t.C:
	case <-ctx.Done():
	}
	return syscall.Statfs_t{}, false
}

// unmounted builds the instance of a volume addressed by path.
func (b *diskBuilder) unmounted(path string, v volume) *cim.Instance {
	inst := b.class.NewInstance()
	ix := b.ix
	b.common(inst, path)
	put(inst, ix[dDescription], cim.String("Unmounted Volume"))
	put(inst, ix[dDriveType], cim.Uint32(DriveLocal))
	put(inst, ix[dFileSystem], str(v.fstype))
	put(inst, ix[dVolumeName], str(v.label))
	put(inst, ix[dVolumeSerial], str(v.uuid))
	if v.known {
		put(inst, ix[dSize], cim.Uint64(v.size))
		put(inst, ix[dFreeSpace], cim.Uint64(v.free))
		put(inst, ix[dBlockSize], cim.Uint64(v.blockSize))
		put(inst, ix[dNumberOfBlocks], cim.Uint64(v.blocks))
		put(inst, ix[dVolumeDirty], cim.Bool(v.dirty))
		put(inst, ix[dStatus], cim.String(map[bool]string{false: "OK", true: "Degraded"}[v.dirty]))
	}
	if v.ext {
		put(inst, ix[dMaxComponent], cim.Uint32(255))
	}
	return inst
}

// EnumerateInstances emits the mounted file systems that hold files (see
// pseudoFS), each mount point once.
func (p *LogicalDiskProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	ms, err := p.h.mounts()
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "cannot read /proc/self/mountinfo: " + err.Error(), Err: err}
	}
	b := p.builder(class)
	for _, m := range ms {
		if pseudoFS[m.fstype] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := out.Emit(b.mounted(ctx, m)); err != nil {
			return err
		}
	}
	return nil
}

// GetInstance finds a mount point or, when the DeviceID is an allowed
// device or image path (Config.VolumePaths), the volume there.
func (p *LogicalDiskProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	id, _ := keyString(path, "DeviceID")
	t, err := p.h.resolveDisk(id)
	if err != nil {
		return nil, notFound(path)
	}
	b := p.builder(class)
	if t.mount != nil {
		return b.mounted(ctx, *t.mount), nil
	}
	return b.unmounted(id, t.vol), nil
}

// diskTarget is what a DeviceID names.
type diskTarget struct {
	mount   *mount // a mount point
	volPath string // else a volume: its resolved path
	vol     volume
	mounted bool // the volume is mounted somewhere
	mountFS string
}

// resolveDisk finds what id names: a mount point of a listed mount, else an
// unmounted (or mounted elsewhere) volume under Config.VolumePaths.
func (h *host) resolveDisk(id string) (diskTarget, error) {
	if id == "" || !filepath.IsAbs(id) || filepath.Clean(id) != id {
		return diskTarget{}, os.ErrNotExist
	}
	if m, ok := h.mountAt(id); ok && !pseudoFS[m.fstype] {
		return diskTarget{mount: &m}, nil
	}
	real, err := filepath.EvalSymlinks(id)
	if err != nil || !h.volumeAllowed(real) {
		return diskTarget{}, os.ErrNotExist
	}
	fi, err := os.Stat(real)
	if err != nil {
		return diskTarget{}, err
	}
	isDev := fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0
	if !isDev && !fi.Mode().IsRegular() {
		return diskTarget{}, os.ErrNotExist
	}
	t := diskTarget{volPath: real}
	t.mounted, t.mountFS = h.volumeMounted(real, fi)
	v, err := probeFile(real)
	if err != nil {
		return diskTarget{}, err
	}
	t.vol = v
	return t, nil
}

// volumeAllowed reports whether a resolved path lies under one of
// Config.VolumePaths.
func (h *host) volumeAllowed(real string) bool {
	dirs := h.cfg.VolumePaths
	if dirs == nil {
		dirs = []string{"/dev"}
	}
	for _, d := range dirs {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		if real == d || strings.HasPrefix(real, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// volumeMounted reports whether a block device is the device of a mount,
// or an image file is the backing file of a loop device.
func (h *host) volumeMounted(real string, fi os.FileInfo) (bool, string) {
	ms, err := h.mounts()
	if err != nil {
		return false, ""
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeDevice != 0 && st != nil {
		mm := strconv.FormatUint(uint64(major(st.Rdev)), 10) + ":" + strconv.FormatUint(uint64(minor(st.Rdev)), 10)
		for _, m := range ms {
			if m.majMin == mm {
				return true, m.fstype
			}
		}
		return false, ""
	}
	loops, _ := filepath.Glob(h.cfg.path("/sys/block/loop*/loop/backing_file"))
	for _, f := range loops {
		if readLine(f) != real {
			continue
		}
		dev := filepath.Base(filepath.Dir(filepath.Dir(f)))
		mm := readLine(filepath.Join(filepath.Dir(filepath.Dir(f)), "dev"))
		for _, m := range ms {
			if m.majMin == mm || m.source == "/dev/"+dev {
				return true, m.fstype
			}
		}
	}
	return false, ""
}

func major(dev uint64) uint32 { return uint32((dev>>8)&0xfff) | uint32((dev>>32)&^0xfff) }
func minor(dev uint64) uint32 { return uint32(dev&0xff) | uint32((dev>>12)&^0xff) }

// ExecMethod runs Chkdsk.
func (p *LogicalDiskProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	if !strings.EqualFold(call.Method.Name, "Chkdsk") {
		return nil, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: call.Method.Name,
			Description: "the host logical disk provider does not implement " + call.Method.Name}
	}
	id, _ := keyString(call.Path, "DeviceID")
	t, err := p.h.resolveDisk(id)
	if err != nil {
		return nil, notFound(call.Path)
	}
	in := func(name string) bool { return call.In.Value(name).Bool() }
	fix, bad := in("FixErrors"), in("RecoverBadSectors")
	if fix || bad {
		if err := requireAdmin(ctx, "Chkdsk with FixErrors or RecoverBadSectors"); err != nil {
			return nil, err
		}
	}
	rv, err := p.h.chkdsk(ctx, t, fix, bad, in("OKToRunAtBootUp"))
	if err != nil {
		return nil, err
	}
	return outParams(call.Out, rv), nil
}

// chkdsk checks what t names. A mounted file system (by mount point, or a
// volume mounted elsewhere) is "locked": 4 when it is not a disk file
// system, else 1, after creating Config.BootCheckFile when okAtBoot and
// Config.ScheduleBootCheck allow. An unmounted ext2/3/4 volume goes through
// e2fsck -f with -n (FixErrors false) or -y (FixErrors true, plus -c for
// RecoverBadSectors); see e2fsckReturn for the mapping of its status.
func (h *host) chkdsk(ctx context.Context, t diskTarget, fix, badSectors, okAtBoot bool) (uint32, error) {
	fstype := t.mountFS
	if t.mount != nil {
		fstype = t.mount.fstype
	}
	if t.mount != nil || t.mounted {
		if networkFS[fstype] || fstype == "tmpfs" || fstype == "ramfs" || fstype == "iso9660" || fstype == "udf" {
			return ChkdskUnsupportedFS, nil
		}
		if okAtBoot && h.cfg.ScheduleBootCheck {
			if err := requireAdmin(ctx, "Chkdsk scheduling a check at boot"); err != nil {
				return 0, err
			}
			f := h.cfg.BootCheckFile
			if f == "" {
				f = "/forcefsck"
			}
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				return ChkdskUnknownError, nil
			}
		}
		return ChkdskLockedScheduled, nil
	}
	if !t.vol.ext {
		if t.vol.fstype == "" {
			return ChkdskUnknownFileSystem, nil
		}
		return ChkdskUnsupportedFS, nil
	}
	e2fsck := h.e2fsck()
	if e2fsck == "" {
		return ChkdskUnsupportedFS, nil
	}
	args := []string{"-f", "-n"}
	if fix {
		args = []string{"-f", "-y"}
		if badSectors {
			args = append(args, "-c")
		}
	}
	cmd := exec.CommandContext(ctx, e2fsck, append(args, t.volPath)...)
	// A check without repairs reads the volume as the caller's account.
	a, ok := actingAs(ctx)
	if !ok {
		return 0, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: t.volPath,
			Description: "Chkdsk reads the volume as the caller's Linux account; user " + a.name + " maps to none"}
	}
	if !a.privileged() {
		if !mayRead(t.volPath, a.account) {
			return 0, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: t.volPath,
				Description: "account " + a.account.Name + " may not read the volume"}
		}
		if a.account.UID != uint32(os.Geteuid()) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.account.UID, Gid: a.account.GID, Groups: a.account.Groups}}
		}
	}
	err := cmd.Run()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		return ChkdskUnknownError, nil
	}
	return e2fsckReturn(code), nil
}

// mayRead reports whether the mode bits of path let a read it (the kernel
// decides again when the checker opens it as a).
func mayRead(path string, a *identity.Account) bool {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return false
	}
	switch {
	case st.Uid == a.UID:
		return st.Mode&0o400 != 0
	case slices.Contains(a.Groups, st.Gid) || st.Gid == a.GID:
		return st.Mode&0o040 != 0
	}
	return st.Mode&0o004 != 0
}

// e2fsckReturn maps e2fsck's exit status (a bit set) onto Chkdsk's codes:
// 0 (clean), 1 (errors corrected) and 2 (corrected, reboot advised) are
// success, 0; 4 (errors left uncorrected: what -n reports for a damaged
// volume) is 3, as chkdsk.exe exits 3 for errors found but not fixed;
// 8 (operational error), 16 (usage), 32 (cancelled), 128 (library error)
// and a death by signal (-1) are 3 too.
func e2fsckReturn(code int) uint32 {
	if code < 0 || code&^3 != 0 {
		return ChkdskUnknownError
	}
	return ChkdskSuccess
}

// e2fsck returns the checker's path, or "" when there is none.
func (h *host) e2fsck() string {
	if h.cfg.E2fsck != "" {
		if fi, err := os.Stat(h.cfg.E2fsck); err != nil || !fi.Mode().IsRegular() {
			return ""
		}
		return h.cfg.E2fsck
	}
	return findTool("e2fsck")
}

// findTool looks a system tool up in $PATH, then in /usr/sbin and /sbin,
// which a daemon's $PATH may lack.
func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
