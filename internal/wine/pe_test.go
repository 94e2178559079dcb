package wine

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"testing"
)

// exportsOf decodes the export table of a PE image: the DLL's name and, per
// exported name, its forwarder string ("" when the RVA points at code).
func exportsOf(t *testing.T, img []byte) (string, map[string]string) {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("debug/pe cannot read the image: %v", err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 {
		t.Fatalf("machine %#x characteristics %#x: not an x86-64 DLL", f.Machine, f.Characteristics)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("optional header %T, want PE32+", f.OptionalHeader)
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress+dir.Size <= s.VirtualAddress+s.VirtualSize {
			sec = s
		}
	}
	if sec == nil {
		t.Fatalf("no section holds the export directory %+v", dir)
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	at := func(rva uint32) []byte { return data[rva-sec.VirtualAddress:] }
	str := func(rva uint32) string { b := at(rva); return string(b[:bytes.IndexByte(b, 0)]) }
	le := binary.LittleEndian
	ed := at(dir.VirtualAddress)
	nfun, nnames := le.Uint32(ed[20:]), le.Uint32(ed[24:])
	funcs, names, ords := le.Uint32(ed[28:]), le.Uint32(ed[32:]), le.Uint32(ed[36:])
	out := map[string]string{}
	prev := ""
	for i := range nnames {
		name := str(le.Uint32(at(names + 4*i)))
		if name <= prev {
			t.Fatalf("export names not sorted: %q after %q (the loader binary-searches them)", name, prev)
		}
		prev = name
		ord := uint32(le.Uint16(at(ords + 2*i)))
		if ord >= nfun {
			t.Fatalf("ordinal %d of %s past %d functions", ord, name, nfun)
		}
		rva := le.Uint32(at(funcs + 4*ord))
		if rva >= dir.VirtualAddress && rva < dir.VirtualAddress+dir.Size {
			out[name] = str(rva)
		} else {
			out[name] = ""
		}
	}
	return str(le.Uint32(ed[12:])), out
}

func TestForwarder(t *testing.T) {
	img, err := Forwarder("bcryptprimitives.dll", ProcessPrng)
	if err != nil {
		t.Fatal(err)
	}
	name, exps := exportsOf(t, img)
	if name != "bcryptprimitives.dll" || len(exps) != 1 || exps["ProcessPrng"] != "advapi32.SystemFunction036" {
		t.Fatalf("exports of %s: %v, want ProcessPrng → advapi32.SystemFunction036", name, exps)
	}
	if !isOurs(img) {
		t.Fatal("isOurs does not recognise a forwarder Forwarder wrote")
	}

	many := []Forward{{"Zeta", "k.Z"}, {"Alpha", "k.A"}, {"Mid", "other.M"}}
	img, err = Forwarder("x.dll", many)
	if err != nil {
		t.Fatal(err)
	}
	if _, exps := exportsOf(t, img); len(exps) != 3 || exps["Alpha"] != "k.A" || exps["Mid"] != "other.M" || exps["Zeta"] != "k.Z" {
		t.Fatalf("exports %v", exps)
	}
}

func TestForwarderRejects(t *testing.T) {
	for _, exps := range [][]Forward{nil, {{"", "a.b"}}, {{"F", "nodot"}}, {{"F\x00", "a.b"}}} {
		if _, err := Forwarder("x.dll", exps); err == nil {
			t.Errorf("Forwarder(%q) succeeded", exps)
		}
	}
}
