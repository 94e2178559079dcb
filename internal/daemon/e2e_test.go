package daemon

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/cli/inproc"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/wbem"
)

// wbemdBin is the wbemd binary TestMain builds for the end-to-end tests
// from testdata/wbemd: cmd/wbemd with the synthetic workload installed too
// ("" when the build failed; buildErr says why).
var wbemdBin, buildErr = "", error(nil)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wbemd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "wbemd")
		out, err := exec.Command("go", "build", "-o", bin, "./testdata/wbemd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./testdata/wbemd: %v\n%s", err, out)
		} else {
			wbemdBin = bin
		}
		return m.Run()
	}()
	os.Exit(code)
}

func requireAll() bool { return os.Getenv("GOWBEM_REQUIRE_ALL") == "1" }

// proc is a wbemd process.
type proc struct {
	cmd         *exec.Cmd
	log         *cimtest.SyncBuffer
	http, https string // host:port
	// cimxml and cimxmls are CIM-XML's HTTP and HTTPS addresses.
	cimxml, cimxmls string
	exited          chan struct{}
	state           *os.ProcessState
}

var listening = regexp.MustCompile(`msg=listening proto=(https?|cimxml|cimxml-https) addr=(\S+)`)

// startProc starts wbemd with args and env and waits until it listens on
// as many protocols as protos.
func startProc(t *testing.T, env []string, protos int, args ...string) *proc {
	t.Helper()
	if wbemdBin == "" {
		t.Fatal(buildErr)
	}
	p := &proc{log: &cimtest.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(wbemdBin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		n := 0
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				switch m[1] {
				case "http":
					p.http = m[2]
				case "https":
					p.https = m[2]
				case "cimxml":
					p.cimxml = m[2]
				case "cimxml-https":
					p.cimxmls = m[2]
				}
				if n++; n == protos {
					close(ready)
				}
			}
		}
		io.Copy(io.Discard, stderr)
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("wbemd exited at start:\n%s", p.log)
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("wbemd not ready:\n%s", p.log)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// term sends SIGTERM and waits for the exit; it returns how long that took.
func (p *proc) term(t *testing.T) time.Duration {
	t.Helper()
	t0 := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("wbemd ignored SIGTERM:\n%s", p.log)
	}
	took := time.Since(t0)
	t.Logf("SIGTERM to exit: %v", took)
	if code := p.state.ExitCode(); code != 0 {
		t.Errorf("wbemd exited with %d after SIGTERM:\n%s", code, p.log)
	}
	return took
}

// wbemCLI runs the wbem command in this process (without --host, in-process
// over the state directory, as the wbem program does).
func wbemCLI(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb, Local: inproc.OpenStateDir(nil)})
	return out.String(), errb.String(), code
}

// TestEndToEnd starts wbemd on free loopback ports with a temporary state
// directory and drives it with the wbem CLI's --host code path over HTTP and
// over HTTPS, and with the wsl client when it is installed: a MOF compiled
// in, queried, a method called, an instance put and deleted. Then the
// in-process CLI finds the store held, and a restart keeps everything.
func TestEndToEnd(t *testing.T) {
	if !hasProtocol("wsman") {
		t.Fatal("package wsman registers no client protocol")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cert, key, err := wsmantest.WriteSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--state-dir", state, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "--log-level", "debug",
		"--cimxml", "127.0.0.1:0", "--cimxml-https", "127.0.0.1:0"}
	p := startProc(t, []string{"WORKLOAD=5"}, 4, args...)
	pwFile := filepath.Join(state, AdminPasswordFile)
	mofFile := filepath.Join("testdata", "e2e.mof")

	for _, tr := range []struct {
		name  string
		flags []string
	}{
		{"http", []string{"--host", "http://" + p.http + Path, "--user", "admin", "--password-file", pwFile}},
		{"https", []string{"--host", "https://" + p.https + Path, "--password-file", pwFile, "--ca-cert", cert}},
		{"cimxml", []string{"--host", "http://" + p.cimxml + CIMXMLPath, "--user", "admin", "--password-file", pwFile}},
		{"cimxml-https", []string{"--host", "https://" + p.cimxmls + CIMXMLPath, "--password-file", pwFile, "--ca-cert", cert}},
	} {
		t.Run(tr.name, func(t *testing.T) {
			steps := []struct {
				args   []string
				code   int
				stdout string // exact, or a prefix ending in "…"
				stderr string // a substring
			}{
				{[]string{"mofcomp", mofFile}, 0, "compiled " + mofFile + ": classes 1, instances 1, deletions 0\n", ""},
				{[]string{"-o", "csv", "query", "SELECT Name, Count FROM GW_E2E"}, 0, "Name,Count\none,1\n", ""},
				{[]string{"-o", "jsonl", "call", "GW_Item", "Echo", "Text=over the wire"}, 0, `{"ReturnValue":0,"Reply":"over the wire"}` + "\n", ""},
				{[]string{"-o", "csv", "call", "GW_Item.Id=3", "Bump", "By=1"}, 0, "ReturnValue,Result\n0,12289\n", ""},
				{[]string{"put", "GW_E2E", "Name=two", "Count=2"}, 0, `GW_E2E.Name="two"` + "…", ""},
				{[]string{"-o", "csv", "get", `GW_E2E.Name="two"`}, 0, "Name,Count\ntwo,2\n", ""},
				{[]string{"-o", "csv", "enum", "GW_E2E"}, 0, "Name,Count\none,1\ntwo,2\n", ""},
				{[]string{"delete", `GW_E2E.Name="two"`}, 0, "", ""},
				{[]string{"get", `GW_E2E.Name="two"`}, cli.ExitFailed, "", "WBEM_E_NOT_FOUND (0x80041002)"},
				{[]string{"query", "SELECT * FROM NoSuchClass"}, cli.ExitFailed, "", "WBEM_E_INVALID_CLASS (0x80041010)"},
				{[]string{"-o", "csv", "query", "SELECT Id FROM GW_Item WHERE Id < 2"}, 0, "Id\n0\n1\n", ""},
			}
			for _, st := range steps {
				all := append(append([]string{}, tr.flags...), st.args...)
				out, errs, code := wbemCLI(all...)
				ok := code == st.code && strings.Contains(errs, st.stderr)
				if want, prefix := strings.CutSuffix(st.stdout, "…"); prefix {
					ok = ok && strings.HasPrefix(out, want)
				} else {
					ok = ok && out == st.stdout
				}
				if !ok {
					t.Errorf("wbem %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
						strings.Join(st.args, " "), code, out, errs, st.code, st.stdout, st.stderr)
				}
			}
			// Wrong credentials: the connection is refused, with a status.
			out, errs, code := wbemCLI(tr.flags[0], tr.flags[1], "--password-file", cert, "--ca-cert", cert, "enum", "GW_E2E")
			if code == 0 || !strings.Contains(errs, "WBEM_E_ACCESS_DENIED") {
				t.Errorf("wrong password: exit %d, %q, %q", code, out, errs)
			}
		})
	}

	t.Run("wsl", func(t *testing.T) { testWSL(t, p, pwFile) })
	t.Run("wbemcli", func(t *testing.T) { testWBEMCLI(t, p, pwFile) })

	t.Run("store held", func(t *testing.T) {
		_, errs, code := wbemCLI("--state-dir", state, "enum", "GW_E2E")
		if code != cli.ExitUnreachable || !strings.Contains(errs, "daemon") || !strings.Contains(errs, "--host") {
			t.Errorf("in-process CLI on the daemon's store: exit %d, %q", code, errs)
		}
	})

	pw, _ := os.ReadFile(pwFile)
	if took := p.term(t); took > 5*time.Second {
		t.Errorf("SIGTERM took %v", took)
	}

	// A restart on the same state directory installs the providers again
	// over the existing repository, keeps the password and the data.
	p2 := startProc(t, nil, 1, "--state-dir", state, "--http", "127.0.0.1:0", "--cimxml", "")
	pw2, _ := os.ReadFile(pwFile)
	if !bytes.Equal(pw, pw2) {
		t.Error("the restart changed admin's password")
	}
	out, errs, code := wbemCLI("--host", p2.http, "--password-file", pwFile, "-o", "csv", "enum", "GW_E2E")
	if code != 0 || !strings.HasPrefix(out, "Name,Count\none,") {
		t.Errorf("after restart: exit %d, %q, %q", code, out, errs)
	}
	p2.term(t)
}

func hasProtocol(name string) bool {
	for _, p := range wbem.Protocols() {
		if p == name {
			return true
		}
	}
	return false
}

// testWSL drives the daemon with wsl, a third-party WS-Management client
// (bash, curl, xmllint), over HTTP and HTTPS.
func testWSL(t *testing.T, p *proc, pwFile string) {
	for _, tool := range []string{"wsl", "curl", "xmllint", "uuidgen"} {
		if _, err := exec.LookPath(tool); err != nil {
			if requireAll() {
				t.Fatalf("%s is not installed (GOWBEM_REQUIRE_ALL=1)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []struct {
		name string
		env  []string
	}{
		{"http", []string{"WSENDPOINT=" + p.http, "WSNOSSL=true"}},
		{"https", []string{"WSENDPOINT=" + p.https}}, // wsl runs curl --insecure
	} {
		t.Run(tr.name, func(t *testing.T) {
			scratch := t.TempDir() // wsl writes its config, requests, responses and the password there
			wsl := func(args ...string) string {
				cmd := exec.Command("wsl", args...)
				cmd.Dir = scratch
				cmd.Env = append(os.Environ(), "HOME="+scratch, "WSUSER=admin", "WSPASS="+strings.TrimSpace(string(pw)), "OUTLEVEL=1")
				cmd.Env = append(cmd.Env, tr.env...)
				out, _ := cmd.CombinedOutput() // wsl's exit status is unreliable (see spec); judge by the response
				resp, _ := os.ReadFile(filepath.Join(scratch, "response.xml"))
				return string(out) + string(resp)
			}
			if out := wsl("enum", "GW_E2E"); !strings.Contains(out, "<p:Name>one</p:Name>") {
				t.Errorf("wsl enum GW_E2E:\n%s", out)
			}
			if out := wsl("invoke", "GW_Item", "Bump", "By=7"); !strings.Contains(out, "Bump_OUTPUT") || !strings.Contains(out, ">7</") {
				t.Errorf("wsl invoke GW_Item Bump:\n%s", out)
			}
			if out := wsl("put", "GW_E2E", "Count=42"); !strings.Contains(out, "PutResponse") {
				t.Errorf("wsl put GW_E2E:\n%s", out)
			}
			if out := wsl("get", "GW_E2E", "Name=one"); !strings.Contains(out, "<p:Count>42</p:Count>") {
				t.Errorf("wsl get GW_E2E after put:\n%s", out)
			}
			// Put it back for the other transport.
			if out, errs, code := wbemCLI("--host", p.http, "--password-file", pwFile, "put", "--update", "GW_E2E", "Name=one", "Count=1"); code != 0 {
				t.Errorf("reset: %d %s %s", code, out, errs)
			}
		})
	}
}

// TestSIGTERM starts wbemd with a slow test provider, opens enumerations
// over WS-Management and checks that SIGTERM makes the daemon exit 0 within
// a few seconds with the providers' contexts cancelled.
func TestSIGTERM(t *testing.T) {
	if !hasProtocol("wsman") {
		t.Fatal("package wsman registers no client protocol")
	}
	state := t.TempDir()
	p := startProc(t, []string{"WORKLOAD=1000000,5ms"}, 1, "--state-dir", state, "--http", "127.0.0.1:0", "--cimxml", "")
	pw, _ := os.ReadFile(filepath.Join(state, AdminPasswordFile))
	svc, err := wbem.Connect(context.Background(), "http://"+p.http+Path+"?pullwait=100ms", "", wbem.Credentials{User: AdminUser, Password: strings.TrimSpace(string(pw))})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e, err := svc.CreateInstanceEnum(context.Background(), "GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if n, err := e.Next(10*time.Second, make([]cim.Object, 1)); n != 1 {
			t.Fatalf("first object: %v", err)
		}
	}
	// The CLI streams from the daemon too: its first row arrives long
	// before the enumeration could end.
	pr, pw2 := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cliDone := make(chan int, 1)
	go func() {
		cliDone <- cli.Run(ctx, []string{"--host", p.http, "--password-file", filepath.Join(state, AdminPasswordFile), "-o", "jsonl", "enum", "GW_Item"},
			cli.Env{Stdout: pw2, Stderr: io.Discard})
		pw2.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, `{"__PATH":`) || !strings.Contains(line, `GW_Item.Id=0","Id":0,`) {
		t.Fatalf("first CLI row: %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)

	if took := p.term(t); took > 5*time.Second {
		t.Errorf("SIGTERM took %v", took)
	}
	summary := regexp.MustCompile(`msg="test workload provider" started=(\d+) stopped=(\d+) completed=(\d+)`).FindStringSubmatch(p.log.String())
	if summary == nil || summary[1] != "3" || summary[2] != "3" || summary[3] != "0" {
		t.Errorf("providers at shutdown: %q, want 3 started, 3 stopped, 0 completed\n%s", summary, p.log)
	}
	cancel()
	select {
	case <-cliDone:
	case <-time.After(10 * time.Second):
		t.Error("the CLI did not return after the daemon stopped")
	}
}

// testWBEMCLI runs the interop matrix C1–C17 with wbemcli, a third-party
// CIM-XML client, against the daemon's CIM-XML endpoints: the matrix's
// data goes into a namespace of its own (root/interop, made over CIM-XML
// by gowbem's client), and C12 calls a method of the host's
// Win32_Process, GetOwner of wbemd itself.
func testWBEMCLI(t *testing.T, p *proc, pwFile string) {
	interop.NeedTool(t, "wbemcli")
	pwb, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(pwb))
	ctx := context.Background()
	creds := wbem.Credentials{User: AdminUser, Password: pw}
	root, err := wbem.Connect(ctx, "http://"+p.cimxml+CIMXMLPath, "root", creds)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := root.GetObject(ctx, "__NAMESPACE", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	ns := obj.(*cim.Class).NewInstance()
	ns.Set("Name", cim.String("interop"))
	if _, err := root.PutInstance(ctx, ns, 0); err != nil {
		t.Fatal(err)
	}
	svc, err := wbem.Connect(ctx, "http://"+p.cimxml+CIMXMLPath, `root\interop`, creds)
	if err != nil {
		t.Fatal(err)
	}
	if err := interop.Setup(ctx, svc); err != nil {
		t.Fatal(err)
	}
	base := "http://" + AdminUser + ":" + pw + "@" + p.cimxml
	interop.RunWBEMCLIMatrix(t, interop.Matrix{
		Base: base, TLSBase: "https://" + AdminUser + ":" + pw + "@" + p.cimxmls,
		Namespace: "root/interop", NoMethods: true,
		Big: "Win32_Process", BigNamespace: "root/cimv2", // a few hundred KB: chunked
	})
	t.Run("C12-host", func(t *testing.T) {
		pid := p.cmd.Process.Pid
		out, errs, code := interop.WBEMCLI(t, "cm", fmt.Sprintf(`%s/root/cimv2:Win32_Process.Handle="%d"`, base, pid), "GetOwner")
		if code != 0 || !strings.Contains(out, fmt.Sprintf(`Win32_Process.Handle="%d" GetOwner: 0, User (string): `, pid)) {
			t.Errorf("wbemcli cm Win32_Process GetOwner: exit %d, %q, %q", code, out, errs)
		}
	})
}
