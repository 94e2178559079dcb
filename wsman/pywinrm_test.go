package wsman_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// pywinrmScript sends each request file given through pywinrm's
// Protocol.send_message (its transport, Basic authentication and fault
// handling) and prints one line per file: ok, timeout (pywinrm's
// WinRMOperationTimeoutError, which it raises only for WSManFault Code
// 2150858793) or the WinRMError it raised.
const pywinrmScript = `
import os, sys
from winrm.protocol import Protocol
from winrm.exceptions import WinRMOperationTimeoutError, WinRMError
p = Protocol(endpoint=os.environ["URL"], transport="plaintext", username=os.environ["WSUSER"], password=os.environ["WSPASS"],
             read_timeout_sec=30, operation_timeout_sec=20)
for f in sys.argv[1:]:
    name = os.path.basename(f)
    try:
        p.send_message(open(f).read())
        print(name, "ok")
    except WinRMOperationTimeoutError:
        print(name, "timeout")
    except WinRMError as e:
        print(name, "error", str(e).replace("\n", " "))
`

// python3WithWinrm finds a python3 that imports winrm (Debian's
// python3-winrm), skipping the test (failing under GOWBEM_REQUIRE_ALL=1)
// without one.
func python3WithWinrm(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import winrm.protocol").Run() == nil {
			return path
		}
	}
	if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
		t.Fatal("no python3 with winrm (Debian package python3-winrm) and GOWBEM_REQUIRE_ALL=1")
	}
	t.Skip("no python3 with winrm (Debian package python3-winrm)")
	return ""
}

// pywinrm, WinRM's Python client, meets the server's faults as it meets
// WinRM's: a Pull that times out is its retryable timeout (WSManFault Code
// 2150858793), an Enumerate of a class that does not exist fails at once,
// and a Put whose body is of another class than the resource URI's is the
// sender's fault.
func TestPywinrm(t *testing.T) {
	py := python3WithWinrm(t)
	e := newEnv(t, &workload.Provider{N: 3, Delay: time.Minute}, wsman.Options{})
	id := enumCtxOf(t, call(e.srv, testUser, testPass, enumerate(itemURI, "")))
	dir := t.TempDir()
	reqs := []struct{ name, body, want string }{
		{"pull-timeout", pull(itemURI, id, "<wsen:MaxTime>PT0.2S</wsen:MaxTime>", ""), "timeout"},
		{"enum-no-class", enumerate(wsman.URIPrefixWMI+"root/cimv2/Nope_Class", ""), "error"},
		{"put-other-class", envelope(actPut, baseURI, selectors("Name", "a"),
			`<p:GW_Item xmlns:p="`+itemURI+`"><p:Id>7</p:Id></p:GW_Item>`), "error"},
	}
	var files []string
	for _, r := range reqs {
		f := filepath.Join(dir, r.name)
		if err := os.WriteFile(f, []byte(r.body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", pywinrmScript}, files...)...)
	cmd.Env = append(os.Environ(), "URL="+e.url, "WSUSER="+testUser, "WSPASS="+testPass)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		got[name] = rest
	}
	for _, r := range reqs {
		if !strings.HasPrefix(got[r.name], r.want) {
			t.Errorf("%s: pywinrm says %q, want %s", r.name, got[r.name], r.want)
		}
	}
	for name, says := range map[string][]string{
		"enum-no-class":   {"'fault_subcode': 'wsa:DestinationUnreachable'", "Nope_Class", "'http_status_code': 400"},
		"put-other-class": {"'fault_subcode': 'wxf:InvalidRepresentation'", "not the resource URI's class GW_Base", "'fault_code': 's:Sender'"},
	} {
		for _, s := range says {
			if !strings.Contains(got[name], s) {
				t.Errorf("%s: pywinrm's error lacks %q: %s", name, s, got[name])
			}
		}
	}
}
