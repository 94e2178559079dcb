//go:build linux

package providerhost

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
)

func TestSplitCommandLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"/usr/bin/p", []string{"/usr/bin/p"}, false},
		{"  /usr/bin/p   -v  x ", []string{"/usr/bin/p", "-v", "x"}, false},
		{`/opt/my\ dir/p "a b" ""`, []string{"/opt/my dir/p", "a b", ""}, false},
		{`/p "unterminated`, nil, true},
		{`/p \`, nil, true},
		{"/p\nrm", nil, true},
		{"", nil, false},
	} {
		got, err := splitCommandLine(tc.in)
		if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommandLine(%q) = %q, %v", tc.in, got, err)
		}
	}
	if _, err := splitCommandLine(strings.Repeat("a ", maxCommandLineArgs+1)); err == nil {
		t.Error("too many arguments accepted")
	}
}

func FuzzSplitCommandLine(f *testing.F) {
	for _, s := range []string{"/usr/bin/p -v", `"/a b" c\ d`, `"`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := splitCommandLine(s)
		if err != nil {
			return
		}
		// Quoting each argument gives the same arguments back.
		var b strings.Builder
		for _, a := range args {
			b.WriteString(`"`)
			for _, r := range a {
				if r == '"' || r == '\\' {
					b.WriteRune('\\')
				}
				b.WriteRune(r)
			}
			b.WriteString(`" `)
		}
		again, err := splitCommandLine(b.String())
		if err != nil || !slices.Equal(again, args) {
			t.Fatalf("%q → %q → %q → %q, %v", s, args, b.String(), again, err)
		}
	})
}

// regClass is a stand-in for the repository's __Win32Provider.
func regClass(t testing.TB) *cim.Class {
	c, err := cim.Derive(nil, &cim.Class{Name: ProviderClass, Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "CLSID", Type: cim.TypeString}, {Name: "CommandLine", Type: cim.TypeString},
		{Name: "HostingModel", Type: cim.TypeString}, {Name: "User", Type: cim.TypeString},
		{Name: "OperationTimeoutInterval", Type: cim.TypeDatetime}, {Name: "UnloadTimeout", Type: cim.TypeDatetime},
		{Name: "MemoryLimit", Type: cim.TypeUint64}, {Name: "OpenFilesLimit", Type: cim.TypeUint32},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseRegistration(t *testing.T) {
	c := regClass(t)
	mk := func(props map[string]cim.Value) *cim.Instance {
		inst := c.NewInstance()
		inst.Set("Name", cim.String("P"))
		for k, v := range props {
			if err := inst.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		return inst
	}
	r, err := ParseRegistration(`root\cimv2`, mk(map[string]cim.Value{
		"CommandLine": cim.String("/usr/lib/p --flag"), "HostingModel": cim.String("NetworkServiceHost"),
		"OperationTimeoutInterval": cim.IntervalValue(5 * time.Second), "UnloadTimeout": cim.IntervalValue(time.Minute),
		"MemoryLimit": cim.Uint64(1 << 30), "OpenFilesLimit": cim.Uint32(64),
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Hosting != SharedHost || r.Timeout != 5*time.Second || r.Idle != time.Minute || r.Limits != (Limits{1 << 30, 64}) ||
		!slices.Equal(r.Command, []string{"/usr/lib/p", "--flag"}) || r.Instances {
		t.Errorf("registration %+v", r)
	}
	if r, _ := ParseRegistration("root", mk(map[string]cim.Value{"CommandLine": cim.String("/p")}), nil); r.Hosting != SelfHost || r.User != "" {
		t.Errorf("the default hosting model: %+v", r)
	}
	if r, _ := ParseRegistration("root", mk(map[string]cim.Value{"CommandLine": cim.String("/p"), "HostingModel": cim.String("LocalSystemHost")}), nil); r.User != "root" {
		t.Errorf("LocalSystemHost runs as %q", r.User)
	}
	for name, props := range map[string]map[string]cim.Value{
		"no command line":    {},
		"a CLSID":            {"CLSID": cim.String("{1234}")},
		"a relative command": {"CommandLine": cim.String("p")},
		"a bad model":        {"CommandLine": cim.String("/p"), "HostingModel": cim.String("Elsewhere")},
		"a bad account":      {"CommandLine": cim.String("/p"), "User": cim.String("a:b")},
		"a timestamp":        {"CommandLine": cim.String("/p"), "UnloadTimeout": cim.TimeValue(time.Now())},
	} {
		if _, err := ParseRegistration("root", mk(props), nil); cim.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRestartPolicy(t *testing.T) {
	p := Policy{FirstBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, MaxCrashes: 4, CrashWindow: time.Minute}
	var r restarts
	t0 := time.Unix(1000, 0)
	if w, loop := r.next(p, t0); w != 0 || loop != nil {
		t.Fatalf("no crash yet: %v %v", w, loop)
	}
	wants := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	now := t0
	for i, want := range wants {
		r.crashed(p, now)
		if w, loop := r.next(p, now); w != want || loop != nil {
			t.Fatalf("after crash %d: wait %v (%v), want %v", i+1, w, loop, want)
		}
		now = now.Add(time.Second)
	}
	r.crashed(p, now)
	if _, loop := r.next(p, now); loop == nil || !strings.Contains(loop.Error(), "crash loop") {
		t.Fatalf("4 crashes within a minute: %v", loop)
	}
	// The window passes: the oldest crashes are forgotten.
	if w, loop := r.next(p, now.Add(time.Minute)); loop != nil || w != 0 {
		t.Errorf("after the window: %v %v", w, loop)
	}
	r.healthy()
	if w, loop := r.next(p, now); w != 0 || loop != nil {
		t.Errorf("after a served call: %v %v", w, loop)
	}
}

// EventQueryList: an intrinsic query's TargetInstance ISA class is a class
// whose instance events the provider raises (once, whatever the case, for
// any of the four classes); extrinsic queries are checked only; a query that
// does not parse, one that is no SELECT, an intrinsic one without a class,
// and more than MaxEventQueries are refused, naming the property.
func TestParseEventQueries(t *testing.T) {
	prov := regClass(t).NewInstance()
	prov.Set("Name", cim.String("P"))
	prov.Set("CommandLine", cim.String("/p"))
	evReg, err := cim.Derive(nil, &cim.Class{Name: EventRegClass, Properties: []cim.Property{{Name: "EventQueryList", Type: cim.TypeString.ArrayOf()}}})
	if err != nil {
		t.Fatal(err)
	}
	parse := func(queries ...string) (*Registration, error) {
		inst := evReg.NewInstance()
		vs := make([]cim.Value, len(queries))
		for i, q := range queries {
			vs[i] = cim.String(q)
		}
		inst.Set("EventQueryList", cim.Array(cim.TypeString, vs...))
		return ParseRegistration("root", prov, []*cim.Instance{inst})
	}
	r, err := parse("SELECT * FROM T_Event",
		"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_A'",
		"select * from __instancedeletionevent where TargetInstance isa 't_a' and TargetInstance.Id = 1",
		"SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'T_B'")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Events || !slices.Equal(r.InstanceEvents, []string{"T_A", "T_B"}) {
		t.Errorf("Events %v, InstanceEvents %q; want true, [T_A T_B]", r.Events, r.InstanceEvents)
	}
	many := make([]string, MaxEventQueries)
	for i := range many {
		many[i] = "SELECT * FROM T_Event"
	}
	if _, err := parse(many...); err != nil {
		t.Errorf("%d queries: %v", MaxEventQueries, err)
	}
	for name, queries := range map[string][]string{
		"unparsable":        {"SELECT FROM"},
		"not a select":      {"ASSOCIATORS OF {T_A.Id=1}"},
		"no class":          {"SELECT * FROM __InstanceCreationEvent"},
		"too many":          append(many, "SELECT * FROM T_Event"),
		"a class elsewhere": {"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_A' OR TargetInstance ISA 'T_B'"},
	} {
		_, err := parse(queries...)
		if cim.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER || !strings.Contains(cim.AsError(err).Description, "EventQueryList") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
