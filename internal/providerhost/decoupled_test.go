//go:build linux

package providerhost

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider/plugin"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// decoupledArg makes the test binary a decoupled provider application:
// gowbem-test-decoupled SOCKET NAMESPACE PROVIDER [N] registers and serves
// N (10) workload instances until killed, and prints why ServeDecoupled
// returned.
const decoupledArg = "gowbem-test-decoupled"

func init() {
	if (len(os.Args) == 5 || len(os.Args) == 6) && os.Args[1] == decoupledArg {
		n := 10
		if len(os.Args) == 6 {
			n, _ = strconv.Atoi(os.Args[5]) // the benchmark's
		}
		err := plugin.ServeDecoupled(context.Background(), os.Args[2], os.Args[3], os.Args[4], &workload.Provider{N: n})
		fmt.Println("ServeDecoupled:", err)
		os.Exit(3)
	}
}

// decoupledMOF registers provider name as Decoupled, serving class T_<name>
// (the workload's properties and method); extra goes into __Win32Provider.
func decoupledMOF(name, extra string) string {
	return `
[Dynamic, Provider("` + name + `")]
class T_` + name + ` {
	[Key] uint32 Id;
	string Name;
	string Description;
	string Owner;
	string Status;
	sint64 Count;
	uint64 Size;
	uint16 Flags;
	datetime Created;
	boolean Active;
	[Static, Implemented] uint32 Echo([In] string Text, [Out] string Reply);
};
instance of __Win32Provider as $` + name + ` {
	Name = "` + name + `";
	HostingModel = "Decoupled:Com";
	` + extra + `
};
instance of __InstanceProviderRegistration {
	Provider = $` + name + `;
	SupportsGet = TRUE;
	SupportsEnumeration = TRUE;
};
instance of __MethodProviderRegistration { Provider = $` + name + `; };
`
}

// logBuffer collects a host's log for tests that check what it logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type decoupledEnv struct {
	om   *cimom.ObjectManager
	svc  *wbem.Services
	host *Host
	reg  *Registry
	d    *Registrar
	log  *logBuffer
	sock string
}

// newDecoupled returns an object manager with registrations from the
// repository and a registrar on a socket in dir (a temporary one if "").
func newDecoupled(t testing.TB, dir string, cfg RegistrarConfig) *decoupledEnv {
	t.Helper()
	lb := &logBuffer{}
	var w io.Writer = lb
	if testing.Verbose() {
		w = io.MultiWriter(lb, os.Stderr)
	}
	h := newHost(t, Config{Logger: slog.New(slog.NewTextHandler(w, nil))})
	reg := NewRegistry(h)
	t.Cleanup(reg.Close)
	om := cimom.NewMemory(cimom.WithProviderResolver(reg), cimom.WithSystemClasses(RegistrationClasses()...))
	reg.Attach(om)
	if dir == "" {
		dir = t.TempDir()
	}
	cfg.Path = filepath.Join(dir, "provider.sock")
	d, err := NewRegistrar(reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return &decoupledEnv{om: om, svc: om.Services(`root\cimv2`), host: h, reg: reg, d: d, log: lb, sock: cfg.Path}
}

// serve runs ServeDecoupled in the background; stop ends it and returns
// what it returned.
func (e *decoupledEnv) serve(ns, name string, p any) (stop func() error, done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- plugin.ServeDecoupled(ctx, e.sock, ns, name, p) }()
	return func() error { cancel(); return <-ch }, ch
}

// waitServed waits until class's calls stop failing with
// WBEM_E_PROVIDER_NOT_FOUND (the application has registered), or done says
// it gave up.
func waitServed(t testing.TB, svc *wbem.Services, class string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := collect(t, svc, "SELECT * FROM "+class)
		if !isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("ServeDecoupled returned %v before registering", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not served a minute after the application started: %v", class, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isStatus(err error, st cim.Status) bool {
	e, ok := err.(*cim.Error)
	if !ok {
		e = cim.AsError(err)
	}
	return err != nil && e != nil && e.Status == st
}

func TestDecoupledProvider(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	compile(t, e.om, decoupledMOF("App", "")+decoupledMOF("Other", `UnloadTimeout = "00000000000001.000000:000";`)+`
[Dynamic, Provider("Elsewhere")] class T_Elsewhere { [Key] uint32 Id; };
instance of __Win32Provider as $E { Name = "Elsewhere"; CommandLine = "/bin/true"; };
instance of __InstanceProviderRegistration { Provider = $E; SupportsEnumeration = TRUE; };
`)
	ctx := context.Background()

	// Before any application registers, the classes are not served.
	_, err := collect(t, e.svc, "SELECT * FROM T_App")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"App"`, "decoupled", "no running application")

	stop, done := e.serve(`root\cimv2`, "App", &workload.Provider{N: 1000})
	waitServed(t, e.svc, "T_App", done)

	// Enumerate, get and a method through the object manager.
	got, err := collect(t, e.svc, "SELECT * FROM T_App")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || got[999].Value("Name").Str() != "item-999" {
		t.Fatalf("enumeration: %d instances", len(got))
	}
	inst, err := get(e.svc, "T_App.Id=42")
	if err != nil || inst.Value("Name").Str() != "item-42" {
		t.Fatalf("GetObject: %v %v", inst, err)
	}
	in := (&cim.Class{Name: "__PARAMETERS", Properties: []cim.Property{{Name: "Text", Type: cim.TypeString}}}).NewInstance()
	in.Set("Text", cim.String("décor"))
	r, err := e.svc.ExecMethod(ctx, "T_App", "Echo", in, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.ResultObject(wbem.Infinite)
	if err != nil || out.(*cim.Instance).Value("Reply").Str() != "décor" {
		t.Fatalf("Echo: %v %v", out, err)
	}

	// The same over WS-Management.
	hs := httptest.NewServer(wsman.NewServer(e.om, wsman.Options{AllowAnonymous: true, ServerName: "test"}))
	defer hs.Close()
	remote, err := wbem.Connect(ctx, hs.URL+"/wsman", `root\cimv2`, wbem.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := collect(t, remote, "SELECT * FROM T_App"); err != nil || len(got) != 1000 {
		t.Fatalf("WS-Man enumeration: %d instances, %v", len(got), err)
	}
	if inst, err := get(remote, "T_App.Id=7"); err != nil || inst.Value("Name").Str() != "item-7" {
		t.Fatalf("WS-Man GetObject: %v %v", inst, err)
	}
	r, err = remote.ExecMethod(ctx, "T_App", "Echo", in, 0)
	if err == nil {
		_, err = r.ResultObject(wbem.Infinite)
	}
	if err != nil {
		t.Fatalf("WS-Man Echo: %v", err)
	}

	// A second application may not take a registration that is held, nor
	// serve one that does not exist or is not decoupled.
	for _, c := range []struct {
		ns, name string
		st       cim.Status
		mention  string
	}{
		{`root\cimv2`, "App", cim.WBEM_E_ALREADY_EXISTS, "already registered"},
		{`root\cimv2`, "Nothing", cim.WBEM_E_NOT_FOUND, "Nothing"},
		{`root\nowhere`, "App", cim.WBEM_E_INVALID_NAMESPACE, ""},
		{`root\cimv2`, "Elsewhere", cim.WBEM_E_INVALID_PARAMETER, "not Decoupled"},
	} {
		_, done2 := e.serve(c.ns, c.name, &workload.Provider{N: 1})
		select {
		case err := <-done2:
			wantStatus(t, err, c.st, c.mention)
		case <-time.After(time.Minute):
			t.Fatalf("registering %s of %s: not refused", c.name, c.ns)
		}
	}
	if got, err := collect(t, e.svc, "SELECT * FROM T_App"); err != nil || len(got) != 1000 {
		t.Fatalf("after the refusals: %d instances, %v", len(got), err)
	}

	// The application ends: its classes vanish; the others never came.
	if err := stop(); err != nil {
		t.Fatalf("ServeDecoupled returned %v after its ctx ended", err)
	}
	waitGone(t, e.svc, "T_App")
	_, err = get(e.svc, "T_App.Id=1")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"App"`)
	if !strings.Contains(e.log.String(), "decoupled provider unregistered") {
		t.Errorf("the end of the registration is not logged:\n%s", e.log.String())
	}

	// It comes back: registered again, served again.
	_, done = e.serve(`root\cimv2`, "App", &workload.Provider{N: 5})
	waitServed(t, e.svc, "T_App", done)
	if got, err := collect(t, e.svc, "SELECT * FROM T_App"); err != nil || len(got) != 5 {
		t.Fatalf("after registering again: %d instances, %v", len(got), err)
	}

	// Deleting the registration ends it: the application is told why.
	if err := do(e.svc.DeleteInstance(ctx, `__Win32Provider.Name="App"`, 0)); err != nil {
		t.Fatal(err)
	}
	e.reg.Recheck(ctx)
	select {
	case err := <-done:
		wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, "deleted")
	case <-time.After(time.Minute):
		t.Fatal("ServeDecoupled still runs after its registration was deleted")
	}
}

// waitGone waits until class's calls fail with WBEM_E_PROVIDER_NOT_FOUND.
func waitGone(t *testing.T, svc *wbem.Services, class string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := collect(t, svc, "SELECT * FROM "+class)
		if isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still served a minute after its application left: %v", class, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A decoupled provider that hangs times out like any provider; its
// registration ends, and the application, told why, may register again.
func TestDecoupledHangTimesOut(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	compile(t, e.om, decoupledMOF("Stuck", `OperationTimeoutInterval = "00000000000000.500000:000";`))
	_, done := e.serve(`root\cimv2`, "Stuck", hang{})
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := get(e.svc, "T_Stuck.Id=1")
		if isStatus(err, cim.WBEM_E_PROVIDER_TIMED_OUT) {
			wantStatus(t, err, cim.WBEM_E_PROVIDER_TIMED_OUT, `"Stuck"`, "registration was ended")
			break
		}
		if !isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) || time.Now().After(deadline) {
			t.Fatalf("GetObject of a hung decoupled provider: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, "timed out")
	case <-time.After(time.Minute):
		t.Fatal("ServeDecoupled still runs after its provider timed out")
	}
	_, err := get(e.svc, "T_Stuck.Id=1")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"Stuck"`)
}

// The socket is the daemon's account's alone (mode 0600) unless a group is
// configured (0660, that group); a stale one is replaced, a live one kept.
func TestDecoupledSocketMode(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	fi, err := os.Stat(e.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// A second registrar on a live socket is refused.
	if _, err := NewRegistrar(e.reg, RegistrarConfig{Path: e.sock}); err == nil || !strings.Contains(err.Error(), "listens") {
		t.Errorf("a second registrar on a live socket: %v", err)
	}
	e.d.Close()
	if _, err := os.Stat(e.sock); !os.IsNotExist(err) {
		t.Errorf("the socket file outlives the registrar: %v", err)
	}

	g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
	if err != nil {
		t.Skip("the test's own group has no name:", err)
	}
	d, err := NewRegistrar(e.reg, RegistrarConfig{Path: e.sock, Group: g.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fi, err = os.Stat(e.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || fi.Sys().(*syscall.Stat_t).Gid != uint32(os.Getegid()) {
		t.Errorf("socket mode %v gid %d, want 0660 and %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Gid, os.Getegid())
	}
	if _, err := NewRegistrar(e.reg, RegistrarConfig{Path: filepath.Join(t.TempDir(), "s"), Group: "no-such-group-gowbem"}); err == nil {
		t.Error("a registrar for a group that does not exist started")
	}
	// A connection that registers nothing is closed.
	d.Close()
	d, err = NewRegistrar(e.reg, RegistrarConfig{Path: e.sock, RegisterTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("an idle connection: read %v, want EOF", err)
	}
}

// As root: another account's application is refused by the socket's mode,
// then (mode opened up) by its credentials, and logged; the account a
// registration names, or a member of the configured group, is served.
func TestDecoupledRefusesOtherAccounts(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatal("needs root, to run an application as another account")
		}
		t.Skip("needs root, to run an application as another account")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no account nobody:", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	// A directory nobody can reach, holding a copy of the test binary it can
	// run, and the socket.
	dir, err := os.MkdirTemp("", "gowbem-decoupled-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	exe := filepath.Join(dir, "app")
	if err := copyFile(exe, self(t)[0]); err != nil {
		t.Fatal(err)
	}
	app := func(name string) *exec.Cmd {
		cmd := exec.Command(exe, decoupledArg, filepath.Join(dir, "provider.sock"), `root\cimv2`, name)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		return cmd
	}
	run := func(name string) string {
		out, _ := app(name).CombinedOutput()
		return string(out)
	}

	e := newDecoupled(t, dir, RegistrarConfig{})
	compile(t, e.om, decoupledMOF("Mine", "")+decoupledMOF("Theirs", `User = "nobody";`))

	// Mode 0600: nobody cannot even connect.
	if out := run("Mine"); !strings.Contains(out, "permission denied") {
		t.Errorf("nobody connecting to a 0600 socket: %s", out)
	}
	// Mode opened up (a misconfiguration): its credentials refuse it.
	os.Chmod(e.sock, 0o666)
	out := run("Mine")
	if !strings.Contains(out, "ACCESS_DENIED") && !strings.Contains(out, "may not register") {
		t.Errorf("nobody registering a provider that names no account: %s", out)
	}
	if l := e.log.String(); !strings.Contains(l, "registration refused") || !strings.Contains(l, "uid="+nobody.Uid) {
		t.Errorf("the refusal is not logged with the uid:\n%s", l)
	}
	_, err = collect(t, e.svc, "SELECT * FROM T_Mine")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND)

	// The registration naming nobody: nobody's application serves it, until
	// it is killed.
	cmd := app("Theirs")
	var stdout logBuffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitServed(t, e.svc, "T_Theirs", done)
	if got, err := collect(t, e.svc, "SELECT * FROM T_Theirs"); err != nil || len(got) != 10 {
		t.Fatalf("nobody's provider: %d instances, %v (%s)", len(got), err, stdout.String())
	}
	cmd.Process.Kill()
	<-done
	waitGone(t, e.svc, "T_Theirs")

	// With the group nobody is in, nobody may register one that names no
	// account.
	e.d.Close()
	g, err := user.LookupGroupId(nobody.Gid)
	if err != nil {
		t.Skip("nobody's group has no name:", err)
	}
	d, err := NewRegistrar(e.reg, RegistrarConfig{Path: e.sock, Group: g.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cmd = app("Mine")
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitServed(t, e.svc, "T_Mine", done)
	cmd.Process.Kill()
	<-done
}

func copyFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// An application that goes while a call is in flight fails that call with
// WBEM_E_PROVIDER_FAILURE naming the provider; the next call finds its
// classes gone.
func TestDecoupledDisconnectFailsCallsInFlight(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	compile(t, e.om, decoupledMOF("Stream", ""))
	before := emitted.Load()
	stop, done := e.serve(`root\cimv2`, "Stream", endless{})
	waitServedGet(t, e.svc, "T_Stream", done)
	en, err := e.svc.CreateInstanceEnum(context.Background(), "T_Stream", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	buf := make([]cim.Object, 100)
	if n, err := en.Next(wbem.Infinite, buf); err != nil || n != 100 {
		t.Fatalf("Next: %d, %v", n, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("ServeDecoupled returned %v after its ctx ended", err)
	}
	for err == nil {
		_, err = en.Next(wbem.Infinite, buf)
	}
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Stream"`)
	if emitted.Load() == before {
		t.Error("the provider emitted nothing")
	}
	_, err = collect(t, e.svc, "SELECT * FROM T_Stream")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"Stream"`)
}

// waitServedGet is waitServed for a provider that never ends an
// enumeration: it asks for an instance instead.
func waitServedGet(t *testing.T, svc *wbem.Services, class string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := get(svc, class+".Id=1")
		if !isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("ServeDecoupled returned %v before registering", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not served a minute after the application started: %v", class, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// decoupledEventsMOF registers provider name as Decoupled, raising the
// eventer's T_Event (and T_SubEvent) with its methods on T_Raise.
func decoupledEventsMOF(name string) string {
	return `
[Provider("` + name + `")] class T_Event : __ExtrinsicEvent { string Text; uint32 N; };
class T_SubEvent : T_Event { sint64 Extra; };
[Dynamic, Provider("` + name + `")] class T_Raise {
	[Key] uint32 Id;
	[Static, Implemented] uint32 Raise([In] string Text, [In] uint32 Count);
	[Static, Implemented] uint32 Active([Out] uint32 Count);
	[Static, Implemented] uint32 Fail();
	[Static, Implemented] uint32 Crash();
};
instance of __Win32Provider as $P { Name = "` + name + `"; HostingModel = "Decoupled:Com"; };
instance of __MethodProviderRegistration { Provider = $P; };
instance of __EventProviderRegistration { Provider = $P; EventQueryList = {"SELECT * FROM T_Event"}; };
`
}

// A decoupled provider raises extrinsic events: a subscriber in the daemon
// gets them, filtered; its end reaches the application; when the
// application disconnects, its subscriptions end with
// WBEM_E_PROVIDER_FAILURE naming it, its provider's ctx ends, and its
// classes vanish (new subscriptions and calls: WBEM_E_PROVIDER_NOT_FOUND)
// until it registers again.
func TestDecoupledEvents(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	compile(t, e.om, decoupledEventsMOF("Dec"))

	// No application yet: nothing to subscribe to.
	_, err := subscribe(t, e.svc, "SELECT * FROM T_Event")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"Dec"`, "decoupled")

	app := newEventer()
	subs := func() int {
		app.mu.Lock()
		defer app.mu.Unlock()
		return len(app.sinks)
	}
	stop, done := e.serve(`root\cimv2`, "Dec", app)
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := raise(t, e.svc, "Active", nil)
		if err == nil {
			break
		}
		if !isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) || time.Now().After(deadline) {
			t.Fatalf("the application's method: %v", err)
		}
		select {
		case err := <-done:
			t.Fatalf("ServeDecoupled returned %v before registering", err)
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}

	sub, err := subscribe(t, e.svc, "SELECT * FROM T_Event WHERE Text <> 'skip'")
	if err != nil {
		t.Fatal(err)
	}
	other, err := subscribe(t, e.svc, "SELECT * FROM T_SubEvent WHERE Extra = -42")
	if err != nil {
		t.Fatal(err)
	}
	if n := subs(); n != 2 {
		t.Fatalf("the application serves %d subscriptions, want 2", n)
	}
	for _, text := range []string{"skip", "hello", "sub"} {
		if _, err := raise(t, e.svc, "Raise", map[string]cim.Value{"Text": cim.String(text), "Count": cim.Uint32(2)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"T_Event hello 0", "T_Event hello 1", "T_SubEvent sub 0", "T_SubEvent sub 1"} {
		ev, err := next(t, sub)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.ClassName() + " " + ev.Value("Text").Str() + " " + ev.Value("N").String(); got != want {
			t.Fatalf("event %d: %s, want %s", i, got, want)
		}
	}
	for i := range 2 { // the provider is asked for T_SubEvent: all its events are; Extra is set on "sub"'s
		if ev, err := next(t, other); err != nil || ev.ClassName() != "T_SubEvent" || ev.Value("Text").Str() != "sub" || ev.Value("N").Uint() != uint64(i) {
			t.Fatalf("the subclass's subscription, event %d: %v, %v", i, ev, err)
		}
	}

	// A subscription's end reaches the application.
	other.Close()
	waitFor(t, "the subscription's end to reach the application", func() bool { return subs() == 1 })

	// The application disconnects: the subscription ends, naming it; its
	// provider's ctx ends; its classes vanish.
	if err := stop(); err != nil {
		t.Fatalf("ServeDecoupled returned %v after its ctx ended", err)
	}
	_, err = next(t, sub)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Dec"`)
	sub.Close()
	waitFor(t, "the application's subscriptions to end", func() bool { return subs() == 0 })
	waitFor(t, "the subscription's goroutines to end", func() bool {
		return !strings.Contains(goroutines(), "providerhost.(*Proxy).events")
	})
	_, err = subscribe(t, e.svc, "SELECT * FROM T_Event")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"Dec"`)
	_, err = raise(t, e.svc, "Raise", map[string]cim.Value{"Text": cim.String("gone"), "Count": cim.Uint32(1)})
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, `"Dec"`)

	// Registered again, its events flow again.
	stop, done = e.serve(`root\cimv2`, "Dec", app)
	defer stop()
	deadline = time.Now().Add(time.Minute)
	for {
		sub, err = subscribe(t, e.svc, "SELECT * FROM T_Event")
		if err == nil {
			break
		}
		if !isStatus(err, cim.WBEM_E_PROVIDER_NOT_FOUND) || time.Now().After(deadline) {
			t.Fatalf("subscribing after the application came back: %v", err)
		}
		select {
		case err := <-done:
			t.Fatalf("ServeDecoupled returned %v before registering", err)
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer sub.Close()
	if _, err := raise(t, e.svc, "Raise", map[string]cim.Value{"Text": cim.String("again"), "Count": cim.Uint32(1)}); err != nil {
		t.Fatal(err)
	}
	if ev, err := next(t, sub); err != nil || ev.Value("Text").Str() != "again" {
		t.Fatalf("after registering again: %v, %v", ev, err)
	}
}
