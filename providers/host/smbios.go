//go:build linux

package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// MaxSMBIOSTable is the most of the SMBIOS structure table read; real tables
// are a few kilobytes, SMBIOS 3 allows at most 4 GiB.
const MaxSMBIOSTable = 1 << 20

// MaxSMBIOSStructures is how many structures parseSMBIOS returns at most.
const MaxSMBIOSStructures = 4096

// smbiosStruct is one structure of the SMBIOS table: its formatted area
// (header included) and its strings.
type smbiosStruct struct {
	typ     byte
	handle  uint16
	data    []byte // the formatted area, from the type byte on
	strings []string
}

// byteAt returns the byte at offset off of the formatted area.
func (s smbiosStruct) byteAt(off int) (byte, bool) {
	if off >= len(s.data) {
		return 0, false
	}
	return s.data[off], true
}

func (s smbiosStruct) word(off int) (uint16, bool) {
	if off+2 > len(s.data) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(s.data[off:]), true
}

func (s smbiosStruct) dword(off int) (uint32, bool) {
	if off+4 > len(s.data) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(s.data[off:]), true
}

// str returns the string the byte at off refers to (1-based; 0 is none),
// trimmed; "" when absent.
func (s smbiosStruct) str(off int) string {
	n, ok := s.byteAt(off)
	if !ok || n == 0 || int(n) > len(s.strings) {
		return ""
	}
	return strings.TrimSpace(s.strings[n-1])
}

// parseSMBIOS splits an SMBIOS structure table (DMI of
// /sys/firmware/dmi/tables) into structures: a 4-byte header (type,
// length, handle), the formatted area, then strings each ended by NUL and
// the set ended by a second NUL. It stops at the end-of-table structure
// (type 127), at a malformed structure, or after MaxSMBIOSStructures.
func parseSMBIOS(b []byte) []smbiosStruct {
	var out []smbiosStruct
	for len(b) >= 4 && len(out) < MaxSMBIOSStructures {
		typ, length := b[0], int(b[1])
		if length < 4 || length > len(b) {
			break
		}
		s := smbiosStruct{typ: typ, handle: binary.LittleEndian.Uint16(b[2:]), data: b[:length]}
		rest := b[length:]
		end := bytes.Index(rest, []byte{0, 0})
		if end < 0 {
			break
		}
		if end > 0 {
			for _, str := range bytes.Split(rest[:end], []byte{0}) {
				s.strings = append(s.strings, string(str))
			}
		}
		out = append(out, s)
		b = rest[end+2:]
		if typ == 127 {
			break
		}
	}
	return out
}

// smbiosVersion reads the SMBIOS version from the entry point (smbios_entry_point):
// "_SM_" (32-bit) or "_SM3_" (64-bit).
func smbiosVersion(ep []byte) (major, minor int, ok bool) {
	switch {
	case len(ep) >= 9 && string(ep[:5]) == "_SM3_":
		return int(ep[7]), int(ep[8]), true
	case len(ep) >= 8 && string(ep[:4]) == "_SM_":
		return int(ep[6]), int(ep[7]), true
	}
	return 0, 0, false
}

// smbios is what the hardware providers read: the structures and the
// version, or ok false when the table is absent or unreadable (not root).
type smbios struct {
	structs      []smbiosStruct
	major, minor int
	versionOK    bool
	ok           bool
}

func (h *host) smbios() smbios {
	var s smbios
	b, err := readInto(nil, h.cfg.path("/sys/firmware/dmi/tables/DMI"), MaxSMBIOSTable)
	if err != nil {
		return s
	}
	s.structs, s.ok = parseSMBIOS(b), true
	if ep, err := readSmall(h.cfg.path("/sys/firmware/dmi/tables/smbios_entry_point")); err == nil {
		s.major, s.minor, s.versionOK = smbiosVersion(ep)
	}
	return s
}

// first returns the first structure of a type.
func (s smbios) first(typ byte) (smbiosStruct, bool) {
	for _, st := range s.structs {
		if st.typ == typ {
			return st, true
		}
	}
	return smbiosStruct{}, false
}

// smbiosUUID writes the UUID of a system structure (type 1, offset 8): the
// first three fields little-endian from SMBIOS 2.6 on, as dmidecode reads
// them; "" when unset (all 0x00 or all 0xFF).
func smbiosUUID(s smbiosStruct, major, minor int) string {
	if len(s.data) < 0x18 {
		return ""
	}
	u := append([]byte(nil), s.data[8:0x18]...)
	zero, ff := true, true
	for _, c := range u {
		zero = zero && c == 0
		ff = ff && c == 0xFF
	}
	if zero || ff {
		return ""
	}
	if major > 2 || major == 2 && minor >= 6 || major == 0 {
		u[0], u[1], u[2], u[3] = u[3], u[2], u[1], u[0]
		u[4], u[5] = u[5], u[4]
		u[6], u[7] = u[7], u[6]
	}
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]))
}

// biosDate parses an SMBIOS release date, "mm/dd/yyyy" (or "mm/dd/yy",
// from before 2000).
func biosDate(s string) (time.Time, bool) {
	for _, layout := range []string{"01/02/2006", "01/02/06"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// dmiID reads a field of /sys/class/dmi/id, which the kernel fills from
// SMBIOS and lets every user read (serials and the UUID aside).
func (h *host) dmiID(name string) string { return readLine(h.cfg.path("/sys/class/dmi/id/" + name)) }

// newBIOSProvider serves Win32_BIOS: one instance from the SMBIOS BIOS
// structure (type 0), else from /sys/class/dmi/id; none without either.
func newBIOSProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sm := h.smbios()
		var vendor, version, date string
		var ext smbiosStruct
		var hasExt bool
		if b, ok := sm.first(0); ok {
			vendor, version, date = b.str(4), b.str(5), b.str(8)
			ext, hasExt = b, true
		} else {
			vendor, version, date = h.dmiID("bios_vendor"), h.dmiID("bios_version"), h.dmiID("bios_date")
		}
		if vendor == "" && version == "" {
			return nil
		}
		r := newRow(class).
			set("Name", cim.String(version)).
			set("Caption", cim.String(version)).
			set("Description", cim.String(version)).
			set("SoftwareElementID", cim.String(version)).
			set("SoftwareElementState", cim.Uint16(3)). // Running
			set("TargetOperatingSystem", cim.Uint16(0)).
			set("Version", cim.String(strings.TrimSpace(vendor+" - "+version))).
			set("Manufacturer", str(vendor)).
			set("SMBIOSBIOSVersion", str(version)).
			set("SMBIOSPresent", cim.Bool(sm.ok)).
			set("PrimaryBIOS", cim.Bool(true)).
			set("Status", cim.String("OK"))
		if t, ok := biosDate(date); ok {
			r.set("ReleaseDate", cim.TimeValue(t))
		}
		if sm.versionOK {
			r.set("SMBIOSMajorVersion", cim.Uint16(uint16(sm.major))).set("SMBIOSMinorVersion", cim.Uint16(uint16(sm.minor)))
		}
		if hasExt {
			if maj, ok := ext.byteAt(0x14); ok && maj != 0xFF {
				mnr, _ := ext.byteAt(0x15)
				r.set("SystemBiosMajorVersion", cim.Uint8(maj)).set("SystemBiosMinorVersion", cim.Uint8(mnr))
			}
			if maj, ok := ext.byteAt(0x16); ok && maj != 0xFF {
				mnr, _ := ext.byteAt(0x17)
				r.set("EmbeddedControllerMajorVersion", cim.Uint8(maj)).set("EmbeddedControllerMinorVersion", cim.Uint8(mnr))
			}
		}
		if sys, ok := sm.first(1); ok {
			r.set("SerialNumber", str(sys.str(7)))
		}
		return emit(r.inst)
	}}
}

// newBaseBoardProvider serves Win32_BaseBoard: the SMBIOS baseboard
// structure (type 2), else /sys/class/dmi/id's board fields.
func newBaseBoardProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sm := h.smbios()
		var maker, product, version, serial, tag string
		if b, ok := sm.first(2); ok {
			maker, product, version, serial, tag = b.str(4), b.str(5), b.str(6), b.str(7), b.str(8)
		} else {
			maker, product, version = h.dmiID("board_vendor"), h.dmiID("board_name"), h.dmiID("board_version")
		}
		if maker == "" && product == "" {
			return nil
		}
		return emit(newRow(class).
			set("Tag", cim.String("Base Board")).
			set("Name", cim.String("Base Board")).
			set("Caption", cim.String("Base Board")).
			set("Description", cim.String("Base Board")).
			set("CreationClassName", cim.String(class.Name)).
			set("Manufacturer", str(maker)).
			set("Product", str(product)).
			set("Version", str(version)).
			set("SerialNumber", str(serial)).
			set("SKU", str(tag)).
			set("HostingBoard", cim.Bool(true)).
			set("Status", cim.String("OK")).inst)
	}}
}

// newComputerSystemProductProvider serves Win32_ComputerSystemProduct: the
// SMBIOS system structure (type 1), else /sys/class/dmi/id.
func newComputerSystemProductProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sm := h.smbios()
		var vendor, name, version, serial, uuid, sku string
		if s, ok := sm.first(1); ok {
			vendor, name, version, serial = s.str(4), s.str(5), s.str(6), s.str(7)
			uuid, sku = smbiosUUID(s, sm.major, sm.minor), s.str(0x19)
		} else {
			vendor, name, version = h.dmiID("sys_vendor"), h.dmiID("product_name"), h.dmiID("product_version")
			serial, uuid = h.dmiID("product_serial"), strings.ToUpper(h.dmiID("product_uuid"))
		}
		if vendor == "" && name == "" {
			return nil
		}
		return emit(newRow(class).
			set("IdentifyingNumber", cim.String(serial)).
			set("Name", cim.String(name)).
			set("Version", cim.String(version)).
			set("Caption", cim.String("Computer System Product")).
			set("Description", cim.String("Computer System Product")).
			set("Vendor", str(vendor)).
			set("UUID", str(uuid)).
			set("SKUNumber", str(sku)).inst)
	}}
}

// memoryFormFactor maps SMBIOS's form factor (type 17, offset 0x0E) onto
// WMI's FormFactor.
var memoryFormFactor = map[byte]uint16{
	0x01: 1, 0x02: 0, 0x03: 7, 0x04: 2, 0x06: 3, 0x07: 4, 0x08: 6, 0x09: 8, 0x0A: 9, 0x0C: 11, 0x0D: 12, 0x0E: 13,
}

// memorySize returns the size in bytes of a memory device (type 17): the
// word at 0x0C in MB (KB when bit 15 is set), or the extended size at 0x1C
// (MB) when it says 0x7FFF; 0 for an empty slot, ok false when unknown.
func memorySize(s smbiosStruct) (uint64, bool) {
	w, ok := s.word(0x0C)
	switch {
	case !ok || w == 0xFFFF:
		return 0, false
	case w == 0x7FFF:
		ext, ok := s.dword(0x1C)
		if !ok {
			return 0, false
		}
		return uint64(ext&0x7FFFFFFF) << 20, true
	case w&0x8000 != 0:
		return uint64(w&0x7FFF) << 10, true
	}
	return uint64(w) << 20, true
}

// newPhysicalMemoryProvider serves Win32_PhysicalMemory: one instance per
// populated SMBIOS memory device (type 17); none without the table.
func newPhysicalMemoryProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		sm := h.smbios()
		n := 0
		for _, s := range sm.structs {
			if s.typ != 17 {
				continue
			}
			size, ok := memorySize(s)
			if ok && size == 0 {
				continue // an empty slot
			}
			tag := "Physical Memory " + strconv.Itoa(n)
			n++
			r := newRow(class).
				set("Tag", cim.String(tag)).
				set("CreationClassName", cim.String(class.Name)).
				set("Name", cim.String("Physical Memory")).
				set("Caption", cim.String("Physical Memory")).
				set("Description", cim.String("Physical Memory")).
				set("DeviceLocator", str(s.str(0x10))).
				set("BankLabel", str(s.str(0x11))).
				set("Manufacturer", str(s.str(0x17))).
				set("SerialNumber", str(s.str(0x18))).
				set("PartNumber", str(s.str(0x1A)))
			if ok {
				r.set("Capacity", cim.Uint64(size))
			}
			if w, ok := s.word(0x08); ok && w != 0xFFFF {
				r.set("TotalWidth", cim.Uint16(w))
			}
			if w, ok := s.word(0x0A); ok && w != 0xFFFF {
				r.set("DataWidth", cim.Uint16(w))
			}
			if f, ok := s.byteAt(0x0E); ok {
				if ff, known := memoryFormFactor[f]; known {
					r.set("FormFactor", cim.Uint16(ff))
				}
			}
			if t, ok := s.byteAt(0x12); ok {
				r.set("SMBIOSMemoryType", cim.Uint32(uint32(t)))
			}
			if sp, ok := s.word(0x15); ok && sp != 0 && sp != 0xFFFF {
				r.set("Speed", cim.Uint32(uint32(sp)))
			}
			if sp, ok := s.word(0x20); ok && sp != 0 && sp != 0xFFFF {
				r.set("ConfiguredClockSpeed", cim.Uint32(uint32(sp)))
			}
			if err := emit(r.inst); err != nil {
				return err
			}
		}
		return nil
	}}
}
