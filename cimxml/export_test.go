package cimxml_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/wbem"
)

// indication is an __InstanceCreationEvent-like indication: scalars of
// several types, an array, a NULL and an embedded TargetInstance.
func indication(t testing.TB) *cim.Instance {
	t.Helper()
	target, err := cim.Derive(nil, &cim.Class{Name: "Test_Target", Properties: []cim.Property{
		{Name: "Id", Type: cim.TypeString}, {Name: "Count", Type: cim.TypeUint32}}})
	if err != nil {
		t.Fatal(err)
	}
	ti := target.NewInstance()
	ti.Set("Id", cim.String(`a<b&"c"`))
	ti.Set("Count", cim.Uint32(7))
	ev, err := cim.Derive(nil, &cim.Class{Name: "Test_Event", Properties: []cim.Property{
		{Name: "IndicationIdentifier", Type: cim.TypeString},
		{Name: "IndicationTime", Type: cim.TypeDatetime},
		{Name: "PerceivedSeverity", Type: cim.TypeUint16},
		{Name: "Tags", Type: cim.TypeString.ArrayOf()},
		{Name: "Missing", Type: cim.TypeSint64},
		{Name: "TargetInstance", Type: cim.TypeObject, RefClass: "Test_Target"}}})
	if err != nil {
		t.Fatal(err)
	}
	in := ev.NewInstance()
	in.Set("IndicationIdentifier", cim.String("id-1"))
	in.Set("IndicationTime", cim.TimeValue(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)))
	in.Set("PerceivedSeverity", cim.Uint16(5))
	in.Set("Tags", cim.Array(cim.TypeString, cim.String("x"), cim.String("y")))
	in.Set("TargetInstance", cim.Embedded(ti))
	return in
}

// listener runs a Listener on loopback that records what it is given.
type recorder struct {
	mu    sync.Mutex
	got   []*cim.Instance
	users []string
	fail  error
}

func (r *recorder) deliver(ctx context.Context, ind *cim.Instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	user := ""
	if c, ok := identity.FromContext(ctx); ok && c != nil {
		user = c.Name
	}
	r.got = append(r.got, ind)
	r.users = append(r.users, user)
	return nil
}

func newListener(t *testing.T, opts cimxml.ListenerOptions) (*recorder, string) {
	t.Helper()
	rec := &recorder{}
	if opts.Authenticator == nil && !opts.AllowAnonymous {
		opts.Authenticator = testAuthenticator()
	}
	hs := httptest.NewServer(cimxml.NewListener(rec.deliver, opts))
	t.Cleanup(hs.Close)
	return rec, hs.URL + "/"
}

// An indication exported over loopback reaches the listener's deliver
// function whole (types, array, NULL, embedded instance, escaping), as the
// authenticated sender; the listener's failure comes back as its status.
func TestExportIndication(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{})
	x := &cimxml.Exporter{Credentials: wbem.Credentials{User: testUser, Password: testPass}}
	want := indication(t)
	if err := x.ExportIndication(context.Background(), url, want); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 1 || rec.users[0] != testUser {
		t.Fatalf("delivered %d indications as %q", len(rec.got), rec.users)
	}
	got := rec.got[0]
	if got.ClassName() != "Test_Event" {
		t.Fatalf("class %s", got.ClassName())
	}
	for _, p := range []string{"IndicationIdentifier", "IndicationTime", "PerceivedSeverity", "Tags", "Missing"} {
		if !cim.Equal(got.Value(p), want.Value(p)) || got.Value(p).Type() != want.Value(p).Type() {
			t.Errorf("%s: got %#v, want %#v", p, got.Value(p), want.Value(p))
		}
	}
	ti := got.Value("TargetInstance").Instance()
	if ti == nil || ti.ClassName() != "Test_Target" || ti.Value("Id").Str() != `a<b&"c"` || ti.Value("Count").Uint() != 7 {
		t.Fatalf("TargetInstance %#v", got.Value("TargetInstance"))
	}

	rec.fail = &cim.Error{Status: cim.WBEM_E_QUOTA_VIOLATION, Description: "backlog full"}
	err := x.ExportIndication(context.Background(), url, want)
	if e := cim.AsError(err); e.Status != cim.WBEM_E_QUOTA_VIOLATION.CIMStatus().Status() || !strings.Contains(e.Description, "backlog full") {
		t.Fatalf("listener failure came back as %v", err)
	}
}

// Who may export: without credentials, or with wrong ones, the listener
// answers 401 and delivers nothing; AllowAnonymous takes senders without
// credentials (as CIM servers often send), with no caller.
func TestListenerAuthentication(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{})
	for _, creds := range []wbem.Credentials{{}, {User: testUser, Password: "wrong"}} {
		x := &cimxml.Exporter{Credentials: creds}
		if err := x.ExportIndication(context.Background(), url, indication(t)); cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
			t.Fatalf("%q: %v, want access denied", creds.User, err)
		}
	}
	if len(rec.got) != 0 {
		t.Fatalf("%d indications delivered to a refused sender", len(rec.got))
	}
	anon, aurl := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	if err := (&cimxml.Exporter{}).ExportIndication(context.Background(), aurl, indication(t)); err != nil {
		t.Fatal(err)
	}
	if len(anon.got) != 1 || anon.users[0] != "" {
		t.Fatalf("anonymous: %d delivered as %q", len(anon.got), anon.users)
	}
}

// exportBody is an export request's body around one EXPMETHODCALL.
func exportBody(call string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ>` + call + `</SIMPLEEXPREQ></MESSAGE></CIM>`
}

const simpleIndication = `<EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="CIM_AlertIndication"><PROPERTY NAME="Description" TYPE="string"><VALUE>disk full</VALUE></PROPERTY><PROPERTY NAME="PerceivedSeverity" TYPE="uint16"><VALUE>6</VALUE></PROPERTY></INSTANCE></EXPPARAMVALUE></EXPMETHODCALL>`

func postExport(h http.Handler, method, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	r.Header.Set("CIMExport", "MethodRequest")
	r.Header.Set("CIMExportMethod", method)
	r.Header.Set("CIMProtocolVersion", "1.0")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	r.SetBasicAuth(testUser, testPass)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Bad export requests: HTTP errors with CIMError for the envelope, ERROR
// elements with the right code for the call; nothing is delivered.
func TestListenerBadRequests(t *testing.T) {
	rec := &recorder{}
	l := cimxml.NewListener(rec.deliver, cimxml.ListenerOptions{Authenticator: testAuthenticator(), MaxRequestBytes: 4096})
	w := postExport(l, "ExportIndication", exportBody(simpleIndication))
	if w.Code != 200 || w.Header().Get("CIMExport") != "MethodResponse" || !strings.Contains(w.Body.String(), `<MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><IRETURNVALUE>`) {
		t.Fatalf("HTTP %d %v:\n%s", w.Code, w.Header(), w.Body.String())
	}
	if len(rec.got) != 1 || rec.got[0].Value("PerceivedSeverity").Uint() != 6 {
		t.Fatalf("delivered %v", rec.got)
	}
	for _, tc := range []struct {
		name, method, body string
		hdr                []string
		status             int
		cimError           string
		code               string // the ERROR's CODE of a 200 answer
	}{
		{"operation request", "ExportIndication", exportBody(simpleIndication), []string{"CIMExport", "", "CIMOperation", "MethodCall"}, 400, "unsupported-operation", ""},
		{"no method header", "", exportBody(simpleIndication), nil, 400, "header-mismatch", ""},
		{"method mismatch", "ExportOther", exportBody(simpleIndication), nil, 400, "header-mismatch", ""},
		{"protocol version", "ExportIndication", exportBody(simpleIndication), []string{"CIMProtocolVersion", "2.0"}, 501, "unsupported-protocol-version", ""},
		{"not XML", "ExportIndication", "<CIM><MESSAGE>", nil, 400, "request-not-well-formed", ""},
		{"operation body", "ExportIndication", imethod("GetClass"), nil, 400, "request-not-valid", ""},
		{"multiple", "ExportIndication", strings.Replace(strings.Replace(exportBody(simpleIndication), "<SIMPLEEXPREQ>", "<MULTIEXPREQ><SIMPLEEXPREQ>", 1), "</SIMPLEEXPREQ>", "</SIMPLEEXPREQ></MULTIEXPREQ>", 1), nil, 501, "multiple-requests-unsupported", ""},
		{"too large", "ExportIndication", exportBody(strings.Repeat(" ", 5000) + simpleIndication), nil, 413, "request-not-valid", ""},
		{"other export method", "ExportOther", exportBody(`<EXPMETHODCALL NAME="ExportOther"/>`), nil, 200, "", "7"},
		{"no indication", "ExportIndication", exportBody(`<EXPMETHODCALL NAME="ExportIndication"/>`), nil, 200, "", "4"},
		{"wrong parameter", "ExportIndication", exportBody(`<EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="Other"/></EXPMETHODCALL>`), nil, 200, "", "4"},
		{"not an instance", "ExportIndication", exportBody(`<EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><VALUE>x</VALUE></EXPPARAMVALUE></EXPMETHODCALL>`), nil, 200, "", "4"},
		{"bad value", "ExportIndication", exportBody(strings.Replace(simpleIndication, "<VALUE>6</VALUE>", "<VALUE>six</VALUE>", 1)), nil, 200, "", "13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(rec.got)
			w := postExport(l, tc.method, tc.body, tc.hdr...)
			if w.Code != tc.status || w.Header().Get("CIMError") != tc.cimError {
				t.Fatalf("HTTP %d CIMError %q, want %d %q: %s", w.Code, w.Header().Get("CIMError"), tc.status, tc.cimError, w.Body.String())
			}
			if tc.code != "" && !strings.Contains(w.Body.String(), `<ERROR CODE="`+tc.code+`" DESCRIPTION="`) {
				t.Fatalf("want ERROR %s:\n%s", tc.code, w.Body.String())
			}
			if tc.code == "" && strings.TrimSpace(w.Body.String()) == "" {
				t.Fatal("no description")
			}
			if len(rec.got) != n {
				t.Fatal("a bad request was delivered")
			}
		})
	}
}

// The Exporter pointed at a CIM server (not a listener) is told so; at
// nothing listening it is a transport failure; cancelled, it stops.
func TestExporterFailures(t *testing.T) {
	srv := httptest.NewServer(newServer(t, nil, cimxml.Options{}))
	defer srv.Close()
	x := &cimxml.Exporter{Credentials: wbem.Credentials{User: testUser, Password: testPass}}
	if err := x.ExportIndication(context.Background(), srv.URL+"/cimom", indication(t)); cim.StatusOf(err) != cim.WBEM_E_NOT_SUPPORTED || !strings.Contains(err.Error(), "not an indication listener") {
		t.Fatalf("export to a CIM server: %v", err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	if err := x.ExportIndication(context.Background(), url, indication(t)); cim.StatusOf(err) != cim.WBEM_E_TRANSPORT_FAILURE {
		t.Fatalf("export to nothing: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, lurl := newListener(t, cimxml.ListenerOptions{})
	if err := x.ExportIndication(ctx, lurl, indication(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled export: %v", err)
	}
	if err := x.ExportIndication(context.Background(), lurl, nil); cim.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER {
		t.Fatalf("nil indication: %v", err)
	}
}

// The Exporter follows no redirect, whatever its HTTP client would: a
// listener cannot send the indication on to another host (a 307 would
// repeat the POST there), and the redirect is a transport failure naming
// its status.
func TestExporterFollowsNoRedirect(t *testing.T) {
	rec, target := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirector := httptest.NewServer(http.RedirectHandler(target, code))
		for _, hc := range []*http.Client{nil, {}, {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}} {
			err := (&cimxml.Exporter{HTTPClient: hc}).ExportIndication(context.Background(), redirector.URL+"/", indication(t))
			if cim.StatusOf(err) != cim.WBEM_E_TRANSPORT_FAILURE || !strings.Contains(err.Error(), fmt.Sprint(code)) {
				t.Errorf("redirect %d: %v", code, err)
			}
		}
		redirector.Close()
	}
	if n := rec.count(); n != 0 {
		t.Fatalf("the redirect's target got %d indications", n)
	}
}

// Whatever the body, the listener answers — 200 with an export response,
// or an HTTP error with CIMError — and never panics.
func FuzzListener(f *testing.F) {
	f.Add(exportBody(simpleIndication))
	f.Add(exportBody(`<EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="E"><PROPERTY NAME="T" TYPE="string" EmbeddedObject="object"><VALUE>&lt;INSTANCE CLASSNAME="X"&gt;&lt;PROPERTY NAME="A" TYPE="uint8"&gt;&lt;VALUE&gt;1&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;</VALUE></PROPERTY><PROPERTY.ARRAY NAME="L" TYPE="sint32"><VALUE.ARRAY><VALUE>-1</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE></EXPPARAMVALUE></EXPMETHODCALL>`))
	rec := &recorder{}
	l := cimxml.NewListener(rec.deliver, cimxml.ListenerOptions{Authenticator: testAuthenticator()})
	f.Fuzz(func(t *testing.T, body string) {
		w := postExport(l, "ExportIndication", body)
		switch {
		case w.Code == 200:
			if !strings.Contains(w.Body.String(), "<EXPMETHODRESPONSE") || w.Header().Get("CIMExport") != "MethodResponse" {
				t.Fatalf("200 without an export response:\n%s", w.Body.String())
			}
		case w.Header().Get("CIMError") == "":
			t.Fatalf("HTTP %d without CIMError", w.Code)
		}
	})
}
