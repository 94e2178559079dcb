package cimxml_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
)

// needTool skips a test when a third-party tool is missing, unless
// GOWBEM_REQUIRE_ALL=1 makes that a failure.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
				t.Fatalf("%s is not installed (Debian package sblim-wbemcli) and GOWBEM_REQUIRE_ALL=1", n)
			}
			t.Skipf("%s is not installed (Debian package sblim-wbemcli)", n)
		}
	}
}

// wbemcli runs the real wbemcli and returns its stdout, stderr and exit
// status.
func wbemcli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wbemcli", args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wbemcli %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// RunWBEMCLIMatrix runs the interop matrix C1–C17 of protocols.md §3.6 with
// wbemcli against base ("http://user:pass@host:port") and, for C17, tlsBase
// ("https://…"). The server must hold the interop data (package
// internal/interop) and the workload's GW_Item with at least 3000
// instances.
func runWBEMCLIMatrix(t *testing.T, base, tlsBase string) {
	u, _ := url.Parse(base)
	hostPort := u.Host
	ns := base + "/root/cimv2:"
	foo := ns + "Test_Foo"
	a, c := foo+`.Id="a"`, foo+`.Id="c"`
	type check func(t *testing.T, out, errOut string, code int)
	exit := func(want int) check {
		return func(t *testing.T, out, errOut string, code int) {
			if code != want {
				t.Errorf("exit status %d, want %d (stderr %q)", code, want, errOut)
			}
		}
	}
	has := func(subs ...string) check {
		return func(t *testing.T, out, errOut string, code int) {
			for _, s := range subs {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
		}
	}
	lacks := func(subs ...string) check {
		return func(t *testing.T, out, errOut string, code int) {
			for _, s := range subs {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q:\n%s", s, out)
				}
			}
		}
	}
	stderrHas := func(s string) check {
		return func(t *testing.T, out, errOut string, code int) {
			if !strings.Contains(errOut, s) {
				t.Errorf("stderr lacks %q: %q", s, errOut)
			}
		}
	}
	lines := func(n int) check {
		return func(t *testing.T, out, errOut string, code int) {
			if got := strings.Count(out, "\n"); got != n {
				t.Errorf("%d lines, want %d:\n%.2000s", got, n, out)
			}
		}
	}
	fooA := hostPort + `/root/cimv2:Test_Foo.Id="a" Id="a",Count=11,Flag=TRUE,List=1,2,When=20240102030405.000000+000,Ratio=0.5,Note="x < y & z"`
	fooB := hostPort + `/root/cimv2:Test_Foo.Id="b" Id="b",Count=12,Flag=FALSE,List=,When=00000000013000.000000:000,Ratio=,Note=`
	for _, step := range []struct {
		id     string
		args   []string
		checks []check
	}{
		{"C1", []string{"ecn", ns}, []check{exit(0), has(hostPort+"/root/cimv2:Test_Foo\n", hostPort+"/root/cimv2:CIM_ComputerSystem\n", "GW_Item\n")}},
		{"C2", []string{"gc", foo}, []check{exit(0), has(hostPort + "/root/cimv2:Test_Foo Id=,Count=,Flag=,List=,When=,Ratio=,Note=\n")}},
		{"C2-t", []string{"-t", "gc", foo}, []check{exit(0), has("Test_Foo Id#=,Count=,Flag=,List[]=,When=,Ratio=,Note=\n")}},
		{"C2-gcd", []string{"-t", "gcd", foo}, []check{exit(0), has(`<CLASS NAME="Test_Foo">`, `<METHOD NAME="DoIt" TYPE="uint32">`)}},
		{"C3", []string{"ec", ns + "CIM_ManagedElement"}, []check{exit(0), has("CIM_ComputerSystem Caption=,Description=,CreationClassName=,Name="), lines(1)}},
		{"C4", []string{"ei", foo}, []check{exit(0), has(fooA+"\n", fooB+"\n"), lines(2)}},
		{"C4-nl", []string{"-nl", "-t", "ei", foo}, []check{exit(0), has("\n-Id#=\"a\"\n", "\n-List[]=1,2\n", "\n-Count=11\n")}},
		{"C4-props", []string{"ei", foo, "Count"}, []check{exit(0), has(hostPort+`/root/cimv2:Test_Foo.Id="a" Count=11`+"\n"), lacks("Flag=")}},
		{"C5", []string{"ein", foo}, []check{exit(0), has(hostPort+`/root/cimv2:Test_Foo.Id="a"`+"\n", hostPort+`/root/cimv2:Test_Foo.Id="b"`+"\n"), lines(2)}},
		{"C6", []string{"gi", a}, []check{exit(0), has(fooA + "\n"), lines(1)}},
		{"C7", []string{"gi", foo + `.Id="zz"`}, []check{exit(16), stderrHas(`Cim: (6) CIM_ERR_NOT_FOUND`)}},
		{"C8", []string{"ci", c, `Id="c",Count=5,Flag=true,List=1,2,3`}, []check{exit(0), has(hostPort + `/root/cimv2:Test_Foo.Id="c"`)}},
		{"C8-again", []string{"ci", c, `Id="c",Count=5,Flag=true,List=1,2,3`}, []check{exit(16), stderrHas(`Cim: (11) CIM_ERR_ALREADY_EXISTS`)}},
		{"C9", []string{"mi", c, "Count=6"}, []check{exit(0)}},
		{"C9-gi", []string{"gi", c}, []check{exit(0), has(`Id="c",Count=6,Flag=TRUE,List=1,2,3`)}},
		{"C10-gp", []string{"gp", c, "Count"}, []check{exit(0), has("6\n")}},
		{"C10-sp", []string{"sp", c, "Count=7"}, []check{exit(0)}},
		{"C10-gp2", []string{"gp", c, "Count"}, []check{exit(0), has("7\n")}},
		{"C11", []string{"di", c}, []check{exit(0)}},
		{"C11-gi", []string{"gi", c}, []check{exit(16), stderrHas("CIM_ERR_NOT_FOUND")}},
		{"C12", []string{"cm", a, `DoIt.X=1,Y="s"`}, []check{exit(0), has(hostPort + `/root/cimv2:Test_Foo.Id="a" DoIt: 0, Out (string): did X=1 Y=s on Test_Foo.Id="a"`)}},
		{"C12-cmx", []string{"cmx", a, `DoIt.X=1,Y="s"`}, []check{exit(0), has(`<METHODRESPONSE NAME="DoIt"><RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE></RETURNVALUE>`)}},
		{"C12-static", []string{"cm", foo, "StaticM"}, []check{exit(0), has("Test_Foo StaticM: 0")}},
		{"C13-ai", []string{"ai", a}, []check{exit(0), has(`/root/cimv2:Test_Foo.Id="b" Id="b",Count=12`), lines(1)}},
		{"C13-ain", []string{"ain", a}, []check{exit(0), has(`/root/cimv2:Test_Foo.Id="b"`), lines(1)}},
		{"C13-ri", []string{"ri", a}, []check{exit(0), has(`/root/cimv2:Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		{"C13-rin", []string{"rin", a}, []check{exit(0), has(`/root/cimv2:Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		{"C13-filters", []string{"ai", "-ac", "Test_Dep", "-arc", "Test_Foo", "-ar", "Antecedent", "-arr", "Dependent", a}, []check{exit(0), has(`Test_Foo.Id="b"`), lines(1)}},
		{"C13-role", []string{"ai", "-ar", "Dependent", a}, []check{exit(0), lines(0)}},
		{"C14", []string{"dc", ns + "Test_Obsolete"}, []check{exit(0)}},
		{"C14-gone", []string{"gc", ns + "Test_Obsolete"}, []check{exit(16), stderrHas("CIM_ERR_NOT_FOUND")}},
		{"C15", []string{"ei", strings.Replace(foo, u.User.String()+"@", "", 1)}, []check{exit(16), stderrHas("Username/password required")}},
		{"C16", []string{"-cte", "ei", foo}, []check{exit(0), has(fooA+"\n", fooB+"\n"), lines(2)}},
		{"C16-chunked", []string{"-cte", "ei", ns + workload.ClassName}, []check{exit(0), lines(3000), has(`GW_Item.Id=2999 Id=2999,Name="item-2999"`)}},
		{"C17", []string{"-noverify", "ei", strings.Replace(tlsBase, "https://", "https://", 1) + "/root/cimv2:Test_Foo"}, []check{exit(0), has(`Test_Foo.Id="a" Id="a",Count=11`, `Test_Foo.Id="b" Id="b",Count=12`), lines(2)}},
	} {
		t.Run(step.id, func(t *testing.T) {
			out, errOut, code := wbemcli(t, step.args...)
			for _, c := range step.checks {
				c(t, out, errOut, code)
			}
		})
	}
}

// The interop matrix C1–C17 with the real wbemcli (Debian sblim-wbemcli)
// against the server on loopback, over HTTP and TLS.
func TestWBEMCLIMatrix(t *testing.T) {
	needTool(t, "wbemcli")
	e := newEnv(t, &workload.Provider{N: 3000}, nil)
	tls := httptest.NewTLSServer(e.srv)
	defer tls.Close()
	base := strings.Replace(e.hs.URL, "http://", "http://"+testUser+":"+testPass+"@", 1)
	tlsBase := strings.Replace(tls.URL, "https://", "https://"+testUser+":"+testPass+"@", 1)
	runWBEMCLIMatrix(t, base, tlsBase)
	_ = cimxml.ExtensionHeader
}
