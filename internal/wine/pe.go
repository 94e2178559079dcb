// Package wine runs gowbem's Windows build under Wine for tests: it writes
// the forwarder DLLs an older Wine lacks and prepares a Wine prefix
// (cmd go_windows_amd64_exec, under goexec, is what "GOOS=windows go test"
// runs test binaries through).
package wine

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// Forward is one export of a forwarder DLL: calls to Name go to Target,
// written "dll.Function" (e.g. "advapi32.SystemFunction036").
type Forward struct {
	Name, Target string
}

// PE layout constants of the one-section image Forwarder writes.
const (
	fileAlign    = 0x200
	sectionAlign = 0x1000
	headerSize   = 0x200 // DOS header, PE signature, COFF and optional headers, one section header
	sectionRVA   = 0x1000
	imageBase    = 0x6f000000 // below 4 GiB is fine for a data-only image; it is relocatable anyway
)

// Forwarder returns a 64-bit (x86-64) PE DLL called dll that has no code,
// only an export table whose every entry forwards to another DLL's function.
// Wine 8.0 lacks bcryptprimitives.dll, whose ProcessPrng every Go ≥ 1.22
// program imports; a forwarder to advapi32.SystemFunction036 (RtlGenRandom,
// the same contract: fill a buffer with random bytes, return TRUE) lets Go
// programs start there.
func Forwarder(dll string, exports []Forward) ([]byte, error) {
	if len(exports) == 0 {
		return nil, fmt.Errorf("wine: a forwarder DLL needs at least one export")
	}
	exps := append([]Forward(nil), exports...)
	sort.Slice(exps, func(i, j int) bool { return exps[i].Name < exps[j].Name }) // the loader binary-searches names
	for _, e := range exps {
		if e.Name == "" || strings.ContainsRune(e.Name, 0) || !strings.Contains(e.Target, ".") || strings.ContainsRune(e.Target, 0) {
			return nil, fmt.Errorf("wine: bad export %q → %q (want a name and \"dll.Function\")", e.Name, e.Target)
		}
	}

	// The export section: directory, function RVAs, name RVAs, ordinals,
	// then the strings (DLL name, forwarder targets, export names).
	n := len(exps)
	const dirSize = 40
	funcs := dirSize
	names := funcs + 4*n
	ords := names + 4*n
	strs := ords + 2*n
	var data []byte
	data = make([]byte, strs)
	addStr := func(s string) uint32 {
		off := len(data)
		data = append(data, s...)
		data = append(data, 0)
		return uint32(sectionRVA + off)
	}
	le := binary.LittleEndian
	nameRVA := addStr(dll) // before slicing data: addStr may move it
	le.PutUint32(data[12:], nameRVA)
	le.PutUint32(data[16:], 1)         // Base (ordinal base)
	le.PutUint32(data[20:], uint32(n)) // NumberOfFunctions
	le.PutUint32(data[24:], uint32(n)) // NumberOfNames
	le.PutUint32(data[28:], sectionRVA+uint32(funcs))
	le.PutUint32(data[32:], sectionRVA+uint32(names))
	le.PutUint32(data[36:], sectionRVA+uint32(ords))
	for i, e := range exps {
		// A function RVA inside the export directory's range is a forwarder
		// string, not code.
		target, name := addStr(e.Target), addStr(e.Name)
		le.PutUint32(data[funcs+4*i:], target)
		le.PutUint32(data[names+4*i:], name)
		le.PutUint16(data[ords+2*i:], uint16(i))
	}
	exportSize := uint32(len(data))
	raw := (len(data) + fileAlign - 1) / fileAlign * fileAlign
	virt := (len(data) + sectionAlign - 1) / sectionAlign * sectionAlign

	img := make([]byte, headerSize+raw)
	// DOS header: "MZ" and the offset of the PE header.
	copy(img, "MZ")
	le.PutUint32(img[0x3c:], 0x40)
	copy(img[0x40:], "PE\x00\x00")
	coff := img[0x44:]
	le.PutUint16(coff[0:], 0x8664) // Machine: AMD64
	le.PutUint16(coff[2:], 1)      // NumberOfSections
	le.PutUint16(coff[16:], 240)   // SizeOfOptionalHeader (PE32+)
	le.PutUint16(coff[18:], 0x2022)
	// Characteristics: EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL.
	opt := img[0x58:]
	le.PutUint16(opt[0:], 0x20b) // PE32+
	le.PutUint32(opt[8:], uint32(raw))
	le.PutUint32(opt[20:], sectionRVA) // BaseOfCode
	le.PutUint64(opt[24:], imageBase)
	le.PutUint32(opt[32:], sectionAlign)
	le.PutUint32(opt[36:], fileAlign)
	le.PutUint16(opt[40:], 6)                       // MajorOperatingSystemVersion
	le.PutUint16(opt[48:], 6)                       // MajorSubsystemVersion
	le.PutUint32(opt[56:], uint32(sectionRVA+virt)) // SizeOfImage
	le.PutUint32(opt[60:], headerSize)
	le.PutUint16(opt[68:], 3)      // Subsystem: console
	le.PutUint16(opt[70:], 0x0140) // DllCharacteristics: DYNAMIC_BASE | NX_COMPAT
	le.PutUint64(opt[72:], 0x100000)
	le.PutUint64(opt[80:], 0x1000)
	le.PutUint64(opt[88:], 0x100000)
	le.PutUint64(opt[96:], 0x1000)
	le.PutUint32(opt[108:], 16) // NumberOfRvaAndSizes
	le.PutUint32(opt[112:], sectionRVA)
	le.PutUint32(opt[116:], exportSize) // DataDirectory[EXPORT]
	sec := img[0x58+240:]
	copy(sec, ".edata")
	le.PutUint32(sec[8:], uint32(len(data))) // VirtualSize
	le.PutUint32(sec[12:], sectionRVA)
	le.PutUint32(sec[16:], uint32(raw))
	le.PutUint32(sec[20:], headerSize)
	le.PutUint32(sec[36:], 0x40000040) // INITIALIZED_DATA | MEM_READ
	copy(img[headerSize:], data)
	return img, nil
}

// ProcessPrng is the forwarder Go programs need on Wine before 8.13.
var ProcessPrng = []Forward{{Name: "ProcessPrng", Target: "advapi32.SystemFunction036"}}
