package cli

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	_ "github.com/gowbem/gowbem/wsman" // the protocol of --host
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture returns an in-memory object manager with the fixed data set: three
// GW_Item from the workload provider and static GW_Base/GW_Child/GW_Grand
// instances.
func fixture(t testing.TB, p *workload.Provider) *cimom.ObjectManager {
	t.Helper()
	om := workload.NewObjectManager(p, cimom.WithMethodProvider("GW_Doors", doors{}))
	svc := om.Services(workload.Namespace)
	ctx := context.Background()
	plan, err := mof.CompileString("door.mof", doorMOF, mof.Options{Namespace: workload.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	if err := om.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct {
		class string
		props []string
	}{
		{"GW_Base", []string{"Name=alpha", "Size=1", "Label=first"}},
		{"GW_Base", []string{"Name=beta", "Size=22"}},
		{"GW_Child", []string{"Name=gamma", "Size=333", "Extra=tab\there"}},
		{"GW_Grand", []string{"Name=delta", "Depth=2", "Extra=x"}},
	} {
		c, err := getClass(ctx, svc, in.class)
		if err != nil {
			t.Fatal(err)
		}
		inst := c.NewInstance()
		if err := assign(inst, in.props, in.class, "property"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
			t.Fatal(err)
		}
	}
	return om
}

// doorMOF is a class whose method's ReturnValue has meanings (ValueMap and
// Values), with one instance, and a class with an interval and a datetime
// with an offset and microseconds.
const doorMOF = `
[Provider("GW_Doors")]
class GW_Door
{
  [Key] string Name;
  string Note;
  datetime Opened;
  datetime Every;
  [ValueMap {"0", "1", "2..4", "5"}, Values {"Opened", "Locked", "Jammed", "Gone"}]
  uint32 Open([In] uint32 How);
  [Static, Values {"Fine", "Stuck"}] uint32 Check([In] uint32 How);
};
instance of GW_Door
{
  Name = "front";
  Note = "";
  Opened = "20240102030405.123456-300";
  Every = "00000001023000.000000:000";
};
instance of GW_Door
{
  Name = "back";
};`

// doors implements GW_Door's methods: ReturnValue is the How they are given.
type doors struct{}

func (doors) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	if err := out.Set("ReturnValue", cim.Uint32(uint32(call.In.Value("How").Uint()))); err != nil {
		return nil, err
	}
	return out, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

func localOM(om *cimom.ObjectManager) LocalFunc {
	return func(context.Context, string, bool) (ObjectManager, io.Closer, error) {
		return om, nopCloser{}, nil
	}
}

// run runs the command over om and returns what it printed and its code.
func run(t testing.TB, om *cimom.ObjectManager, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Local: localOM(om)})
	return out.String(), errb.String(), code
}

// transcript is what a golden file holds: the command, its stdout, its
// stderr and its exit code.
func transcript(args []string, stdout, stderr string, code int) string {
	var b strings.Builder
	b.WriteString("$ wbem")
	for _, a := range args {
		if strings.ContainsAny(a, " \t\"*$'") || a == "" {
			a = "'" + a + "'"
		}
		b.WriteString(" " + a)
	}
	b.WriteString("\n" + stdout)
	if stderr != "" {
		b.WriteString("--- stderr\n" + stderr)
	}
	fmt.Fprintf(&b, "--- exit %d\n", code)
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGolden runs every command in every output format over the fixed data
// set and compares the transcripts with testdata/*.golden.
func TestGolden(t *testing.T) {
	items := "SELECT Id, Name, Size, Active, Created FROM GW_Item"
	cases := []struct {
		name string
		args []string
	}{
		{"query-table", []string{"query", items}},
		{"query-list", []string{"-o", "list", "query", items}},
		{"query-json", []string{"query", items, "-o", "json"}},
		{"query-jsonl", []string{"--output", "jsonl", "query", items}},
		{"query-csv", []string{"query", "-o", "csv", items}},
		{"query-where", []string{"query", "SELECT Name, Size FROM GW_Base WHERE Size > 10"}},
		{"query-select-list", []string{"-o", "csv", "query", "SELECT Name FROM GW_Item WHERE Id = 1"}},
		{"err-property", []string{"-o", "csv", "query", "SELECT Name, Nope FROM GW_Item"}},
		{"query-empty-json", []string{"-o", "json", "query", "SELECT * FROM GW_Base WHERE Size > 1000"}},
		{"query-empty-table", []string{"query", "SELECT * FROM GW_Base WHERE Size > 1000"}},
		{"enum-table", []string{"enum", "GW_Base"}},
		{"enum-shallow", []string{"enum", "--shallow", "GW_Base"}},
		{"enum-csv", []string{"-o", "csv", "enum", "GW_Base"}},
		{"enum-jsonl", []string{"-o", "jsonl", "enum", "GW_Base"}},
		{"enum-list", []string{"-o", "list", "enum", "GW_Child"}},
		{"get-list", []string{"get", "GW_Item.Id=1"}},
		{"get-json", []string{"get", `GW_Base.Name="alpha"`, "-o", "json"}},
		{"get-class", []string{"get", "GW_Child"}},
		{"class", []string{"class", "GW_Grand"}},
		{"classes", []string{"classes", "GW_Base"}},
		{"classes-shallow-csv", []string{"classes", "--shallow", "-o", "csv", "GW_Base"}},
		{"call-static", []string{"call", "GW_Item", "Echo", "Text=hello world"}},
		{"call-instance-json", []string{"-o", "json", "call", "GW_Item.Id=2", "Bump", "By=5"}},
		{"put", []string{"put", "GW_Base", "Name=epsilon", "Size=5"}},
		{"put-create-exists", []string{"put", "--create", "GW_Base", "Name=alpha"}},
		{"delete", []string{"delete", `GW_Base.Name="beta"`}},
		{"delete-class-path", []string{"delete", "GW_Base"}},
		{"delete-missing", []string{"delete", `GW_Base.Name="nobody"`}},
		{"mofcomp", []string{"mofcomp", filepath.Join("testdata", "sample.mof")}},
		{"mofcomp-check", []string{"mofcomp", "--check", filepath.Join("testdata", "sample.mof")}},
		{"mofcomp-bad", []string{"mofcomp", filepath.Join("testdata", "bad.mof")}},
		{"err-invalid-class", []string{"query", "SELECT * FROM NoSuchClass"}},
		{"err-invalid-query", []string{"query", "SELECT FROM"}},
		{"err-namespace", []string{"-n", "root/nowhere", "enum", "GW_Base"}},
		{"err-method", []string{"call", "GW_Item", "Nope"}},
		{"err-param", []string{"call", "GW_Item", "Echo", "Txt=x"}},
		{"err-type", []string{"put", "GW_Base", "Name=z", "Size=big"}},
		{"err-not-name-value", []string{"put", "GW_Base", "Name"}},
		{"err-format", []string{"-o", "yaml", "enum", "GW_Base"}},
		{"err-command", []string{"frobnicate"}},
		{"err-args", []string{"get"}},
		{"err-flag", []string{"enum", "--bogus", "GW_Base"}},

		// System properties, NULL and "", datetimes per format, empty results.
		{"query-path-table", []string{"query", "SELECT __PATH, Name FROM GW_Base"}},
		{"query-system-csv", []string{"-o", "csv", "query", "SELECT __CLASS, __RELPATH, Name FROM GW_Base WHERE Size > 10"}},
		{"query-path-jsonl", []string{"-o", "jsonl", "query", "SELECT __PATH, Name FROM GW_Child"}},
		{"enum-null-empty-table", []string{"enum", "GW_Door"}},
		{"enum-null-empty-list", []string{"-o", "list", "enum", "GW_Door"}},
		{"enum-datetimes-csv", []string{"-o", "csv", "enum", "GW_Door"}},
		{"enum-datetimes-json", []string{"-o", "json", "enum", "GW_Door"}},
		{"enum-mof", []string{"-o", "mof", "enum", "GW_Door"}},
		{"query-empty-csv", []string{"-o", "csv", "query", "SELECT * FROM GW_Base WHERE Size > 1000"}},
		{"query-empty-select-csv", []string{"-o", "csv", "query", "SELECT Label, Name FROM GW_Base WHERE Size > 1000"}},
		{"enum-empty-csv", []string{"-o", "csv", "enum", "GW_Single"}},
		// enum -p and -w.
		{"enum-property-where", []string{"enum", "GW_Base", "-p", "Name,Size", "-w", "Size > 10"}},
		{"enum-shallow-where", []string{"enum", "--shallow", "GW_Base", "--where", "Size >= 1"}},
		{"err-enum-property", []string{"enum", "GW_Base", "-p", "Name;Size"}},
		// Classes in every format.
		{"class-json", []string{"class", "GW_Door", "-o", "json"}},
		{"class-table", []string{"class", "GW_Grand", "-o", "table"}},
		{"get-class-json", []string{"-o", "jsonl", "get", "GW_Grand"}},
		// A method's ReturnValue, its meaning and the exit code.
		{"call-returnvalue-range", []string{"call", `GW_Door.Name="front"`, "Open", "How=3"}},
		{"call-returnvalue-values", []string{"call", "GW_Door", "Check", "How=1"}},
		{"call-returnvalue-unknown", []string{"call", `GW_Door.Name="front"`, "Open", "How=9"}},
		{"call-returnvalue-zero", []string{"-o", "json", "call", `GW_Door.Name="front"`, "Open", "How=0"}},
		// Help.
		{"help-get", []string{"help", "get"}},
		{"help-mofcomp", []string{"help", "mofcomp"}},
		{"err-help", []string{"help", "nope"}},
		// Namespaces.
		{"namespaces", []string{"namespaces"}},
		{"namespaces-shallow-csv", []string{"-o", "csv", "namespaces", "--shallow"}},
		{"err-namespaces", []string{"namespaces", "delete", "root"}},
		// MOF: a namespace the file names is created; update modes.
		{"mofcomp-namespace", []string{"mofcomp", filepath.Join("testdata", "acme.mof")}},
		{"mofcomp-createonly-exists", []string{"mofcomp", "-class:createonly", filepath.Join("testdata", "base.mof")}},
		{"err-mofcomp-modes", []string{"mofcomp", "-class:safeupdate", "-class:forceupdate", filepath.Join("testdata", "base.mof")}},
		{"mofcomp-class-has-children", []string{"mofcomp", filepath.Join("testdata", "base-changed.mof")}},
		{"mofcomp-forceupdate", []string{"mofcomp", "-class:forceupdate", filepath.Join("testdata", "base-changed.mof")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			om := fixture(t, &workload.Provider{N: 3})
			stdout, stderr, code := run(t, om, c.args...)
			golden(t, c.name, transcript(c.args, stdout, stderr, code))
		})
	}
}

// TestPutThenGet checks that put's instance is there afterwards, and
// delete's is gone.
func TestPutThenGet(t *testing.T) {
	om := fixture(t, &workload.Provider{N: 3})
	if out, errs, code := run(t, om, "put", "GW_Child", "Name=new", "Size=7", "Extra=e"); code != ExitOK || !strings.Contains(out, `GW_Child.Name="new"`) {
		t.Fatalf("put: code %d, out %q, err %q", code, out, errs)
	}
	out, errs, code := run(t, om, "-o", "csv", "get", `GW_Child.Name="new"`)
	if code != ExitOK || out != "Name,Size,Label,Extra\nnew,7,none,e\n" {
		t.Fatalf("get: code %d, out %q, err %q", code, out, errs)
	}
	if _, errs, code := run(t, om, "delete", `GW_Child.Name="new"`); code != ExitOK {
		t.Fatalf("delete: code %d, %s", code, errs)
	}
	if _, errs, code := run(t, om, "get", `GW_Child.Name="new"`); code != ExitFailed || !strings.HasPrefix(errs, "wbem: WBEM_E_NOT_FOUND (0x80041002): ") {
		t.Fatalf("get after delete: code %d, %q", code, errs)
	}
}

// TestMofcompApplies checks that a compiled MOF's class and instances are
// in the repository, and that --check changes nothing.
func TestMofcompApplies(t *testing.T) {
	om := fixture(t, &workload.Provider{N: 3})
	file := filepath.Join("testdata", "sample.mof")
	if _, errs, code := run(t, om, "mofcomp", "--check", file); code != ExitOK {
		t.Fatalf("check: %d %s", code, errs)
	}
	if _, errs, code := run(t, om, "class", "GW_Sample"); code != ExitFailed || !strings.Contains(errs, "WBEM_E_NOT_FOUND") && !strings.Contains(errs, "WBEM_E_INVALID_CLASS") {
		t.Fatalf("after --check the class exists: %d %s", code, errs)
	}
	if _, errs, code := run(t, om, "mofcomp", file); code != ExitOK {
		t.Fatalf("mofcomp: %d %s", code, errs)
	}
	out, errs, code := run(t, om, "-o", "csv", "query", "SELECT Name, Place, Weight FROM GW_Sample")
	if code != ExitOK || out != "Name,Place,Weight\ns1,shelf,\"{1, 2, 3}\"\ns2,drawer,\n" {
		t.Fatalf("query: %d %q %s", code, out, errs)
	}
	// A second compile of the same file updates in place.
	if _, errs, code := run(t, om, "mofcomp", "-n", "root/cimv2", file); code != ExitOK {
		t.Fatalf("second mofcomp: %d %s", code, errs)
	}
	// -n picks the namespace the MOF goes to; the base class must be there.
	if _, errs, code := run(t, om, "mofcomp", "-n", "root/other", file); code != ExitFailed || !strings.Contains(errs, "GW_Base") {
		t.Fatalf("mofcomp into a namespace without GW_Base: %d %s", code, errs)
	}
}

// TestAssignArrays checks the Name=Value conversions of arrays and NULL.
func TestAssignArrays(t *testing.T) {
	c, err := cim.Derive(nil, &cim.Class{Name: "T", Properties: []cim.Property{
		{Name: "A", Type: cim.TypeUint32.ArrayOf()},
		{Name: "S", Type: cim.TypeString},
		{Name: "N", Type: cim.TypeSint8},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg  string
		prop string
		want string // Value.String(), or the error's status name
	}{
		{"A={1,2, 3}", "A", "{1, 2, 3}"},
		{"A=4,5", "A", "{4, 5}"},
		{"A={}", "A", "{}"},
		{"A=", "A", "NULL"},
		{"S=", "S", `""`},
		{"S=a=b", "S", `"a=b"`},
		{"N=-128", "N", "-128"},
		{"N=128", "N", "WBEM_E_TYPE_MISMATCH"},
		{"A={1,x}", "A", "WBEM_E_TYPE_MISMATCH"},
		{"Q=1", "Q", "WBEM_E_INVALID_PARAMETER"},
	} {
		inst := c.NewInstance()
		err := assign(inst, []string{tc.arg}, "T", "property")
		got := ""
		if err != nil {
			got = cim.StatusOf(err).Name()
		} else {
			got = inst.Value(tc.prop).String()
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.arg, got, tc.want)
		}
	}
}

// TestStreaming checks that jsonl and csv print each row as it arrives: the
// first row is read while the slow provider is still far from done.
func TestStreaming(t *testing.T) {
	for _, format := range []string{FormatJSONL, FormatCSV, FormatList, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			p := &workload.Provider{N: 1000, Delay: 20 * time.Millisecond}
			om := fixture(t, p)
			pr, pw := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan int, 1)
			go func() {
				done <- Run(ctx, []string{"-o", format, "query", "SELECT Id, Name FROM GW_Item"}, Env{Stdout: pw, Stderr: io.Discard, Local: localOM(om)})
				pw.Close()
			}()
			rd := bufio.NewReader(pr)
			lines := map[string]int{FormatJSONL: 1, FormatCSV: 2, FormatList: 2, FormatJSON: 2}[format]
			var got []string
			for range lines {
				line, err := rd.ReadString('\n')
				if err != nil {
					t.Fatalf("reading the first row: %v", err)
				}
				got = append(got, line)
			}
			if e := p.Emitted.Load(); e >= 100 || p.Completed.Load() != 0 {
				t.Fatalf("first row came after %d of 1000 instances", e)
			}
			if !strings.Contains(strings.Join(got, ""), "item-0") {
				t.Fatalf("first row: %q", got)
			}
			cancel()
			go io.Copy(io.Discard, pr)
			select {
			case code := <-done:
				if code != ExitInterrupted {
					t.Errorf("exit code %d after cancel, want %d", code, ExitInterrupted)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			// The provider saw the cancellation.
			deadline := time.Now().Add(5 * time.Second)
			for p.Stopped.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if p.Stopped.Load() != 1 {
				t.Errorf("provider stopped %d times, want 1", p.Stopped.Load())
			}
		})
	}
}

// TestTableSizing checks that a table holds rows back only until TableRows
// have come, then streams.
func TestTableSizing(t *testing.T) {
	p := &workload.Provider{N: TableRows + 50}
	om := fixture(t, p)
	out, _, code := run(t, om, "query", "SELECT Id, Name FROM GW_Item")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != ExitOK || len(lines) != TableRows+52 {
		t.Fatalf("code %d, %d lines", code, len(lines))
	}
	// Widths come from the first TableRows rows (Ids 0 to 99): Id 100 and
	// later overflow their column, widening their own line only.
	if lines[0] != "Id  Name" || lines[2] != "0   item-0" || lines[101] != "99  item-99" || lines[len(lines)-1] != "149  item-149" {
		t.Fatalf("table:\n%s", strings.Join(lines[:3], "\n"))
	}

	// The time limit: a table held back prints when TableWait has passed.
	var b bytes.Buffer
	now := time.Unix(0, 0)
	tw := &tableWriter{w: &b, now: func() time.Time { return now }}
	om2 := fixture(t, &workload.Provider{N: 1})
	inst, err := getObject(context.Background(), om2.Services(workload.Namespace), "GW_Item.Id=0")
	if err != nil {
		t.Fatal(err)
	}
	tw.Row(recordOf(inst))
	if b.Len() != 0 {
		t.Fatal("the first row printed before the table was sized")
	}
	now = now.Add(TableWait)
	tw.Tick()
	if !strings.Contains(b.String(), "item-0") {
		t.Fatalf("after TableWait the row is still held: %q", b.String())
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  string
		o    string
	}{
		{[]string{"a", "-o", "csv", "b"}, "a b", "csv"},
		{[]string{"-o", "csv", "a", "b"}, "a b", "csv"},
		{[]string{"a", "--", "-o", "csv"}, "a -o csv", ""},
		{[]string{"--", "a"}, "a", ""},
		{nil, "", ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		o := fs.String("o", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || strings.Join(pos, " ") != tc.pos || *o != tc.o {
			t.Errorf("%q: pos %q, o %q, err %v", tc.args, pos, *o, err)
		}
	}
}

func TestHostURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5985":              "http://127.0.0.1:5985/wsman",
		"http://h:1":                  "http://h:1/wsman",
		"https://h:1/":                "https://h:1/wsman",
		"http://h:1/wsman":            "http://h:1/wsman",
		"wsman+https://h/custom/path": "wsman+https://h/custom/path",
		"127.0.0.1:5988":              "http://127.0.0.1:5988/cimom",
		"https://h:5989/":             "https://h:5989/cimom",
		"http://h:5988/cimom":         "http://h:5988/cimom",
		"localhost":                   "http://localhost:5985/wsman",
		"https://localhost":           "https://localhost:5986/wsman",
		"https://h/wsman":             "https://h:5986/wsman",
		"::1":                         "http://[::1]:5985/wsman",
		"[::1]:7":                     "http://[::1]:7/wsman",
	} {
		if got := hostURL(in); got != want {
			t.Errorf("hostURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUsage checks help and the documented exit codes in it.
func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"help"}, Env{Stdout: &out, Stderr: &errb}); code != ExitOK {
		t.Fatalf("help: %d", code)
	}
	for _, c := range commands {
		if !regexp.MustCompile(`(?m)^  ` + c.name + ` `).MatchString(out.String()) {
			t.Errorf("usage lacks %s", c.name)
		}
	}
	if !strings.Contains(out.String(), "exit codes") {
		t.Error("usage lacks the exit codes")
	}
	out.Reset()
	if code := Run(context.Background(), nil, Env{Stdout: &out, Stderr: &errb}); code != ExitUsage {
		t.Errorf("no command: %d", code)
	}
}

// TestCounter checks the live count: nothing off a terminal or in the first
// CountAfter, then "\rN objects…", erased at the end.
func TestCounter(t *testing.T) {
	var b bytes.Buffer
	c := newCounter(&b, false)
	c.start = time.Now().Add(-time.Hour)
	c.add(5)
	c.done()
	if b.Len() != 0 {
		t.Fatalf("off a terminal: %q", b.String())
	}
	c = newCounter(&b, true)
	c.add(5)
	if b.Len() != 0 {
		t.Fatalf("before CountAfter: %q", b.String())
	}
	c.start = time.Now().Add(-CountAfter)
	c.add(7)
	c.done()
	if b.String() != "\r12 objects…\r\x1b[K" {
		t.Fatalf("count: %q", b.String())
	}
}

func TestWithPullWait(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/wsman":               "http://h/wsman?pullwait=200ms",
		"http://h/wsman?maxelements=5": "http://h/wsman?maxelements=5&pullwait=200ms",
		"http://h/wsman?pullwait=1s":   "http://h/wsman?pullwait=1s",
	} {
		if got := withPullWait(in); got != want {
			t.Errorf("withPullWait(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnreachable checks that a daemon that does not answer gives exit code
// ExitUnreachable with the transport failure's status and a hint.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"--host", addr, "--password-file", pw, "enum", "GW_Base"}, Env{Stdout: &out, Stderr: &errb})
	if code != ExitUnreachable || !strings.Contains(errb.String(), "WBEM_E_TRANSPORT_FAILURE (0x80041015)") || !strings.Contains(errb.String(), "is wbemd running") {
		t.Errorf("exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := Run(context.Background(), []string{"--host", addr, "--user", "u", "enum", "GW_Base"}, Env{Stdout: &out, Stderr: &errb}); code != ExitUsage {
		t.Errorf("--user without --password-file: exit %d, %q", code, errb.String())
	}
}
