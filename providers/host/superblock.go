//go:build linux

package host

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"strings"
)

// volume is what gowbem reads from the start of an unmounted volume.
type volume struct {
	fstype     string // "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat"; "" when unknown
	ext        bool
	size, free uint64 // bytes; 0 when unknown
	blockSize  uint64
	blocks     uint64
	label      string
	uuid       string
	dirty      bool // the file system records errors or was not cleanly unmounted
	known      bool // size, free and dirty are known
}

// superblockRead is how much of a volume probeVolume reads: the ext
// superblock ends at 2048; btrfs's sits at 64 KiB.
const superblockRead = 0x10000 + 0x1000

// probeVolume recognizes the file system at the start of f.
func probeVolume(f io.ReaderAt) volume {
	b := make([]byte, superblockRead)
	n, _ := f.ReadAt(b, 0)
	b = b[:n]
	var v volume
	if len(b) >= 2048 {
		sb := b[1024:2048]
		le := binary.LittleEndian
		if le.Uint16(sb[0x38:]) == 0xEF53 {
			v.ext = true
			compat, incompat := le.Uint32(sb[0x5C:]), le.Uint32(sb[0x60:])
			switch {
			case incompat&(0x40|0x80|0x200) != 0: // extents, 64bit, flex_bg
				v.fstype = "ext4"
			case compat&0x4 != 0: // has_journal
				v.fstype = "ext3"
			default:
				v.fstype = "ext2"
			}
			v.blockSize = 1024 << min(le.Uint32(sb[0x18:]), 16)
			blocks := uint64(le.Uint32(sb[0x04:]))
			free := uint64(le.Uint32(sb[0x0C:]))
			reserved := uint64(le.Uint32(sb[0x08:]))
			if incompat&0x80 != 0 {
				blocks |= uint64(le.Uint32(sb[0x150:])) << 32
				reserved |= uint64(le.Uint32(sb[0x154:])) << 32
				free |= uint64(le.Uint32(sb[0x158:])) << 32
			}
			v.blocks = blocks
			v.size = blocks * v.blockSize
			if free > reserved {
				v.free = (free - reserved) * v.blockSize
			}
			v.uuid = uuidString(sb[0x68:0x78])
			v.label = cString(sb[0x78:0x88])
			v.dirty = le.Uint16(sb[0x3A:])&0x3 != 0x1 // not "valid" or "errors" set
			v.known = true
			return v
		}
	}
	switch {
	case len(b) >= 4 && string(b[:4]) == "XFSB":
		v.fstype = "xfs"
	case len(b) >= 0x10048 && string(b[0x10040:0x10048]) == "_BHRfS_M":
		v.fstype = "btrfs"
	case len(b) >= 0x5A && (string(b[0x36:0x39]) == "FAT" || string(b[0x52:0x55]) == "FAT"):
		v.fstype = "vfat"
	}
	return v
}

func probeFile(path string) (volume, error) {
	f, err := os.Open(path)
	if err != nil {
		return volume{}, err
	}
	defer f.Close()
	return probeVolume(f), nil
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func uuidString(b []byte) string {
	zero := true
	for _, c := range b {
		if c != 0 {
			zero = false
		}
	}
	if zero || len(b) != 16 {
		return ""
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
