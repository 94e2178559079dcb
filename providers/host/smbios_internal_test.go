//go:build linux

package host

import (
	"os"
	"testing"
)

func TestParseSMBIOS(t *testing.T) {
	b, err := os.ReadFile("testdata/root/sys/firmware/dmi/tables/DMI")
	if err != nil {
		t.Fatal(err)
	}
	ss := parseSMBIOS(b)
	var types []byte
	for _, s := range ss {
		types = append(types, s.typ)
	}
	if string(types) != "\x00\x01\x02\x11\x11\x11\x7f" {
		t.Fatalf("types %v", types)
	}
	if ss[0].str(4) != "Fixture BIOS Inc." || ss[0].str(9) != "" || ss[4].str(0x17) != "" {
		t.Errorf("strings: %q %q", ss[0].str(4), ss[4].str(0x17))
	}
	// A structure without its double NUL ends the table; so does a
	// length below the header's.
	for _, bad := range [][]byte{{0, 4, 0, 0, 'a'}, {0, 2, 0, 0, 0, 0}, {0, 200, 0, 0}, nil} {
		if got := parseSMBIOS(bad); len(got) != 0 {
			t.Errorf("parseSMBIOS(%v) = %d structures", bad, len(got))
		}
	}
	for _, c := range []struct {
		ep           string
		major, minor int
		ok           bool
	}{
		{"_SM3_\x00\x18\x03\x02", 3, 2, true},
		{"_SM_\x00\x1f\x02\x08", 2, 8, true},
		{"_DMI_", 0, 0, false},
		{"", 0, 0, false},
	} {
		major, minor, ok := smbiosVersion([]byte(c.ep))
		if major != c.major || minor != c.minor || ok != c.ok {
			t.Errorf("smbiosVersion(%q) = %d.%d %v", c.ep, major, minor, ok)
		}
	}
	// Before SMBIOS 2.6 the UUID is stored as written.
	sys := ss[1]
	if got := smbiosUUID(sys, 2, 5); got != "33221100-5544-7766-8899-AABBCCDDEEFF" {
		t.Errorf("2.5 UUID %s", got)
	}
	for _, c := range []struct {
		w    uint16
		ext  uint32
		size uint64
		ok   bool
	}{
		{1024, 0, 1 << 30, true}, {0x8000 | 512, 0, 512 << 10, true}, {0, 0, 0, true},
		{0xFFFF, 0, 0, false}, {0x7FFF, 131072, 128 << 30, true},
	} {
		d := make([]byte, 0x22)
		d[0x0C], d[0x0D] = byte(c.w), byte(c.w>>8)
		d[0x1C], d[0x1D], d[0x1E], d[0x1F] = byte(c.ext), byte(c.ext>>8), byte(c.ext>>16), byte(c.ext>>24)
		size, ok := memorySize(smbiosStruct{typ: 17, data: d})
		if size != c.size || ok != c.ok {
			t.Errorf("memorySize(%#x, %d) = %d %v", c.w, c.ext, size, ok)
		}
	}
	if _, ok := memorySize(smbiosStruct{typ: 17, data: make([]byte, 0x0D)}); ok {
		t.Error("a short structure has a size")
	}
}

// FuzzParseSMBIOS: any bytes give structures whose formatted areas lie
// within the input and hold at least the header, never a panic; reading
// every field of every structure is safe.
func FuzzParseSMBIOS(f *testing.F) {
	if b, err := os.ReadFile("testdata/root/sys/firmware/dmi/tables/DMI"); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0, 4, 0, 0, 'x', 0, 0, 127, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ss := parseSMBIOS(b)
		if len(ss) > MaxSMBIOSStructures {
			t.Fatalf("%d structures", len(ss))
		}
		for _, s := range ss {
			if len(s.data) < 4 || len(s.data) > len(b) {
				t.Fatalf("formatted area of %d bytes", len(s.data))
			}
			for off := 0; off < 0x40; off++ {
				s.str(off)
				s.word(off)
				s.dword(off)
			}
			memorySize(s)
			smbiosUUID(s, 3, 0)
		}
	})
}
