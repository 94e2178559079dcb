//go:build linux

package host

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{"sleep 60", []string{"sleep", "60"}, false},
		{"  a\t b \n", []string{"a", "b"}, false},
		{`a "b c" d`, []string{"a", "b c", "d"}, false},
		{`"" x`, []string{"", "x"}, false},
		{`a"b c"d`, []string{"ab cd"}, false},
		{`"say \"hi\"" "c:\\dir" "a\b"`, []string{`say "hi"`, `c:\dir`, `a\b`}, false},
		{`back\slash`, []string{`back\slash`}, false},
		{`open "quote`, nil, true},
		{"", nil, false},
	}
	for _, tc := range cases {
		got, err := SplitCommandLine(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("SplitCommandLine(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := SplitCommandLine(`ab "cd`); err == nil || !strings.Contains(err.Error(), "byte 4") {
		t.Errorf("error does not name the quote's position: %v", err)
	}
}

func TestJoinCommandLine(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{[]string{"sleep", "60"}, "sleep 60"},
		{[]string{"a", "two words", ""}, `a "two words" ""`},
		{[]string{`q"uote`, `b\s`}, `"q\"uote" "b\\s"`},
	}
	for _, tc := range cases {
		if got := JoinCommandLine(tc.in); got != tc.want {
			t.Errorf("JoinCommandLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzCommandLine: split → join → split gives the same arguments, and
// arguments → join → split gives them back.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"sleep 60", `a "b c" d`, `"q\"" x\y`, `""`, "\x00a\x00\x00b", `"unclosed`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if args, err := SplitCommandLine(s); err == nil {
			again, err := SplitCommandLine(JoinCommandLine(args))
			if err != nil || !slices.Equal(args, again) {
				t.Fatalf("%q: %q → %q → %q, %v", s, args, JoinCommandLine(args), again, err)
			}
		}
		args := strings.Split(s, "\x00")
		back, err := SplitCommandLine(JoinCommandLine(args))
		if err != nil || !slices.Equal(args, back) {
			t.Fatalf("%q → %q → %q, %v", args, JoinCommandLine(args), back, err)
		}
	})
}

func TestParseStat(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		comm string
		ppid int
	}{
		{"5 (a b) S 1 5 5 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 9 100 2", true, "a b", 1},
		{"6 ((x)) R 2 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 9 100 2 extra fields 1 2 3", true, "(x)", 2},
		{"7 (short) S 1 2 3", false, "", 0},
		{"x (bad pid) S 1 5 5 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 9 100 2", false, "", 0},
		{"8 no parens", false, "", 0},
		{"9 (a) SS 1 5 5 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 9 100 2", false, "", 0},
		{"", false, "", 0},
	}
	for _, tc := range cases {
		st, ok := parseStat([]byte(tc.in))
		if ok != tc.ok || ok && (st.comm != tc.comm || st.ppid != tc.ppid) {
			t.Errorf("parseStat(%q) = %+v, %v", tc.in, st, ok)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 5000 100 20 3 150 250 0 0 20 0 1 0 12 1717 3000"))
	f.Add([]byte("42 (we) ird (name) T 1 42 7 0 -1 0 10 0 2 0 1000 500 0 0 25 5 4 0 500 4096 10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, ok := parseStat(b)
		if ok && !bytes.Contains(b, []byte("("+st.comm+")")) {
			t.Fatalf("comm %q is not in %q", st.comm, b)
		}
		_ = st.wmiPriority()
	})
}

func TestParseMountinfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"37 35 0:1 / /x rw - tmpfs tmpfs\n" +
		"bad\n" +
		"38 35 0:2 / /y rw shared:2 unbindable - \n"
	ms := parseMountinfo([]byte(in))
	if len(ms) != 2 {
		t.Fatalf("%d mounts: %+v", len(ms), ms)
	}
	m := ms[0]
	if m.point != "/mnt/with space" || m.root != "/mnt1" || m.fstype != "ext3" || m.source != "/dev/root" || m.majMin != "98:0" || m.opts != "rw,noatime" {
		t.Errorf("%+v", m)
	}
	if ms[1].fstype != "tmpfs" || ms[1].superOpts != "" {
		t.Errorf("%+v", ms[1])
	}
	for in, want := range map[string]string{`a\040b`: "a b", `\134`: `\`, `x\04`: `x\04`, `\999`: `\999`, `tab\011`: "tab\t"} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
	if got := unescapeUdev(`my\x20disk\x2`); got != `my disk\x2` {
		t.Errorf("unescapeUdev = %q", got)
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte("36 35 98:0 /mnt1 /mnt/a\\040b rw - ext3 /dev/root rw\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range parseMountinfo(b) {
			if m.fstype == "" || m.point == "" {
				t.Fatalf("empty field in %+v", m)
			}
		}
	})
}

// FuzzProbeVolume: any bytes at the start of a volume give a volume, never
// a panic; an ext superblock's sizes stay consistent.
func FuzzProbeVolume(f *testing.F) {
	sb := make([]byte, 2048)
	sb[1024+0x38], sb[1024+0x39] = 0x53, 0xEF
	f.Add(sb)
	f.Add([]byte("XFSB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := probeVolume(bytes.NewReader(b))
		if v.ext && v.free > v.size {
			t.Fatalf("free %d > size %d", v.free, v.size)
		}
	})
}

func TestWMIPriority(t *testing.T) {
	cases := []struct {
		st   procStat
		want uint32
	}{
		{procStat{nice: 0}, 20},
		{procStat{nice: 19}, 1},
		{procStat{nice: -20}, 40},
		{procStat{policy: 1, rtPriority: 99}, 139},
		{procStat{policy: 2, rtPriority: 1}, 41},
	}
	for _, tc := range cases {
		if got := tc.st.wmiPriority(); got != tc.want {
			t.Errorf("%+v → %d, want %d", tc.st, got, tc.want)
		}
	}
}

func TestE2fsckReturn(t *testing.T) {
	for code, want := range map[int]uint32{0: 0, 1: 0, 2: 0, 3: 0, 4: 3, 5: 3, 8: 3, 12: 3, 16: 3, 32: 3, 128: 3, -1: 3} {
		if got := e2fsckReturn(code); got != want {
			t.Errorf("e2fsck exit %d → %d, want %d", code, got, want)
		}
	}
}

func TestReadIntoLimit(t *testing.T) {
	b, err := readInto(make([]byte, 0, 4096), "testdata/root/proc/cpuinfo", 10)
	if err != nil || len(b) != 10 {
		t.Fatalf("read %d bytes, %v; want the 10 of the limit", len(b), err)
	}
	b, err = readInto(nil, "testdata/root/proc/cpuinfo", 1<<20)
	if err != nil || !bytes.HasPrefix(b, []byte("processor")) || len(b) < 600 {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
}

func TestProbeExtSizes(t *testing.T) {
	// A 64bit superblock: block counts above 2^32 need the high words.
	sb := make([]byte, 4096)
	s := sb[1024:]
	s[0x38], s[0x39] = 0x53, 0xEF
	s[0x3A] = 1    // cleanly unmounted
	s[0x18] = 2    // 4096-byte blocks
	s[0x60] = 0x80 // 64bit
	s[0x04] = 0x10 // blocks lo = 16
	s[0x150] = 1   // blocks hi = 1
	s[0x0C] = 8    // free lo = 8
	s[0x08] = 2    // reserved lo = 2
	copy(s[0x78:], "label\x00")
	v := probeVolume(bytes.NewReader(sb))
	if v.fstype != "ext4" || v.blocks != 1<<32+16 || v.size != (1<<32+16)*4096 || v.free != 6*4096 || v.label != "label" || v.dirty {
		t.Fatalf("%+v", v)
	}
	s[0x3A] = 3 // errors
	if v := probeVolume(bytes.NewReader(sb)); !v.dirty {
		t.Fatal("error state not dirty")
	}
}
