package wsman_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// needTool skips a test when a third-party tool is missing, unless
// GOWBEM_REQUIRE_ALL=1 makes that a failure.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
				t.Fatalf("%s is not installed (Debian packages wsl, uuid-runtime, libxml2-utils, curl) and GOWBEM_REQUIRE_ALL=1", n)
			}
			t.Skipf("%s is not installed (Debian packages wsl, uuid-runtime, libxml2-utils, curl)", n)
		}
	}
}

// wslRunner runs the wsl scripts against a test server from a scratch
// directory (wsl writes its configuration, requests and responses there).
type wslRunner struct {
	t    *testing.T
	dir  string
	vars []string
}

func newWSL(t *testing.T, e *testEnv, tls bool, extra ...string) *wslRunner {
	needTool(t, "wsl", "uuidgen", "xmllint", "curl")
	u, _ := url.Parse(e.hs.URL)
	dir := t.TempDir()
	vars := append(os.Environ(), "HOME="+dir, "WSENDPOINT="+u.Host, "WSUSER="+testUser, "WSPASS="+testPass, "OUTLEVEL=1")
	if !tls {
		vars = append(vars, "WSNOSSL=true")
	} else {
		vars = append(vars, "WSNOSSL=")
	}
	return &wslRunner{t: t, dir: dir, vars: append(vars, extra...)}
}

func (w *wslRunner) run(env []string, args ...string) (string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = w.dir
	cmd.Env = append(append([]string(nil), w.vars...), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("%v: %v", args, err)
	}
	// wsl colours its output with ANSI escapes.
	return regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out.String(), ""), code
}

// responses returns the response files wsl kept, in order.
func (w *wslRunner) responses() []string {
	files, _ := filepath.Glob(filepath.Join(w.dir, "response-*.xml"))
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out = append(out, string(b))
	}
	return out
}

// The interop matrix W1–W18 of protocols.md §3.6 with the real wsl client.
// Adaptations: W13 names the instance with -inst (wsl's -filter is CQL, of
// which the server takes WQL's SELECT … FROM … WHERE, see W8), and W17 runs
// against a TLS listener on a free port instead of 5986.
func TestWSLMatrix(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 200}, wsman.Options{})
	count := func(s, sub string) int { return strings.Count(s, sub) }
	type check func(t *testing.T, out string, code int, w *wslRunner)
	exit := func(want int) check {
		return func(t *testing.T, out string, code int, w *wslRunner) {
			if (want == 0) != (code == 0) {
				t.Errorf("exit status %d, want %s", code, map[bool]string{true: "0", false: "non-zero"}[want == 0])
			}
		}
	}
	has := func(subs ...string) check {
		return func(t *testing.T, out string, code int, w *wslRunner) {
			for _, s := range subs {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q", s)
				}
			}
		}
	}
	lacks := func(subs ...string) check {
		return func(t *testing.T, out string, code int, w *wslRunner) {
			for _, s := range subs {
				if strings.Contains(out, s) {
					t.Errorf("output has %q", s)
				}
			}
		}
	}
	n := func(sub string, want int) check {
		return func(t *testing.T, out string, code int, w *wslRunner) {
			if got := count(out, sub); got != want {
				t.Errorf("output has %q %d times, want %d", sub, got, want)
			}
		}
	}
	eprFile := filepath.Join(t.TempDir(), "epr.xml")
	os.WriteFile(eprFile, []byte("<wsa:EndpointReference>\n<wsa:ReferenceParameters>\n"+
		"<wsman:ResourceURI>http://schemas.dell.com/wbem/wscim/1/cim-schema/2/Test_Foo</wsman:ResourceURI>\n"+
		"<wsman:SelectorSet>\n<wsman:Selector Name=\"Id\">a</wsman:Selector>\n</wsman:SelectorSet>\n"+
		"</wsa:ReferenceParameters>\n</wsa:EndpointReference>\n"), 0o644)

	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		checks []check
	}{
		{"W1", nil, []string{"wsl", "identify", "check"}, []check{exit(0), has("wsmid:IdentifyResponse", "ProtocolVersion")}},
		{"W2", nil, []string{"wsl", "enum", "CIM_ComputerSystem"}, []check{exit(0),
			has("wsman:Items", "wsman:EndOfSequence", "<p:Name>cs1</p:Name>", "<p:Name>cs3</p:Name>"), lacks("EnumerationContext"), n("<p:CIM_ComputerSystem>", 3)}},
		{"W3", nil, []string{"wsl", "enum", "CIM_ComputerSystem", "-opti", "1"}, []check{exit(0), n("<p:CIM_ComputerSystem>", 3),
			func(t *testing.T, out string, code int, w *wslRunner) {
				rs := w.responses()
				pulls := 0
				for _, r := range rs {
					pulls += count(r, "PullResponse>")
				}
				if len(rs) != 3 || !strings.Contains(rs[0], "EnumerateResponse") || !strings.Contains(rs[2], "EndOfSequence") || strings.Contains(rs[2], "EnumerationContext") {
					t.Errorf("%d responses, want one EnumerateResponse and 2 PullResponses, the last with EndOfSequence and no context", len(rs))
				}
			}}},
		{"W4", nil, []string{"wslenum", "CIM_ComputerSystem"}, []check{exit(0), n("<p:CIM_ComputerSystem>", 3),
			func(t *testing.T, out string, code int, w *wslRunner) {
				rs := w.responses()
				if len(rs) != 4 {
					t.Errorf("%d responses, want an EnumerateResponse and 3 PullResponses of one item", len(rs))
				}
				for _, r := range rs[1:] {
					if count(r, "<p:CIM_ComputerSystem>") != 1 {
						t.Errorf("a PullResponse holds %d items, want 1", count(r, "<p:CIM_ComputerSystem>"))
					}
				}
			}}},
		{"W5epr", nil, []string{"wsl", "enum", "CIM_ComputerSystem", "-mode", "epr"}, []check{exit(0),
			has("<wsa:EndpointReference>", `<wsman:Selector Name="Name">cs2</wsman:Selector>`), lacks("<p:CIM_ComputerSystem>"), n("<wsa:EndpointReference>", 3)}},
		{"W5objepr", nil, []string{"wsl", "enum", "CIM_ComputerSystem", "-mode", "objepr"}, []check{exit(0),
			has("<wsman:Item>", "<p:Name>cs1</p:Name>", `<wsman:Selector Name="CreationClassName">CIM_ComputerSystem</wsman:Selector>`), n("<wsman:Item>", 3)}},
		{"W6", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from Test_Foo where Count=11", "-dialect", wsman.DialectWQL},
			[]check{exit(0), has("<p:Id>a</p:Id>"), lacks("<p:Id>b</p:Id>")}},
		{"W7", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "Id=a", "-dialect", wsman.DialectSelector},
			[]check{exit(0), has("<p:Id>a</p:Id>"), lacks("<p:Id>b</p:Id>")}},
		{"W8", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from Test_Foo where Count = 12"},
			[]check{exit(0), has("<p:Id>b</p:Id>"), lacks("<p:Id>a</p:Id>")}},
		{"W8beyond", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from Test_Foo where Id || 'x' = 'ax'"},
			[]check{exit(1), has("CannotProcessFilter", "CQL"), lacks("<p:Id>")}},
		{"W8other", nil, []string{"wsl", "enum", "Test_Foo", "-filter", "select * from CIM_ComputerSystem"},
			[]check{exit(1), has("CannotProcessFilter", "resource URI names Test_Foo"), lacks("<p:Name>cs1")}},
		{"W9noclass", nil, []string{"wsl", "enum", "Nope_Class"}, []check{exit(1), has("wsa:DestinationUnreachable", "Nope_Class"),
			func(t *testing.T, out string, code int, w *wslRunner) {
				// The fault comes at the Enumerate: no context, no Pull.
				if rs := w.responses(); len(rs) != 1 || strings.Contains(rs[0], "EnumerationContext") {
					t.Errorf("%d responses, want the Enumerate's fault alone", len(rs))
				}
			}}},
		{"W9", nil, []string{"wsl", "enum", "Test_Foo", "-ns", "root/cimv2"}, []check{exit(0), has("<p:Id>a</p:Id>", "<p:Id>b</p:Id>")}},
		{"W9bad", nil, []string{"wsl", "enum", "Test_Foo", "-ns", "root/nonexistent"}, []check{exit(1), has("wsa:DestinationUnreachable"), lacks("<p:Id>")}},
		{"W10refs", nil, []string{"wsl", "enum", "Test_Foo", "-references", "Id=a"}, []check{exit(0), has(":Id>b</"), lacks(":Id>a</")}},
		{"W10assoc", nil, []string{"wsl", "enum", "Test_Foo", "-associators", "Id=a"}, []check{exit(0), has(":Test_Dep", ":Antecedent>")}},
		{"W11", nil, []string{"wsl", "get", "Test_Foo", "Id=a"}, []check{exit(0), has("<p:Test_Foo>", "<p:Id>a</p:Id>", "<p:Count>11</p:Count>", ">2024-01-02T03:04:05Z</cim:Datetime>")}},
		{"W12", nil, []string{"wsl", "get", "Test_Foo", "Id=missing"}, []check{exit(1), has("s:Sender", "wsa:DestinationUnreachable")}},
		{"W13", nil, []string{"wsl", "invoke", "Test_Foo", "DoIt", "X=1", "Y=s", "-inst", eprFile},
			[]check{exit(0), has("DoIt_OUTPUT", "<p:ReturnValue>0</p:ReturnValue>", `<p:Out>did X=1 Y=s on Test_Foo.Id="a"</p:Out>`)}},
		{"W13enum", nil, []string{"wsl", "invoke", "Test_Foo", "DoIt", "X=2", "Y=t"},
			[]check{exit(0), has("<p:ReturnValue>0</p:ReturnValue>", "did X=2 Y=t on Test_Foo.Id=")}},
		{"W14", nil, []string{"wsl", "put", "Test_Foo", "Count=42"}, []check{has("PutResponse", "<p:Count>42</p:Count>")}},
		{"W14get", nil, []string{"wsl", "get", "Test_Foo", "Id=a"}, []check{exit(0), has("<p:Count>42</p:Count>", "<p:List>2</p:List>")}},
		{"W15", nil, []string{"wsl", "put", "Test_Foo", "Count=43", "-fragment"}, []check{has("PutResponse", "<Count>43</Count>")}},
		{"W15get", nil, []string{"wsl", "get", "Test_Foo", "Id=a"}, []check{exit(0), has("<p:Count>43</p:Count>")}},
		{"W16", []string{"WSPASS=wrong"}, []string{"wsl", "enum", "CIM_ComputerSystem"}, []check{func(t *testing.T, out string, code int, w *wslRunner) {
			if code == 0 || strings.Contains(out, "EnumerateResponse") {
				t.Errorf("exit %d with a wrong password; want a failure without data", code)
			}
		}}},
		{"W18", []string{"WSMAXENVELOPESIZE=8192"}, []string{"wsl", "enum", "GW_Item"}, []check{exit(0), n("<p:GW_Item>", 200), lacks("EncodingLimit"),
			func(t *testing.T, out string, code int, w *wslRunner) {
				if m := e.maxResponse.Load(); m > 8192 {
					t.Errorf("a response of %d bytes exceeds MaxEnvelopeSize 8192", m)
				}
				if len(w.responses()) < 2 {
					t.Errorf("%d responses: the batch was not paged", len(w.responses()))
				}
			}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWSL(t, e, false)
			e.maxResponse.Store(0)
			out, code := w.run(tc.env, tc.args...)
			for _, c := range tc.checks {
				c(t, out, code, w)
			}
			if t.Failed() {
				t.Logf("%v → exit %d\n%s", tc.args, code, out)
			}
		})
	}
}

// W17: the same over TLS (wsl runs curl --insecure).
func TestWSLOverTLS(t *testing.T) {
	e := newEnvTLS(t, &workload.Provider{N: 3}, wsman.Options{}, true)
	w := newWSL(t, e, true)
	out, code := w.run(nil, "wsl", "enum", "CIM_ComputerSystem")
	if code != 0 || strings.Count(out, "<p:CIM_ComputerSystem>") != 3 || !strings.Contains(out, "wsman:EndOfSequence") {
		t.Fatalf("wsl over TLS: exit %d\n%s", code, out)
	}
}
