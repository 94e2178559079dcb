package daemon

// The tests that attack: what issue 13 found (any user is root, unlimited
// stalled connections, password floods starving logged-in users, hung
// providers, SIGHUP killing the daemon) tried again against the daemon.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/users"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
)

// getItem is a WS-Management Get of GW_Item.Id=1 (the test workload).
const getItem = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
	`xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>` +
	`<wsa:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action>` +
	`<wsa:To>/wsman</wsa:To><wsa:MessageID>uuid:0000-1</wsa:MessageID>` +
	`<wsman:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/GW_Item</wsman:ResourceURI>` +
	`<wsman:SelectorSet><wsman:Selector Name="Id">1</wsman:Selector></wsman:SelectorSet></s:Header><s:Body/></s:Envelope>`

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.2, …): the daemon sees different callers.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}}
}

// post sends getItem as user and returns the HTTP status.
func post(c *http.Client, url, user, pw string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(getItem))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(user, pw)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func adminPassword(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// floodMedianBound (race_on_test.go, race_off_test.go) and FloodLoginBound
// are what a password flood may cost the users: the median Get of a
// logged-in user, and a fresh login of another user from another address
// (or four times one without the flood, on a machine so loaded that one
// takes longer), while 32 connections guess passwords as fast as they can
// (bcrypt at its default cost, or 4 under the race detector: floodCost;
// measured figures in docs/security.md).
const FloodLoginBound = 3 * time.Second

// A flood of bad passwords neither starves a logged-in user nor makes a
// fresh login of another user wait long, and costs few verifications: its
// address and the user it guesses are made to wait, without a bcrypt.
func TestPasswordFlood(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", Install: installWorkload(3)})
	defer s.shutdown(t)
	url := "http://" + s.http.String() + Path
	pw := "admin-pw"
	if code, _, e := runUsers(t, pw+"\n", "--state-dir", dir, "--bcrypt-cost", floodCost, "passwd", AdminUser, "--password-file", "-"); code != ExitOK {
		t.Fatal(e)
	}
	for _, u := range []string{"carol", "dave"} {
		if code, _, e := runUsers(t, u+"-pw\n", "--state-dir", dir, "--bcrypt-cost", floodCost, "add", u, "--password-file", "-"); code != ExitOK {
			t.Fatal(e)
		}
	}
	admin, attacker, carol := clientFrom("127.0.0.1"), clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	if code, err := post(admin, url, AdminUser, pw); code != 200 {
		t.Fatalf("admin's first login: %d %v", code, err)
	}
	// A fresh login without a flood, the baseline (bcrypt at its default
	// cost, on this machine, now).
	t0 := time.Now()
	if code, err := post(carol, url, "dave", "dave-pw"); code != 200 {
		t.Fatalf("dave's login: %d %v", code, err)
	}
	quiet := time.Since(t0)
	var quietLat []time.Duration
	for range 20 {
		t0 := time.Now()
		post(admin, url, AdminUser, pw)
		quietLat = append(quietLat, time.Since(t0))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var guesses, throttled atomic.Int64
	for i := range 32 {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				code, err := post(attacker, url, AdminUser, fmt.Sprintf("guess-%d-%d", i, n))
				if err == nil {
					guesses.Add(1)
					if code == http.StatusTooManyRequests {
						throttled.Add(1)
					}
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // the flood is on
	var lat []time.Duration
	for t0 := time.Now(); time.Since(t0) < 3*time.Second; {
		start := time.Now()
		code, err := post(admin, url, AdminUser, pw)
		lat = append(lat, time.Since(start))
		if code != 200 {
			t.Fatalf("the logged-in admin during the flood: %d %v", code, err)
		}
	}
	t0 = time.Now()
	code, err := post(carol, url, "carol", "carol-pw")
	carolTook := time.Since(t0)
	cancel()
	wg.Wait()
	if code != 200 {
		t.Fatalf("carol's first login during the flood: %d %v", code, err)
	}
	verified := strings.Count(s.log.String(), `msg="login failed"`)
	t.Logf("quiet: admin's Get median %v, a fresh login %v; flood: %d guesses (%d throttled, %d verified); admin's Get: median %v over %d, max %v; carol's fresh login %v",
		median(quietLat), quiet, guesses.Load(), throttled.Load(), verified, median(lat), len(lat), slices.Max(lat), carolTook)
	// The latency bounds hold for a machine that runs this test, not for
	// one whose CPUs are queued many times over by other jobs (a shared
	// development VM): there they are reported, not asserted. The
	// throttling below is asserted whatever the load.
	if load, over := overloaded(); over {
		t.Logf("load average %.1f on %d CPUs: the latency bounds are not asserted", load, runtime.NumCPU())
	} else {
		if m := median(lat); m > floodMedianBound {
			t.Errorf("the logged-in admin's median Get during the flood: %v, bound %v", m, floodMedianBound)
		}
		if bound := max(FloodLoginBound, 4*quiet); carolTook > bound {
			t.Errorf("a fresh login during the flood took %v, bound %v (%v without the flood)", carolTook, bound, quiet)
		}
	}
	// 5 free failures, then one attempt per doubled wait (1 s, 2 s) in ~3 s.
	if verified > 12 || throttled.Load() == 0 {
		t.Errorf("%d passwords verified of %d guesses (%d throttled): the flood is not throttled", verified, guesses.Load(), throttled.Load())
	}
	if strings.Contains(s.log.String(), "guess-") {
		t.Error("a guessed password reached the log")
	}
}

// overloaded reports whether the machine's one-minute load average is
// over four times its CPUs (Linux; elsewhere never).
func overloaded() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	load, err := strconv.ParseFloat(f[0], 64)
	return load, err == nil && load > 4*float64(runtime.NumCPU())
}

// vmRSS returns a process's resident set in bytes.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmRSS in %s", b)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// stall opens n connections to addr that each send head and part of a
// chunked body, then nothing more.
func stall(t *testing.T, addr string, n int, head string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns), err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, head+"Transfer-Encoding: chunked\r\n\r\n1000\r\n<s:Envelope"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	return conns
}

// answer reads a response's status line from c ("" when the daemon closed
// it without one) and reports whether the daemon closed the connection.
func answer(c net.Conn) (status string, closed bool) {
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err == nil {
		status = resp.Status
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, err = br.ReadByte()
	return status, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// StalledMemoryBound is how much a daemon's resident set may grow while
// hundreds of connections stall (measured figures in docs/security.md).
const StalledMemoryBound = 64 << 20

// Hundreds of connections that send half a chunked body and stall: without
// credentials each is answered 401 from its headers and closed at once;
// with them each is cut at the read timeout with 408; the daemon's memory
// stays within StalledMemoryBound throughout.
func TestStalledConnections(t *testing.T) {
	state := t.TempDir()
	p := startProc(t, nil, 1, "--state-dir", state, "--http", "127.0.0.1:0", "--cimxml", "",
		"--read-timeout", "2s", "--max-connections-per-address", "2048", "--max-connections", "2048")
	pid := p.cmd.Process.Pid
	base := vmRSS(t, pid)
	unauth := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n"
	conns := stall(t, p.http, 1000, unauth)
	for i, c := range conns {
		if status, closed := answer(c); !strings.HasPrefix(status, "401") || !closed {
			t.Fatalf("unauthenticated stalled connection %d: %q, closed %v", i, status, closed)
		}
	}
	afterUnauth := vmRSS(t, pid)
	authed := unauth + "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(AdminUser+":"+adminPassword(t, state))) + "\r\n"
	conns = stall(t, p.http, 500, authed)
	// Timed from the last connection's stall: setting up 500 connections
	// takes seconds of its own on a loaded machine, and every connection
	// must be cut within the read timeout of its own stall.
	t0 := time.Now()
	time.Sleep(time.Second) // all stalled, the read timeout (2 s) not yet passed
	peak := vmRSS(t, pid)
	for i, c := range conns {
		if status, closed := answer(c); !strings.HasPrefix(status, "408") || !closed {
			t.Fatalf("authenticated stalled connection %d: %q, closed %v", i, status, closed)
		}
	}
	cut := time.Since(t0)
	t.Logf("resident set: %d MB at start, %d MB after 1000 unauthenticated stalls, %d MB with 500 authenticated stalls open; all cut within %v of the last stall",
		base>>20, afterUnauth>>20, peak>>20, cut.Round(time.Millisecond))
	for name, rss := range map[string]int64{"after 1000 unauthenticated stalls": afterUnauth, "with 500 authenticated stalls": peak} {
		if rss-base > StalledMemoryBound {
			t.Errorf("resident set %s: %d MB over the %d MB at start, bound %d MB", name, (rss-base)>>20, base>>20, StalledMemoryBound>>20)
		}
	}
	if cut > 10*time.Second {
		t.Errorf("stalled bodies cut %v after the last stall with --read-timeout 2s", cut)
	}
	p.term(t)
}

// Past --max-connections-per-address a connection is closed as soon as it
// is accepted; the ones within keep being served.
func TestConnectionLimit(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", MaxConnectionsPerAddress: 16, ReadTimeout: 5 * time.Second,
		Install: installWorkload(3)})
	defer s.shutdown(t)
	head := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" +
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(AdminUser+":"+adminPassword(t, dir))) + "\r\n"
	held := stall(t, s.http.String(), 16, head)
	time.Sleep(200 * time.Millisecond)
	over := stall(t, s.http.String(), 8, head)
	for i, c := range over {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if status, closed := answer(c); status != "" || !closed {
			t.Errorf("connection %d past the limit: %q, closed %v", i, status, closed)
		}
	}
	// Another address is not affected.
	if code, err := post(clientFrom("127.0.0.2"), "http://"+s.http.String()+Path, AdminUser, adminPassword(t, dir)); code != 200 {
		t.Errorf("another address while one is at its limit: %d %v", code, err)
	}
	for _, c := range held {
		c.Close()
	}
	if !strings.Contains(s.log.String(), "connection refused: too many open connections") {
		t.Error("refused connections were not logged")
	}
}

// SIGHUP reloads the users file: the daemon goes on (it used to die with
// exit 129), its enumerations stay open, and it says so in its log.
func TestSIGHUP(t *testing.T) {
	state := t.TempDir()
	p := startProc(t, []string{"WORKLOAD=1000000,5ms"}, 1, "--state-dir", state, "--http", "127.0.0.1:0", "--cimxml", "")
	svc := connect(t, "http://"+p.http+Path+"?pullwait=100ms", AdminUser, adminPassword(t, state), nil)
	e, err := svc.CreateInstanceEnum(context.Background(), "GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if n, err := e.Next(10*time.Second, make([]cim.Object, 1)); n != 1 {
		t.Fatalf("first object: %v", err)
	}
	// A user added in the file by hand (not through wbemd users).
	h, _ := users.Hash("bob-pw", 4)
	f, err := os.OpenFile(filepath.Join(state, UsersFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "bob:%s::\n", h)
	f.Close()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.log.String(), "users file reloaded on request") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged after SIGHUP:\n%s", p.log)
		}
		select {
		case <-p.exited:
			t.Fatalf("wbemd exited on SIGHUP (%v):\n%s", p.state, p.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n, err := e.Next(10*time.Second, make([]cim.Object, 1)); n != 1 {
		t.Fatalf("the enumeration after SIGHUP: %v", err)
	}
	bob := connect(t, "http://"+p.http+Path, "bob", "bob-pw", nil)
	if _, err := bob.GetObject(context.Background(), "__SystemClass", 0); err != nil {
		t.Fatalf("bob after the reload: %v", err)
	}
	e.Close()
	p.term(t)
}

// installWorkload is a Config.Install that serves n instances of the
// synthetic workload's GW_Item.
func installWorkload(n int) func(context.Context, *cimom.ObjectManager) error {
	return func(ctx context.Context, om *cimom.ObjectManager) error {
		om.RegisterProvider(workload.ProviderName, &workload.Provider{N: n})
		return workload.Setup(ctx, om.Services(workload.Namespace))
	}
}

func fstestMOF(text string) fstest.MapFS { return fstest.MapFS{"b.mof": {Data: []byte(text)}} }

// boom is a provider whose failures carry what callers must not see.
type boom struct{}

func (boom) EnumerateInstances(context.Context, *cim.Class, provider.Emitter) error { return nil }
func (boom) GetInstance(context.Context, *cim.Class, cim.ObjectPath) (*cim.Instance, error) {
	return nil, &os.PathError{Op: "open", Path: "/var/lib/secret/boom.db", Err: syscall.EACCES}
}
func (boom) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	panic("boom at /srv/internal/boom.go")
}

// Every write and method call and every refusal is in the audit log (who,
// from where, what, result); failures' internal causes go to the log with
// an incident id that the caller's fault carries instead of the detail.
func TestAuditAndIncidents(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", Install: func(ctx context.Context, om *cimom.ObjectManager) error {
		om.RegisterProvider("Boom", boom{})
		_, err := om.CompileMOF(ctx, fstestMOF(`[Dynamic, Provider("Boom")] class Boom_Item { [Key] string Id; [Static] uint32 Go(); };`), "b.mof", `root\cimv2`)
		return err
	}})
	defer s.shutdown(t)
	url := "http://" + s.http.String() + Path
	admin := connect(t, url, AdminUser, adminPassword(t, dir), nil)
	runUsers(t, "bob-pw\n", "--state-dir", dir, "--bcrypt-cost", "4", "add", "bob", "--password-file", "-")
	bob := connect(t, url, "bob", "bob-pw", nil)
	ctx := context.Background()
	if _, err := admin.PutClass(ctx, &cim.Class{Name: "Audit_X"}, 0); err != nil {
		t.Fatal(err)
	}
	_, err := bob.PutClass(ctx, &cim.Class{Name: "Audit_Y"}, 0)
	if !errors.Is(err, cim.ErrAccessDenied) || !strings.Contains(err.Error(), "FullWrite") {
		t.Fatalf("bob's PutClass: %v", err)
	}
	if _, err := connect(t, url, "bob", "wrong-pw", nil).GetObject(ctx, "__SystemClass", 0); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	_, getErr := admin.GetObject(ctx, `Boom_Item.Id="1"`, 0)
	_, callErr := admin.ExecMethod(ctx, "Boom_Item", "Go", nil, 0)
	log := s.log.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`msg=operation audit=true user=admin addr=127\.0\.0\.1:\d+ op=PutClass namespace=root\\cimv2 target=Audit_X result=ok`),
		regexp.MustCompile(`msg="operation refused" audit=true user=bob addr=127\.0\.0\.1:\d+ op=PutClass .*result=WBEM_E_ACCESS_DENIED`),
		regexp.MustCompile(`msg="login failed" user=bob addr=127\.0\.0\.1 reason="bad password or unknown user"`),
		regexp.MustCompile(`msg=operation audit=true user=admin .*op=ExecMethod .*target=Boom_Item result=WBEM_E_PROVIDER_FAILURE .*method=Go`),
	} {
		if !want.MatchString(log) {
			var audit []string
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, "audit=true") || strings.Contains(l, "login failed") {
					audit = append(audit, l)
				}
			}
			t.Errorf("the log lacks %s; it has:\n%s", want, strings.Join(audit, "\n"))
		}
	}
	if strings.Contains(log, "wrong-pw") || strings.Contains(log, "bob-pw") || strings.Contains(log, adminPassword(t, dir)) {
		t.Error("a password is in the log")
	}
	for name, err := range map[string]error{"Get": getErr, "ExecMethod": callErr} {
		desc := cim.AsError(err).Description
		m := regexp.MustCompile(`incident ([0-9a-f]{12})`).FindStringSubmatch(desc)
		if m == nil || strings.Contains(desc, "/var/lib") || strings.Contains(desc, "/srv/") || strings.Contains(desc, "permission denied") ||
			cim.StatusOf(err) == cim.WBEM_E_PROVIDER_FAILURE && !strings.Contains(desc, `provider "Boom"`) {
			t.Errorf("%s: the caller sees %q", name, desc)
			continue
		}
		// The log has the detail under the same id.
		entry := regexp.MustCompile(`msg="operation failed" incident=` + m[1] + `.*`).FindString(log)
		if !strings.Contains(entry, "/var/lib/secret") && !strings.Contains(entry, "/srv/internal") {
			t.Errorf("%s: the log's incident %s lacks the detail: %q", name, m[1], entry)
		}
	}
}

// Three users with different rights over WS-Man: the administrator grants
// carol FullWrite with "wbem security"; bob keeps WMI's defaults (read and
// call locally); what each may do follows, and a revoke takes it back.
func TestRightsOverWSMan(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", Install: installWorkload(3)})
	defer s.shutdown(t)
	for _, u := range []string{"bob", "carol"} {
		runUsers(t, u+"-pw\n", "--state-dir", dir, "--bcrypt-cost", "4", "add", u, "--password-file", "-")
	}
	url := "http://" + s.http.String() + Path
	ctx := context.Background()
	bob, carol := connect(t, url, "bob", "bob-pw", nil), connect(t, url, "carol", "carol-pw", nil)
	pwFile := filepath.Join(dir, AdminPasswordFile)
	security := func(user, pwFile string, args ...string) (string, string, int) {
		return wbemCLI(append([]string{"--host", s.http.String(), "--user", user, "--password-file", pwFile, "security"}, args...)...)
	}
	putClass := func(svc *wbem.Services, name string) error {
		_, err := svc.PutClass(ctx, &cim.Class{Name: name}, 0)
		return err
	}
	if out, errOut, code := security(AdminUser, pwFile, "grant", "carol", "FullWrite"); code != 0 || !strings.Contains(out, "user:carol") {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}
	if err := putClass(carol, "Rights_C"); err != nil {
		t.Errorf("carol with FullWrite: %v", err)
	}
	if err := putClass(bob, "Rights_B"); !errors.Is(err, cim.ErrAccessDenied) || !strings.Contains(err.Error(), "FullWrite") {
		t.Errorf("bob without FullWrite: %v", err)
	}
	if _, err := bob.GetObject(ctx, `GW_Item.Id=1`, 0); err != nil {
		t.Errorf("bob reading: %v", err)
	}
	bobPW := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(bobPW, []byte("bob-pw\n"), 0o600)
	if _, errOut, code := security("bob", bobPW, "show"); code != 1 || !strings.Contains(errOut, "ReadSecurity") {
		t.Errorf("bob reading the access list: exit %d: %s", code, errOut)
	}
	if out, _, code := security(AdminUser, pwFile, "show"); code != 0 || !strings.Contains(out, "its own access list") {
		t.Errorf("show: %d %s", code, out)
	}
	if _, errOut, code := security(AdminUser, pwFile, "revoke", "carol", "FullWrite"); code != 0 {
		t.Fatal(errOut)
	}
	if err := putClass(carol, "Rights_C2"); !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("carol after the revoke: %v", err)
	}
	if _, errOut, code := security(AdminUser, pwFile, "grant", "carol", "Bogus"); code != 2 || !strings.Contains(errOut, `"Bogus"`) {
		t.Errorf("an unknown right: %d %s", code, errOut)
	}
	if out, _, code := security(AdminUser, pwFile, "inherit"); code != 0 || !strings.Contains(out, "inherited from root") && !strings.Contains(out, "default") {
		t.Errorf("inherit: %d %s", code, out)
	}
}

// A client certificate signed by --client-ca logs in as the user its
// common name names; one naming nobody, or signed by another CA, does not.
func TestClientCertificate(t *testing.T) {
	dir, certDir := t.TempDir(), t.TempDir()
	serverCert, serverKey, err := wsmantest.WriteSelfSigned(certDir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ca, caKey := newCA(t, "gowbem test CA")
	caFile := filepath.Join(certDir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644)
	runUsers(t, "", "--state-dir", dir, "add", "carol", "--no-password")
	s := start(t, Config{StateDir: dir, HTTPSAddr: "127.0.0.1:0", TLSCert: serverCert, TLSKey: serverKey, ClientCA: caFile,
		Install: installWorkload(3)})
	defer s.shutdown(t)
	url := "https://" + s.https.String() + Path
	roots := x509.NewCertPool()
	pemb, _ := os.ReadFile(serverCert)
	roots.AppendCertsFromPEM(pemb)
	other, otherKey := newCA(t, "another CA")
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		cert  tls.Certificate
		allow bool
	}{
		{"carol", clientCert(t, "carol", ca, caKey), true},
		{"a certificate naming nobody", clientCert(t, "mallory", ca, caKey), false},
		{"another CA's certificate", clientCert(t, "carol", other, otherKey), false},
	} {
		svc, err := wbem.Connect(ctx, url, `root\cimv2`, wbem.Credentials{TLS: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{tc.cert}}})
		if err == nil {
			_, err = svc.GetObject(ctx, `GW_Item.Id=1`, 0)
		}
		if tc.allow && err != nil || !tc.allow && err == nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.allow {
			// carol is no administrator.
			if _, err := svc.PutClass(ctx, &cim.Class{Name: "Cert_X"}, 0); !errors.Is(err, cim.ErrAccessDenied) {
				t.Errorf("carol by certificate writing a class: %v", err)
			}
		}
	}
	if !strings.Contains(s.log.String(), `reason="the certificate maps to no user"`) {
		t.Error("the refused certificate is not in the log")
	}
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func clientCert(t *testing.T, cn string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
