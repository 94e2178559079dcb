//go:build linux

package host

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxMountinfo is the most of /proc/self/mountinfo read: far above the
// size of a host with thousands of mounts.
const MaxMountinfo = 16 << 20

// mount is one line of /proc/self/mountinfo.
type mount struct {
	majMin    string // st_dev of the file system, "major:minor"
	root      string // the directory of the file system mounted here
	point     string // the mount point
	opts      string // per-mount options (ro, rw, …)
	fstype    string
	source    string
	superOpts string
}

// parseMountinfo parses mountinfo(5) lines; malformed lines are skipped.
func parseMountinfo(b []byte) []mount {
	var out []mount
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 6 || sep < 0 || sep+2 >= len(f) {
			continue
		}
		m := mount{majMin: f[2], root: unescapeMount(f[3]), point: unescapeMount(f[4]), opts: f[5],
			fstype: f[sep+1], source: unescapeMount(f[sep+2])}
		if sep+3 < len(f) {
			m.superOpts = f[sep+3]
		}
		out = append(out, m)
	}
	return out
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mounts returns the mounts of the host, each mount point once: the last
// (topmost) mount on a point hides those below it.
func (h *host) mounts() ([]mount, error) {
	b, err := readInto(nil, h.cfg.path("/proc/self/mountinfo"), MaxMountinfo)
	if err != nil {
		return nil, err
	}
	all := parseMountinfo(b)
	last := make(map[string]int, len(all))
	for i, m := range all {
		last[m.point] = i
	}
	out := all[:0]
	for i, m := range all {
		if last[m.point] == i {
			out = append(out, m)
		}
	}
	return out, nil
}

// mountAt returns the topmost mount at point.
func (h *host) mountAt(point string) (mount, bool) {
	ms, err := h.mounts()
	if err != nil {
		return mount{}, false
	}
	for _, m := range ms {
		if m.point == point {
			return m, true
		}
	}
	return mount{}, false
}

// pseudoFS are the file systems that hold no files of their own, only
// kernel interfaces: Win32_LogicalDisk does not list them. tmpfs and
// ramfs are listed, as RAM disks (DriveType 6); overlay and squashfs as
// local disks.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"securityfs": true, "pstore": true, "debugfs": true, "tracefs": true, "configfs": true,
	"fusectl": true, "mqueue": true, "hugetlbfs": true, "bpf": true, "binfmt_misc": true,
	"autofs": true, "rpc_pipefs": true, "nsfs": true, "efivarfs": true, "selinuxfs": true,
	"nfsd": true, "sockfs": true, "pipefs": true, "anon_inodefs": true, "rootfs": true,
}

// networkFS are the file systems whose storage is elsewhere on the
// network (DriveType 4).
var networkFS = map[string]bool{
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "ncpfs": true,
	"afs": true, "ceph": true, "glusterfs": true, "9p": true, "lustre": true, "gpfs": true,
	"fuse.sshfs": true, "fuse.glusterfs": true, "fuse.cephfs": true, "davfs": true, "fuse.davfs2": true,
}

// Drive types of Win32_LogicalDisk.
const (
	DriveRemovable = 2
	DriveLocal     = 3
	DriveNetwork   = 4
	DriveCD        = 5
	DriveRAM       = 6
)

// driveType classifies a mount.
func (h *host) driveType(m mount) uint32 {
	switch {
	case networkFS[m.fstype]:
		return DriveNetwork
	case m.fstype == "tmpfs" || m.fstype == "ramfs":
		return DriveRAM
	case m.fstype == "iso9660" || m.fstype == "udf":
		return DriveCD
	case strings.HasPrefix(m.source, "/dev/") && h.removable(m.source):
		return DriveRemovable
	}
	return DriveLocal
}

// removable reads the removable flag of a block device (or of the disk a
// partition belongs to) from sysfs.
func (h *host) removable(dev string) bool {
	if r, err := filepath.EvalSymlinks(h.cfg.path(dev)); err == nil {
		dev = r
	}
	p, err := filepath.EvalSymlinks(h.cfg.path("/sys/class/block/" + filepath.Base(dev)))
	if err != nil {
		return false
	}
	for _, f := range []string{p + "/removable", filepath.Dir(p) + "/removable"} {
		if s := readLine(f); s != "" {
			return s == "1"
		}
	}
	return false
}

// diskNames maps resolved device paths to the labels and UUIDs udev lists
// under /dev/disk/by-label and /dev/disk/by-uuid.
type diskNames struct{ label, uuid map[string]string }

func (h *host) diskNames() diskNames {
	d := diskNames{label: map[string]string{}, uuid: map[string]string{}}
	for dir, m := range map[string]map[string]string{"/dev/disk/by-label": d.label, "/dev/disk/by-uuid": d.uuid} {
		ents, err := os.ReadDir(h.cfg.path(dir))
		if err != nil {
			continue
		}
		for _, e := range ents {
			target, err := filepath.EvalSymlinks(filepath.Join(h.cfg.path(dir), e.Name()))
			if err != nil {
				continue
			}
			m[target] = unescapeUdev(e.Name())
		}
	}
	return d
}

// lookup returns the label and UUID of a mount source.
func (d diskNames) lookup(h *host, source string) (label, uuid string) {
	if !strings.HasPrefix(source, "/") {
		return "", ""
	}
	p := h.cfg.path(source)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return d.label[p], d.uuid[p]
}

// unescapeUdev undoes udev's \xNN escapes in /dev/disk names.
func unescapeUdev(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
