package wsman_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// callerLog is a backend that records the caller of each operation.
type callerLog struct {
	wbem.Backend
	mu  sync.Mutex
	ops map[wbem.OpKind]*identity.Caller
}

func (c *callerLog) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	caller, _ := identity.FromContext(ctx)
	c.mu.Lock()
	c.ops[op.Kind] = caller
	c.mu.Unlock()
	return c.Backend.Do(ctx, op, w)
}

// The authenticated caller reaches the backend in the operation's context,
// also for an enumeration (which outlives its request), marked remote
// unless IsLocal says otherwise.
func TestCallerReachesBackend(t *testing.T) {
	for _, local := range []bool{false, true} {
		log := &callerLog{Backend: workload.NewObjectManager(&workload.Provider{N: 3}), ops: map[wbem.OpKind]*identity.Caller{}}
		opts := wsman.Options{Authenticator: testAuthenticator()}
		if local {
			opts.IsLocal = func(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "192.0.2.") }
		}
		srv := wsman.NewServer(log, opts)
		defer srv.Close()
		get := envelope(actGet, itemURI, `<wsman:SelectorSet><wsman:Selector Name="Id">0</wsman:Selector></wsman:SelectorSet>`, "")
		if w := call(srv, testUser, testPass, get); w.Code != 200 {
			t.Fatalf("Get: %d %s", w.Code, w.Body)
		}
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		if w := call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>10</wsen:MaxElements>", "")); w.Code != 200 {
			t.Fatalf("Pull: %d %s", w.Code, w.Body)
		}
		for _, k := range []wbem.OpKind{wbem.OpGetObject, wbem.OpCreateInstanceEnum} {
			c := log.ops[k]
			if c == nil || c.Name != testUser || !c.Admin || c.Method != "basic" || c.Remote == local || c.Address != "192.0.2.1:1234" {
				t.Errorf("local=%v: caller of %v = %+v", local, k, c)
			}
		}
	}
	// AllowAnonymous: no caller, the program's own rights.
	log := &callerLog{Backend: workload.NewObjectManager(&workload.Provider{N: 1}), ops: map[wbem.OpKind]*identity.Caller{}}
	srv := wsman.NewServer(log, wsman.Options{AllowAnonymous: true})
	defer srv.Close()
	call(srv, "", "", envelope(actGet, itemURI, `<wsman:SelectorSet><wsman:Selector Name="Id">0</wsman:Selector></wsman:SelectorSet>`, ""))
	if c, ok := log.ops[wbem.OpGetObject]; !ok || c != nil {
		t.Errorf("anonymous caller %+v, %v", c, ok)
	}
}

// rawServer serves srv on 127.0.0.1 and returns its address.
func rawServer(t *testing.T, srv http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.Listener.Addr().String()
}

// exchange writes head (and body) on a new connection, half-closing it when
// closeWrite, and reads one response.
func exchange(t *testing.T, addr, head, body string, closeWrite bool) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, head+body); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		c.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response to %q: %v", head, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func basicHeader(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + "\r\n"
}

// A request without valid credentials gets its 401 from the headers alone,
// chunked or not, however much body it announces, and its connection is
// closed unread.
func TestRefusedBeforeBody(t *testing.T) {
	addr := rawServer(t, newServer(t, &workload.Provider{N: 1}, wsman.Options{}))
	for _, tc := range []struct {
		name, auth, framing string
	}{
		{"no credentials, chunked", "", "Transfer-Encoding: chunked\r\n"},
		{"no credentials, 1 MiB announced", "", "Content-Length: 1048576\r\n"},
		{"no credentials, small body", "", "Content-Length: 5000\r\n"},
		{"wrong password, chunked", basicHeader(testUser, "wrong"), "Transfer-Encoding: chunked\r\n"},
		{"another scheme", "Authorization: Negotiate TlRMTVNT\r\n", "Content-Length: 100\r\n"},
	} {
		head := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" + tc.auth + tc.framing + "\r\n"
		// Only part of the body is ever sent: the answer must not wait for
		// the rest.
		resp, _ := exchange(t, addr, head, "4\r\n<s:E", false)
		if resp.StatusCode != 401 || !resp.Close || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: HTTP %d close=%v %v", tc.name, resp.StatusCode, resp.Close, resp.Header)
		}
	}
}

// A broken body gets 400, a stalled one 408, never an empty 200.
func TestBrokenBody(t *testing.T) {
	addr := rawServer(t, newServer(t, &workload.Provider{N: 1}, wsman.Options{ReadTimeout: 300 * time.Millisecond}))
	get := envelope(actGet, itemURI, `<wsman:SelectorSet><wsman:Selector Name="Id">0</wsman:Selector></wsman:SelectorSet>`, "")
	for _, tc := range []struct {
		name, framing, body string
		closeWrite          bool
		status              int
		says                string
	}{
		{"bad chunk size", "Transfer-Encoding: chunked\r\n", "zz\r\n" + get, false, 400, "chunk"},
		{"Content-Length cut short", fmt.Sprintf("Content-Length: %d\r\n", len(get)+100), get, true, 400, "EOF"},
		{"chunked cut short", "Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s", len(get)+10, get), true, 400, "EOF"},
		{"stalled body", fmt.Sprintf("Content-Length: %d\r\n", len(get)+100), get, false, 408, "did not arrive"},
		{"whole", fmt.Sprintf("Content-Length: %d\r\n", len(get)), get, false, 200, "GW_Item"},
	} {
		head := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" + basicHeader(testUser, testPass) + tc.framing + "\r\n"
		resp, body := exchange(t, addr, head, tc.body, tc.closeWrite)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: HTTP %d, want %d saying %q:\n%s", tc.name, resp.StatusCode, tc.status, tc.says, body)
		}
	}
}

// capture records the status and body of the last response.
type capture struct {
	h      http.Handler
	mu     sync.Mutex
	status int
	body   string
}

type captureWriter struct {
	http.ResponseWriter
	c      *capture
	status int
	b      strings.Builder
}

func (w *captureWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *captureWriter) Write(p []byte) (int, error) {
	w.b.Write(p)
	return w.ResponseWriter.Write(p)
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &captureWriter{ResponseWriter: w, c: c, status: 200}
	c.h.ServeHTTP(cw, r)
	c.mu.Lock()
	c.status, c.body = cw.status, cw.b.String()
	c.mu.Unlock()
}

func (c *capture) last() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.body
}

// Client errors are client faults: s:Sender with a subcode, HTTP 400, never
// 500 InternalError or silent acceptance.
func TestClientFaults(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 1}, wsman.Options{})
	capt := &capture{h: srv}
	hs := httptest.NewServer(capt)
	defer hs.Close()
	svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman", `root\cimv2`, wbem.Credentials{User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Backend().(*wsman.Client).CloseIdleConnections()
	ctx := context.Background()
	long := strings.Repeat("C", 300)
	for _, tc := range []struct {
		name    string
		run     func() error
		subcode string
	}{
		{"a class name too long", func() error {
			_, err := svc.PutClass(ctx, &cim.Class{Name: long}, 0)
			return err
		}, "wxf:InvalidRepresentation"},
		{"a missing superclass", func() error {
			_, err := svc.PutClass(ctx, &cim.Class{Name: "Test_Orphan", Superclass: "Test_NoSuchParent"}, 0)
			return err
		}, "wxf:InvalidRepresentation"},
	} {
		if err := tc.run(); err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		status, body := capt.last()
		if status != 400 || !strings.Contains(body, "<s:Value>s:Sender</s:Value>") || !strings.Contains(body, tc.subcode) {
			t.Errorf("%s: HTTP %d, want 400 s:Sender %s:\n%s", tc.name, status, tc.subcode, body)
		}
	}
	get := func(headers string) string {
		return envelope(actGet, itemURI, `<wsman:SelectorSet><wsman:Selector Name="Id">0</wsman:Selector></wsman:SelectorSet>`+headers, "")
	}
	for _, tc := range []struct {
		name, body, subcode, says string
	}{
		{"a negative OperationTimeout", get("<wsman:OperationTimeout>-PT5S</wsman:OperationTimeout>"), "wsman:InvalidParameter", "positive"},
		{"a zero OperationTimeout", get("<wsman:OperationTimeout>PT0S</wsman:OperationTimeout>"), "wsman:InvalidParameter", "positive"},
		{"an overflowing OperationTimeout", get("<wsman:OperationTimeout>P999999999DT1S</wsman:OperationTimeout>"), "wsman:InvalidParameter", "longer than"},
		{"an overflowing OperationTimeout in seconds", get("<wsman:OperationTimeout>PT99999999999999S</wsman:OperationTimeout>"), "wsman:InvalidParameter", ""},
		{"no wsa:To", strings.Replace(get(""), "<wsa:To>/wsman</wsa:To>", "", 1), "wsa:MessageInformationHeaderRequired", "wsa:To"},
	} {
		w := call(srv, testUser, testPass, tc.body)
		wantFault(t, w, 400, tc.subcode)
		if !strings.Contains(w.Body.String(), tc.says) {
			t.Errorf("%s: the fault does not say %q:\n%s", tc.name, tc.says, w.Body)
		}
	}
}

// hungProvider ignores its ctx: Get and methods wait until release closes.
type hungProvider struct{ release chan struct{} }

func (h hungProvider) EnumerateInstances(ctx context.Context, c *cim.Class, out provider.Emitter) error {
	<-h.release
	return nil
}

func (h hungProvider) GetInstance(ctx context.Context, c *cim.Class, p cim.ObjectPath) (*cim.Instance, error) {
	<-h.release
	return nil, ctx.Err()
}

func (h hungProvider) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	<-h.release
	return nil, ctx.Err()
}

// A provider that ignores its ctx holds its goroutine, not the client: Get
// and Invoke are answered at the request's OperationTimeout, or at the
// server's when the request sets none.
func TestHungProviderTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := hungProvider{release: make(chan struct{})}
		om := cimom.NewMemory(cimom.WithProvider("Hung", h))
		mof := fstest.MapFS{"h.mof": {Data: []byte(`[Dynamic, Provider("Hung")] class Hung_Item { [Key] string Id; [Static] uint32 Wait(); };`)}}
		if _, err := om.CompileMOF(context.Background(), mof, "h.mof", `root\cimv2`); err != nil {
			t.Fatal(err)
		}
		srv := wsman.NewServer(om, wsman.Options{Authenticator: testAuthenticator(), OperationTimeout: 7 * time.Second})
		defer srv.Close()
		uri := wsman.URIPrefixWMI + "root/cimv2/Hung_Item"
		get := func(headers string) string {
			return envelope(actGet, uri, `<wsman:SelectorSet><wsman:Selector Name="Id">1</wsman:Selector></wsman:SelectorSet>`+headers, "")
		}
		for _, tc := range []struct {
			name string
			body string
			want time.Duration
		}{
			{"Get, PT2S", get("<wsman:OperationTimeout>PT2S</wsman:OperationTimeout>"), 2 * time.Second},
			{"Get, the server's timeout", get(""), 7 * time.Second},
			{"Invoke, PT3S", envelope(uri+"/Wait", uri, "<wsman:OperationTimeout>PT3S</wsman:OperationTimeout>", ""), 3 * time.Second},
		} {
			start := time.Now()
			w := call(srv, testUser, testPass, tc.body)
			if took := time.Since(start); took != tc.want {
				t.Errorf("%s: answered after %v, want %v", tc.name, took, tc.want)
			}
			wantFault(t, w, 500, "wsman:TimedOut")
		}
		// An enumeration of it: Pull waits its MaxTime, Release is at once.
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(uri, "")))
		start := time.Now()
		wantFault(t, call(srv, testUser, testPass, pull(uri, id, "<wsen:MaxTime>PT1S</wsen:MaxTime>", "")), 500, "wsman:TimedOut")
		if took := time.Since(start); took != time.Second {
			t.Errorf("Pull answered after %v, want its MaxTime 1s", took)
		}
		start = time.Now()
		if w := call(srv, testUser, testPass, release(uri, id)); w.Code != 200 || time.Since(start) != 0 {
			t.Errorf("Release: HTTP %d after %v", w.Code, time.Since(start))
		}
		close(h.release) // the provider's goroutines end
	})
}
