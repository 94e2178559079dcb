//go:build linux

package providerpython

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/internal/daemon"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/wbem"
	_ "github.com/gowbem/gowbem/wsman" // wbem.Connect over WS-Management
)

// The test of issue 17's second example: a provider in another language,
// implementing the service from its documented definition. build.sh
// generates the Python modules with Debian's grpc_tools; the daemon runs
// provider.py after wbem mofcomp of register.mof.

// python finds a python3 that imports grpc and grpc_tools (Debian's
// python3-grpcio and python3-grpc-tools), skipping the test (failing under
// GOWBEM_REQUIRE_ALL=1) when there is none.
func python(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import grpc, grpc_tools.protoc").Run() == nil {
			return path
		}
	}
	const why = "no python3 with grpc and grpc_tools (Debian packages python3-grpcio, python3-grpc-tools)"
	if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
		t.Fatal(why + " and GOWBEM_REQUIRE_ALL=1")
	}
	t.Skip(why)
	return ""
}

// build runs build.sh into a directory every account can read (as root the
// daemon runs providers as nobody) and returns the command line that runs
// the provider.
func build(t *testing.T, py string) []string {
	t.Helper()
	dir, err := os.MkdirTemp("", "provider-python-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("./build.sh", dir)
	cmd.Env = append(os.Environ(), "PYTHON="+py)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	for _, f := range []string{"provider_pb2.py", "provider_pb2_grpc.py", "health_pb2_grpc.py", "controller_pb2_grpc.py", "provider.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("build.sh made no %s: %v", f, err)
		}
	}
	return []string{py, filepath.Join(dir, "provider.py")}
}

// The go-plugin handshake, checked piece by piece: the magic cookie, the
// protocol version, the line on standard output, the health service that
// go-plugin's Ping calls, the Provider service's Hello, and the controller's
// Shutdown, after which the provider exits cleanly (its socket removed)
// rather than being killed.
func TestHandshake(t *testing.T) {
	py := python(t)
	command := build(t, py)

	run := func(env ...string) (stdout, stderr string, err error) {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), err
	}
	cookie := providerwire.Handshake.MagicCookieKey + "=" + providerwire.Handshake.MagicCookieValue
	// Without the cookie: it says what it is and exits 1, with nothing on
	// standard output.
	out, errs, err := run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || out != "" || !strings.Contains(errs, "provider of gowbem") {
		t.Errorf("without the cookie: %v, stdout %q, stderr %q", err, out, errs)
	}
	// A version it does not speak: refused likewise.
	out, errs, err = run(cookie, "PLUGIN_PROTOCOL_VERSIONS=2,3")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || out != "" || !strings.Contains(errs, "versions 2,3") {
		t.Errorf("protocol versions 2,3: %v, stdout %q, stderr %q", err, out, errs)
	}

	// The line: core version|app version|unix|socket in PLUGIN_UNIX_SOCKET_DIR|grpc.
	sockDir := t.TempDir()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = []string{cookie, "PLUGIN_PROTOCOL_VERSIONS=1", "PLUGIN_UNIX_SOCKET_DIR=" + sockDir}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if err != nil {
		t.Fatalf("no handshake line: %v", err)
	}
	if !regexp.MustCompile(`^1\|1\|unix\|` + regexp.QuoteMeta(sockDir) + `/[^|]+\|grpc\n$`).MatchString(line) {
		t.Errorf("handshake line %q", line)
	}

	// go-plugin's own client, as the daemon uses it.
	client := pluginClient(command, nil)
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin could not start the provider: %v", err)
	}
	if err := rpc.Ping(); err != nil {
		t.Errorf("go-plugin's Ping (the health service): %v", err)
	}
	raw, err := rpc.Dispense(providerwire.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := raw.(providerwire.ProviderClient).Hello(context.Background(), &providerwire.HelloRequest{Protocol: providerwire.Version_VERSION_1})
	if err != nil {
		t.Fatal(err)
	}
	if hello.Protocol != providerwire.Version_VERSION_1 || len(hello.Providers) != 1 || !hello.Providers[0].Instances || !hello.Providers[0].Methods || !hello.Providers[0].Events || !hello.Providers[0].InstanceEvents {
		t.Errorf("Hello: %v", hello)
	}
	sock := client.ReattachConfig().Addr.String()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("the provider's socket: %v", err)
	}
	client.Kill() // go-plugin calls the controller's Shutdown first
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the provider did not stop by itself on Shutdown: its socket %s is still there (%v)", sock, err)
	}
}

// startDaemon runs wbemd in this process on a loopback port.
func startDaemon(t *testing.T, log *cimtest.SyncBuffer) (url, passwordFile string) {
	url, passwordFile, _ = startDaemonOM(t, log)
	return url, passwordFile
}

// startDaemonOM runs wbemd in this process on a loopback port and returns
// its object manager too, for in-process calls (progress and
// CancelAsyncCall reach only in-process callers).
func startDaemonOM(t *testing.T, log *cimtest.SyncBuffer) (url, passwordFile string, om *cimom.ObjectManager) {
	t.Helper()
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Config{StateDir: state, HTTPAddr: "127.0.0.1:0",
			Logger:  slog.New(slog.NewTextHandler(log, nil)),
			Install: func(_ context.Context, m *cimom.ObjectManager) error { om = m; return nil },
			Ready:   func(http, _ net.Addr) { ready <- http }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("wbemd: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr.String() + "/wsman", filepath.Join(state, daemon.AdminPasswordFile), om
	case err := <-done:
		t.Fatalf("wbemd: %v\n%s", err, log)
	}
	return "", "", nil
}

// wbemCLI runs the wbem command against the daemon.
// register does the README's registration: register.mof with the provider's
// command line for @PROVIDER@, compiled into the daemon at url by wbem
// mofcomp.
func register(t *testing.T, url, pwFile string, command []string, log *cimtest.SyncBuffer) {
	t.Helper()
	mof, err := os.ReadFile("register.mof")
	if err != nil {
		t.Fatal(err)
	}
	regFile := filepath.Join(t.TempDir(), "register.mof")
	if err := os.WriteFile(regFile, bytes.ReplaceAll(mof, []byte("@PROVIDER@"), []byte(strings.Join(command, " "))), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := wbemCLI(url, pwFile, "mofcomp", regFile); code != 0 {
		t.Fatalf("mofcomp: exit %d: %s\n%s", code, errs, log)
	}
}

func wbemCLI(url, pwFile string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	args = append([]string{"--host", url, "--password-file", pwFile}, args...)
	code = cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// The README's steps against a running daemon: wbem mofcomp the
// registration with @PROVIDER@ substituted, then the instances and the
// method through the wbem command and through package wbem over
// WS-Management, every value typed by the class; the provider's event
// reaches a subscriber over WS-Management (filtered by its WHERE clause), and
// the subscription's end reaches the provider.
func TestThroughTheDaemon(t *testing.T) {
	py := python(t)
	command := build(t, py)
	log := &cimtest.SyncBuffer{}
	url, pw := startDaemon(t, log)

	register(t, url, pw, command, log)

	code, out, errs := wbemCLI(url, pw, "-o", "csv", "enum", "Example_Item")
	if code != 0 {
		t.Fatalf("enum: exit %d: %s\n%s", code, errs, log)
	}
	for _, want := range []string{"apple", "banana", "cherry"} {
		if !strings.Contains(out, want) {
			t.Errorf("enum lacks %s:\n%s", want, out)
		}
	}
	password, err := os.ReadFile(pw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc, err := wbem.Connect(ctx, url, `root\cimv2`, wbem.Credentials{User: daemon.AdminUser, Password: strings.TrimSpace(string(password))})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	// The provider's event, over WS-Management: Grow raises it.
	events, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM Example_ItemGrown WHERE NewSize > 200", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatalf("subscribing: %v\n%s", err, log)
	}
	defer events.Close()
	// The items' changes, which the provider raises itself (InstanceEvent
	// messages): no WITHIN, which a polled class would need.
	changes, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Example_Item'", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatalf("subscribing to the changes: %v\n%s", err, log)
	}
	defer changes.Close()

	if code, out, errs := wbemCLI(url, pw, "call", "Example_Item.Id=0", "Grow", "By=1"); code != 0 || !strings.Contains(out, "101") {
		t.Errorf("Grow: exit %d, %q %q", code, out, errs)
	}
	if code, out, errs := wbemCLI(url, pw, "call", "Example_Item.Id=1", "Grow", "By=5"); code != 0 || !strings.Contains(out, "205") {
		t.Errorf("Grow: exit %d, %q %q", code, out, errs)
	}
	if code, _, errs := wbemCLI(url, pw, "get", "Example_Item.Id=9"); code == 0 || !strings.Contains(errs, "WBEM_E_NOT_FOUND") {
		t.Errorf("get of a missing item: exit %d, %q", code, errs)
	}
	ev := make([]cim.Object, 1)
	if n, err := events.Next(30*time.Second, ev); err != nil || n != 1 {
		t.Fatalf("no event: %d, %v\n%s", n, err, log)
	}
	grown := ev[0].(*cim.Instance)
	if id, size := grown.Value("Id"), grown.Value("NewSize"); !strings.EqualFold(grown.ClassName(), "Example_ItemGrown") ||
		id.Uint() != 1 || size.Type() != cim.TypeUint64 || size.Uint() != 205 || grown.Value("Name").Str() != "banana" {
		t.Errorf("event %s: Id %v, NewSize %v (%v)", grown.ClassName(), id, size, size.Type())
	}
	for _, want := range []string{"0 100 101", "1 200 205"} {
		if n, err := changes.Next(30*time.Second, ev); err != nil || n != 1 {
			t.Fatalf("no modification: %d, %v\n%s", n, err, log)
		}
		m := ev[0].(*cim.Instance)
		now, _ := m.Value("TargetInstance").Object().(*cim.Instance)
		before, _ := m.Value("PreviousInstance").Object().(*cim.Instance)
		if !strings.EqualFold(m.ClassName(), "__InstanceModificationEvent") || now == nil || before == nil {
			t.Fatalf("event %s: TargetInstance %v, PreviousInstance %v", m.ClassName(), now, before)
		}
		if got := fmt.Sprint(now.Value("Id").Uint(), before.Value("Size").Uint(), now.Value("Size").Uint()); got != want {
			t.Errorf("modification (Id, Size before, after) %s, want %s", got, want)
		}
	}
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT * FROM Example_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 10)
	n, err := e.Next(wbem.Infinite, buf)
	if err != nil && err != io.EOF {
		t.Fatalf("enumerating over WS-Management: %v\n%s", err, log)
	}
	if n != 3 {
		t.Fatalf("%d items over WS-Management, want 3", n)
	}
	for _, o := range buf[:n] {
		inst := o.(*cim.Instance)
		id := inst.Value("Id").Uint()
		size, created := inst.Value("Size"), inst.Value("Created")
		if size.Type() != cim.TypeUint64 || created.Type() != cim.TypeDatetime || !strings.HasPrefix(created.Str(), "20261201000000") {
			t.Errorf("item %d: Size %v (%v), Created %v (%v)", id, size, size.Type(), created, created.Type())
		}
		if want := []uint64{101, 205, 300}[id]; size.Uint() != want {
			t.Errorf("item %d: Size %d, want %d", id, size.Uint(), want)
		}
	}
	events.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(log.String(), "provider-python: subscription ended") {
		if time.Now().After(deadline) {
			t.Fatalf("the end of the subscription did not reach the provider:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "provider-python: enumerate") {
		t.Errorf("the provider's standard error is not in the daemon's log:\n%s", log)
	}
}

// When the daemon does not take a subscription's events as fast as they are
// raised, the provider's queue fills up and drops the newest; it then sends,
// after the events queued before them, the notice docs/providers.md
// describes (providerwire.LostNotice: how many, and the first of them), so
// that the subscriber is told. Driven over go-plugin's client, as the daemon
// does: the test holds the Events stream unread while Grow raises events,
// until the provider says it lost some, then reads: every event raised is
// either delivered, in order, or counted in a notice that stands where they
// were lost, naming the first. The same for a subscription to the item's
// changes (InstanceEvent messages), whose notice names the first lost as
// the __InstanceModificationEvent the daemon would have made of it.
func TestEventOverflowNotice(t *testing.T) {
	t.Run("extrinsic", func(t *testing.T) { overflowNotice(t, false) })
	t.Run("intrinsic", func(t *testing.T) { overflowNotice(t, true) })
}

func overflowNotice(t *testing.T, intrinsic bool) {
	py := python(t)
	command := build(t, py)
	p, stderr := dispense(t, command)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	call := &providerwire.Call{Namespace: `root\cimv2`, Provider: "ExampleProvider"}
	req := &providerwire.EventsRequest{Call: call, Class: &providerwire.Class{Name: "Example_ItemGrown"}, Query: "SELECT * FROM Example_ItemGrown"}
	if intrinsic {
		req = &providerwire.EventsRequest{Call: call, Class: &providerwire.Class{Name: "__InstanceModificationEvent"}, Target: &providerwire.Class{Name: "Example_Item"},
			Query: "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Example_Item'"}
	}
	start := providerwire.FileTime(time.Now())
	stream, err := p.Events(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := stream.Recv(); err != nil || r.GetReady() == nil {
		t.Fatalf("first reply %v, %v; want Ready", r, err)
	}
	// Item 0 grows by 1 each time: the events' NewSize (the changes' Size)
	// are 101, 102, …
	grow := &providerwire.ExecMethodRequest{Call: call, Class: &providerwire.Class{Name: "Example_Item"}, Path: "Example_Item.Id=0", Method: "Grow",
		In: &providerwire.Instance{Properties: []*providerwire.PropertyValue{{Name: "By", Value: &providerwire.Value{Kind: &providerwire.Value_Unsigned{Unsigned: 1}}}}}}
	raised := 0
	for extra := -1; extra != 0; {
		r, err := p.ExecMethod(ctx, grow)
		if err != nil || r.Error != nil {
			t.Fatalf("Grow: %v %v", err, r.GetError())
		}
		raised++
		switch {
		case extra > 0:
			extra-- // a few more after the first loss, lost too
		case raised%100 == 0 && strings.Contains(stderr.String(), "lost"):
			extra = 10
		case raised > 100_000:
			t.Fatalf("%d events raised and none lost: the stream is not held up\n%s", raised, stderr)
		}
	}
	// Everything is on its way by now: a reply that does not come within
	// seconds never will.
	replies := make(chan *providerwire.EventsReply)
	go func() {
		defer close(replies)
		for {
			r, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case replies <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	want := uint64(101) // the next NewSize expected
	notices := 0
	for want < uint64(101+raised) {
		var r *providerwire.EventsReply
		select {
		case r = <-replies:
		case <-time.After(10 * time.Second):
		}
		if r == nil {
			err := fmt.Errorf("none came in 10 s, or the stream ended")
			t.Fatalf("after %d of %d events: %v", want-101, raised, err)
		}
		if n, first, ok := providerwire.ParseLostNotice(r.GetEvent()); ok {
			notices++
			if n == 0 || first == nil {
				t.Fatalf("notice of %d lost events, first %v", n, first)
			}
			got := newSize(first)
			if intrinsic {
				ev, created, ok := providerwire.ParseLostInstanceEvent(first)
				if !ok || ev.Kind != providerwire.InstanceEvent_MODIFIED || sizeOf(ev.Previous) != want-1 ||
					created < start || created > providerwire.FileTime(time.Now()) {
					t.Errorf("the notice's first lost event %v, want the __InstanceModificationEvent of Size %d to %d, made since the subscription", first, want-1, want)
				}
				got = sizeOf(ev.GetInstance())
			}
			if got != want {
				t.Errorf("the notice's first lost event has NewSize %d, want %d (the one after the last delivered)", got, want)
			}
			want += n
			continue
		}
		var got uint64
		switch {
		case !intrinsic && r.GetEvent() != nil:
			got = newSize(r.GetEvent())
		case intrinsic && r.GetInstanceEvent() != nil:
			got = sizeOf(r.GetInstanceEvent().GetInstance())
		default:
			t.Fatalf("after %d of %d events: %v, want an event", want-101, raised, r)
		}
		if got != want {
			t.Fatalf("event NewSize %d, want %d", got, want)
		}
		want++
	}
	if notices == 0 {
		t.Errorf("%d events raised, all delivered: none lost?", raised)
	}
	t.Logf("%d events raised, %d notices", raised, notices)
}

// newSize is the NewSize of an Example_ItemGrown on the wire.
func newSize(m *providerwire.Instance) uint64 { return unsigned(m, "NewSize") }

// sizeOf is the Size of an Example_Item on the wire.
func sizeOf(m *providerwire.Instance) uint64 { return unsigned(m, "Size") }

func unsigned(m *providerwire.Instance, name string) uint64 {
	for _, p := range m.GetProperties() {
		if p.Name == name {
			return p.Value.GetUnsigned()
		}
	}
	return 0
}

// pluginClient is go-plugin's client of the provider command, configured
// as the daemon configures it; the provider's standard error goes to
// stderr (nil: go-plugin's default).
// dispense starts the provider command with go-plugin's client, as the
// daemon does, and returns its provider service and what it writes to
// standard error; the process is killed when the test ends.
func dispense(t *testing.T, command []string) (providerwire.ProviderClient, *cimtest.SyncBuffer) {
	t.Helper()
	stderr := &cimtest.SyncBuffer{}
	client := pluginClient(command, stderr)
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin could not start the provider: %v", err)
	}
	raw, err := rpc.Dispense(providerwire.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(providerwire.ProviderClient), stderr
}

func pluginClient(command []string, stderr io.Writer) *goplugin.Client {
	return goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  providerwire.Handshake,
		Plugins:          providerwire.Plugins(nil),
		Cmd:              exec.Command(command[0], command[1:]...),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     time.Minute,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
		Stderr:           stderr,
	})
}
