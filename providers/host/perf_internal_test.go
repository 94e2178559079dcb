//go:build linux

package host

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
)

func TestParseProcStat(t *testing.T) {
	b, err := os.ReadFile("testdata/root/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := parseProcStat(b)
	if len(s.cpus) != 5 || s.cpus[4].name != "_Total" || s.cpus[0].name != "0" || s.cpus[4].user != 200 || s.cpus[4].idle != 700 {
		t.Fatalf("%+v", s)
	}
	s = parseProcStat([]byte("cpu 1 2\ncpux 1 2 3\ncpu7 a b c\nintr 99 1 2\nctxt 5\n"))
	if len(s.cpus) != 2 || s.cpus[0].name != "7" || s.cpus[0].user != 0 || s.cpus[1].nice != 2 || s.intr != 99 || s.ctxt != 5 {
		t.Fatalf("%+v", s)
	}
	kv := parseKV([]byte("MemTotal:  10 kB\npgfault 123\nbad\nHuge: x\nBig: 18446744073709551615 kB\n"))
	if kv["MemTotal"] != 10240 || kv["pgfault"] != 123 || len(kv) != 2 {
		t.Fatalf("%v", kv)
	}
}

func TestFormatProcessor(t *testing.T) {
	class, err := cim.Derive(nil, &cim.Class{Name: "P", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString}, {Name: "PercentProcessorTime", Type: cim.TypeUint64},
		{Name: "PercentIdleTime", Type: cim.TypeUint64}, {Name: "PercentUserTime", Type: cim.TypeUint64},
		{Name: "PercentPrivilegedTime", Type: cim.TypeUint64},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := cpuSample{name: "0", user: 100, system: 50, idle: 350}
	b := cpuSample{name: "0", user: 130, system: 60, idle: 410, iowait: 0}
	inst := formatProcessor(class, a, b, cim.Null)
	// 100 ticks passed: 30 user, 10 system, 60 idle.
	for name, want := range map[string]uint64{"PercentProcessorTime": 40, "PercentIdleTime": 60, "PercentUserTime": 30, "PercentPrivilegedTime": 10} {
		if got := inst.Value(name).Uint(); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	// A counter that went back (a processor replugged) counts no time.
	back := formatProcessor(class, b, a, cim.Null)
	if !back.Value("PercentProcessorTime").IsNull() {
		t.Errorf("backwards: %v", back.Value("PercentProcessorTime"))
	}
	if got := fileTime(fixedTime()); got != 116444736000000000+10*1e7 {
		t.Errorf("fileTime = %d", got)
	}
}

// FuzzParseProcStat: any text gives at most MaxCPUs+1 processors, _Total
// last when present, and counters that parse.
func FuzzParseProcStat(f *testing.F) {
	for _, p := range []string{"testdata/root/proc/stat", "testdata/root/proc/meminfo"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := parseProcStat(b)
		if len(s.cpus) > MaxCPUs+1 {
			t.Fatalf("%d processors", len(s.cpus))
		}
		for i, c := range s.cpus {
			if c.name == "_Total" && i != len(s.cpus)-1 {
				t.Fatalf("_Total at %d of %d", i, len(s.cpus))
			}
		}
		for k := range parseKV(b) {
			if k == "" {
				t.Fatal("empty name")
			}
		}
	})
}

func fixedTime() time.Time { return time.Unix(10, 0) }

// The limits: at most MaxSMBIOSStructures structures and MaxCPUs
// processors are kept, the rest ignored.
func TestHostParseLimits(t *testing.T) {
	var tab []byte
	for range MaxSMBIOSStructures + 10 {
		tab = append(tab, 0x7E, 4, 0, 0, 0, 0) // type 126 (inactive), no strings
	}
	if n := len(parseSMBIOS(tab)); n != MaxSMBIOSStructures {
		t.Errorf("%d structures, want %d", n, MaxSMBIOSStructures)
	}
	if n := len(parseSMBIOS(tab[:6*(MaxSMBIOSStructures-1)])); n != MaxSMBIOSStructures-1 {
		t.Errorf("%d structures below the limit", n)
	}
	var stat []byte
	for i := range MaxCPUs + 5 {
		stat = append(stat, "cpu"+strconv.Itoa(i)+" 1 2 3 4\n"...)
	}
	stat = append(stat, "cpu 9 9 9 9\n"...)
	s := parseProcStat(stat)
	if len(s.cpus) != MaxCPUs+1 || s.cpus[MaxCPUs].name != "_Total" {
		t.Errorf("%d processors", len(s.cpus))
	}
}
