package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// remote is the fixture behind a wbemd-like WS-Management endpoint on
// 127.0.0.1, with the user admin.
type remote struct {
	om   *cimom.ObjectManager
	srv  *wsman.Server
	hs   *httptest.Server
	url  string
	pw   string // the password file of admin
	hook atomic.Pointer[func(r *http.Request)]
}

func newRemote(t *testing.T, useTLS bool) *remote {
	t.Helper()
	r := &remote{om: fixture(t, &workload.Provider{N: 3})}
	r.srv = wsman.NewServer(r.om, wsman.Options{ServerName: "testhost",
		Authenticator: auth.NewBasic(auth.Static{"admin": {Password: "s3cret", Admin: true}}, auth.BasicOptions{})})
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if f := r.hook.Load(); f != nil {
			(*f)(req)
		}
		r.srv.ServeHTTP(w, req)
	})
	if useTLS {
		r.hs = httptest.NewTLSServer(h)
	} else {
		r.hs = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		r.hs.Close()
		r.srv.Close()
	})
	r.url = r.hs.URL + "/wsman"
	r.pw = filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(r.pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs wbem against the endpoint (args after the global flags).
func (r *remote) run(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--host", r.url, "--password-file", r.pw}, args...)
	code = Run(ctx, full, Env{Stdout: &out, Stderr: &errb, Local: func(context.Context, string, bool) (ObjectManager, io.Closer, error) {
		t.Fatal("a remote command opened the store")
		return nil, nil, nil
	}})
	return out.String(), errb.String(), code
}

// sequence runs commands one after the other and returns their
// transcripts, the endpoint's address written $HOST.
func (r *remote) sequence(t *testing.T, steps ...[]string) string {
	t.Helper()
	var b strings.Builder
	for _, args := range steps {
		out, errs, code := r.run(t, context.Background(), args...)
		b.WriteString(transcript(append([]string{"--host", "$HOST", "--password-file", "$PW"}, args...), out, errs, code))
	}
	return strings.ReplaceAll(b.String(), r.hs.Listener.Addr().String(), "$HOST")
}

// put --update changes only the properties it names, remotely as
// in-process; a put without it replaces the instance.
func TestPutUpdatePartial(t *testing.T) {
	r := newRemote(t, false)
	golden(t, "remote-put-update", r.sequence(t,
		[]string{"get", `GW_Child.Name="gamma"`},
		[]string{"put", "--update", "GW_Child", "Name=gamma", "Size=5"},
		[]string{"get", `GW_Child.Name="gamma"`},
		[]string{"put", "--update", "GW_Child", "Size=6"},
		[]string{"put", "--update", "GW_Child", "Name=nobody", "Size=6"},
	))
	// In-process the same.
	om := fixture(t, &workload.Provider{N: 3})
	if _, errs, code := run(t, om, "put", "--update", "GW_Child", "Name=gamma", "Label=new"); code != ExitOK {
		t.Fatalf("put --update: %d %s", code, errs)
	}
	out, _, _ := run(t, om, "-o", "csv", "get", `GW_Child.Name="gamma"`)
	if out != "Name,Size,Label,Extra\ngamma,333,new,tab\there\n" {
		t.Fatalf("after put --update: %q", out)
	}
}

// A remote mofcomp creates the namespaces the file names, as the in-process
// one does, and namespaces lists, creates and deletes them.
func TestRemoteNamespaces(t *testing.T) {
	r := newRemote(t, false)
	golden(t, "remote-namespaces", r.sequence(t,
		[]string{"mofcomp", filepath.Join("testdata", "acme.mof")},
		[]string{"-n", "root/acme", "enum", "ACME_Widget"},
		[]string{"namespaces", "create", "root/acme/x/y"},
		[]string{"namespaces"},
		[]string{"-o", "json", "namespaces", "root/acme", "--shallow"},
		[]string{"namespaces", "delete", "root/acme/x"},
		[]string{"namespaces", "root/acme"},
		[]string{"namespaces", "delete", "root/nowhere"},
	))
}

// A remote mofcomp that is interrupted says how many items it applied.
func TestRemoteMofcompInterrupted(t *testing.T) {
	r := newRemote(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var puts atomic.Int32
	hook := func(req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("/transfer/Put<")) && bytes.Contains(body, []byte("GW_Sample")) && puts.Add(1) == 3 {
			// The second instance (after the class and the first
			// instance): the user presses ^C while it is sent.
			cancel()
			<-req.Context().Done()
		}
	}
	r.hook.Store(&hook)
	out, errs, code := r.run(t, ctx, "mofcomp", filepath.Join("testdata", "sample.mof"))
	if code != ExitInterrupted || out != "" ||
		!strings.Contains(errs, "testdata/sample.mof: 2 of 3 items applied before the interruption") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errs)
	}
}

// Connection failures say what happened and what to do; the exit code is
// ExitUnreachable, and the messages show the URL as given.
func TestConnectionHints(t *testing.T) {
	plain := newRemote(t, false)
	secure := newRemote(t, true)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.hs.Certificate().Raw}), 0o600)
	httpsAsHTTP := "http://" + secure.hs.Listener.Addr().String() + "/wsman"
	httpAsHTTPS := "https://" + plain.hs.Listener.Addr().String() + "/wsman"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"refused", []string{"--host", refused, "--password-file", plain.pw, "enum", "GW_Base"}, ExitUnreachable,
			[]string{"connection to " + refused + " was refused", "is wbemd running"}},
		{"tls-untrusted", []string{"--host", secure.url, "--password-file", plain.pw, "enum", "GW_Base"}, ExitUnreachable,
			[]string{"is not trusted", "--ca-cert FILE", "--insecure"}},
		{"tls-trusted", []string{"--host", secure.url, "--password-file", plain.pw, "--ca-cert", ca, "-o", "csv", "enum", "GW_Single"}, ExitOK, nil},
		{"http-to-https", []string{"--host", httpsAsHTTP, "--password-file", plain.pw, "enum", "GW_Base"}, ExitUnreachable,
			[]string{"speaks https", "--host https://"}},
		{"https-to-http", []string{"--host", httpAsHTTPS, "--insecure", "--password-file", plain.pw, "enum", "GW_Base"}, ExitUnreachable,
			[]string{"speaks plain http", "--host http://"}},
		{"no-credentials", []string{"--host", plain.url, "enum", "GW_Base"}, ExitFailed,
			[]string{"WBEM_E_ACCESS_DENIED", "pass --password-file FILE"}},
		{"wrong-password", []string{"--host", plain.url, "--password-file", ca, "enum", "GW_Base"}, ExitFailed,
			[]string{"refused the credentials of user \"admin\"", "check --user and --password-file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tc.args, Env{Stdout: &out, Stderr: &errb})
			msg := errb.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "pullwait") {
				t.Errorf("the message shows an internal parameter:\n%s", msg)
			}
		})
	}
}
