package interop

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// NeedTool skips a test when a third-party tool is missing, unless
// GOWBEM_REQUIRE_ALL=1 makes that a failure.
func NeedTool(t *testing.T, names ...string) {
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

// WBEMCLI runs the real wbemcli and returns its stdout, stderr and exit
// status.
func WBEMCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
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

// Matrix says where RunWBEMCLIMatrix finds its server.
type Matrix struct {
	// Base is "http://user:pass@host:port" and TLSBase the same over
	// https; Namespace ("root/cimv2") holds the data Setup puts there.
	Base, TLSBase string
	Namespace     string
	// Big names a class in BigNamespace (Namespace when "") whose
	// enumeration is large enough to stream chunked (C16), with BigCount
	// instances (0: unknown, at least 10).
	Big, BigNamespace string
	BigCount          int
	// NoMethods leaves out C12 (Test_Foo's methods need the Methods
	// provider, which only a test's object manager has).
	NoMethods bool
}

// RunWBEMCLIMatrix runs the interop matrix C1–C17 of protocols.md §3.6 with
// the real wbemcli, one subtest per step.
func RunWBEMCLIMatrix(t *testing.T, m Matrix) {
	NeedTool(t, "wbemcli")
	u, _ := url.Parse(m.Base)
	hostPort := u.Host
	if m.BigNamespace == "" {
		m.BigNamespace = m.Namespace
	}
	nsp := "/" + m.Namespace + ":"
	ns := m.Base + nsp
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
	fooA := hostPort + nsp + `Test_Foo.Id="a" Id="a",Count=11,Flag=TRUE,List=1,2,When=20240102030405.000000+000,Ratio=0.5,Note="x < y & z"`
	fooB := hostPort + nsp + `Test_Foo.Id="b" Id="b",Count=12,Flag=FALSE,List=,When=00000000013000.000000:000,Ratio=,Note=`
	type step struct {
		id     string
		args   []string
		checks []check
	}
	steps := []step{
		{"C1", []string{"ecn", ns}, []check{exit(0), has(hostPort+nsp+"Test_Foo\n", hostPort+nsp+"CIM_ComputerSystem\n")}},
		{"C2", []string{"gc", foo}, []check{exit(0), has(hostPort + nsp + "Test_Foo Id=,Count=,Flag=,List=,When=,Ratio=,Note=\n")}},
		{"C2-t", []string{"-t", "gc", foo}, []check{exit(0), has("Test_Foo Id#=,Count=,Flag=,List[]=,When=,Ratio=,Note=\n")}},
		{"C2-gcd", []string{"-t", "gcd", foo}, []check{exit(0), has(`<CLASS NAME="Test_Foo">`, `<METHOD NAME="DoIt" TYPE="uint32">`)}},
		{"C3", []string{"ec", ns + "CIM_ManagedElement"}, []check{exit(0), has("CIM_ComputerSystem Caption=,Description=,CreationClassName=,Name="), lines(1)}},
		{"C4", []string{"ei", foo}, []check{exit(0), has(fooA+"\n", fooB+"\n"), lines(2)}},
		{"C4-nl", []string{"-nl", "-t", "ei", foo}, []check{exit(0), has("\n-Id#=\"a\"\n", "\n-List[]=1,2\n", "\n-Count=11\n")}},
		{"C4-props", []string{"ei", foo, "Count"}, []check{exit(0), has(hostPort + nsp + `Test_Foo.Id="a" Count=11` + "\n"), lacks("Flag=")}},
		{"C5", []string{"ein", foo}, []check{exit(0), has(hostPort+nsp+`Test_Foo.Id="a"`+"\n", hostPort+nsp+`Test_Foo.Id="b"`+"\n"), lines(2)}},
		{"C6", []string{"gi", a}, []check{exit(0), has(fooA + "\n"), lines(1)}},
		{"C7", []string{"gi", foo + `.Id="zz"`}, []check{exit(16), stderrHas(`Cim: (6) CIM_ERR_NOT_FOUND`)}},
		{"C8", []string{"ci", c, `Id="c",Count=5,Flag=true,List=1,2,3`}, []check{exit(0), has(hostPort + nsp + `Test_Foo.Id="c"`)}},
		{"C8-again", []string{"ci", c, `Id="c",Count=5,Flag=true,List=1,2,3`}, []check{exit(16), stderrHas(`Cim: (11) CIM_ERR_ALREADY_EXISTS`)}},
		{"C9", []string{"mi", c, "Count=6"}, []check{exit(0)}},
		{"C9-gi", []string{"gi", c}, []check{exit(0), has(`Id="c",Count=6,Flag=TRUE,List=1,2,3`)}},
		{"C10-gp", []string{"gp", c, "Count"}, []check{exit(0), has("6\n")}},
		{"C10-sp", []string{"sp", c, "Count=7"}, []check{exit(0)}},
		{"C10-gp2", []string{"gp", c, "Count"}, []check{exit(0), has("7\n")}},
		{"C11", []string{"di", c}, []check{exit(0)}},
		{"C11-gi", []string{"gi", c}, []check{exit(16), stderrHas("CIM_ERR_NOT_FOUND")}},
	}
	if !m.NoMethods {
		steps = append(steps,
			step{"C12", []string{"cm", a, `DoIt.X=1,Y="s"`}, []check{exit(0), has(hostPort + nsp + `Test_Foo.Id="a" DoIt: 0, Out (string): did X=1 Y=s on Test_Foo.Id="a"`)}},
			step{"C12-cmx", []string{"cmx", a, `DoIt.X=1,Y="s"`}, []check{exit(0), has(`<METHODRESPONSE NAME="DoIt"><RETURNVALUE PARAMTYPE="uint32"><VALUE>0</VALUE></RETURNVALUE>`)}},
			step{"C12-static", []string{"cm", foo, "StaticM"}, []check{exit(0), has("Test_Foo StaticM: 0")}})
	}
	big := m.Base + "/" + m.BigNamespace + ":" + m.Big
	bigCheck := lines(m.BigCount)
	if m.BigCount == 0 {
		bigCheck = func(t *testing.T, out, errOut string, code int) {
			if n := strings.Count(out, "\n"); n < 10 {
				t.Errorf("%d lines, want at least 10:\n%s", n, out)
			}
		}
	}
	steps = append(steps,
		step{"C13-ai", []string{"ai", a}, []check{exit(0), has(nsp + `Test_Foo.Id="b" Id="b",Count=12`), lines(1)}},
		step{"C13-ain", []string{"ain", a}, []check{exit(0), has(nsp + `Test_Foo.Id="b"`), lines(1)}},
		step{"C13-ri", []string{"ri", a}, []check{exit(0), has(nsp + `Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		step{"C13-rin", []string{"rin", a}, []check{exit(0), has(nsp + `Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		step{"C13-filters", []string{"ai", "-ac", "Test_Dep", "-arc", "Test_Foo", "-ar", "Antecedent", "-arr", "Dependent", a}, []check{exit(0), has(`Test_Foo.Id="b"`), lines(1)}},
		step{"C13-role", []string{"ai", "-ar", "Dependent", a}, []check{exit(0), lines(0)}},
		step{"C13-ain-filters", []string{"ain", "-ac", "Test_Dep", "-arc", "Test_Foo", "-ar", "Antecedent", "-arr", "Dependent", a}, []check{exit(0), has(nsp + `Test_Foo.Id="b"`), lines(1)}},
		step{"C13-ri-filters", []string{"ri", "-arc", "Test_Dep", "-ar", "Antecedent", a}, []check{exit(0), has(`Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		step{"C13-rin-filters", []string{"rin", "-arc", "Test_Dep", "-ar", "Antecedent", a}, []check{exit(0), has(nsp + `Test_Dep.Antecedent=Test_Foo.Id="a",Dependent=Test_Foo.Id="b"`), lines(1)}},
		step{"C13-rin-role", []string{"rin", "-ar", "Dependent", a}, []check{exit(0), lines(0)}},
		step{"C13-ri-class", []string{"ri", "-arc", "Test_Foo", a}, []check{exit(0), lines(0)}},
		step{"C14", []string{"dc", ns + "Test_Obsolete"}, []check{exit(0)}},
		step{"C14-gone", []string{"gc", ns + "Test_Obsolete"}, []check{exit(16), stderrHas("CIM_ERR_NOT_FOUND")}},
		step{"C15", []string{"ei", strings.Replace(foo, u.User.String()+"@", "", 1)}, []check{exit(16), stderrHas("Username/password required")}},
		step{"C16", []string{"-cte", "ei", foo}, []check{exit(0), has(fooA+"\n", fooB+"\n"), lines(2)}},
		step{"C16-chunked", []string{"-cte", "ei", big}, []check{exit(0), bigCheck, has(hostPort + "/" + m.BigNamespace + ":" + m.Big + ".")}},
		step{"C17", []string{"-noverify", "ei", m.TLSBase + nsp + "Test_Foo"}, []check{exit(0), has(`Test_Foo.Id="a" Id="a",Count=11`, `Test_Foo.Id="b" Id="b",Count=12`), lines(2)}},
	)
	for _, st := range steps {
		t.Run(st.id, func(t *testing.T) {
			out, errOut, code := WBEMCLI(t, st.args...)
			for _, c := range st.checks {
				c(t, out, errOut, code)
			}
		})
	}
}
