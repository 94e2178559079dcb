package cimxml_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// foreign wraps a server so that it looks like another vendor's: no
// gowbem extensions, and (without pull) no pull operations. It counts the
// methods called.
type foreign struct {
	h      http.Handler
	pull   bool
	mu     sync.Mutex
	counts map[string]int
}

func (f *foreign) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := r.Header.Get("CIMMethod")
	f.mu.Lock()
	if f.counts == nil {
		f.counts = map[string]int{}
	}
	f.counts[m]++
	f.mu.Unlock()
	r.Header.Del(cimxml.ExtensionHeader)
	if !f.pull && (strings.HasPrefix(m, "Open") || strings.HasPrefix(m, "Pull")) {
		body := `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="` +
			m + `"><ERROR CODE="7" DESCRIPTION="CIM_ERR_NOT_SUPPORTED"/></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
		w.Header().Set("CIMOperation", "MethodResponse")
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, body)
		return
	}
	f.h.ServeHTTP(&stripExt{ResponseWriter: w}, r)
}

func (f *foreign) count(m string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[m]
}

// stripExt removes gowbem's headers from a response.
type stripExt struct{ http.ResponseWriter }

func (s *stripExt) WriteHeader(code int) {
	s.Header().Del(cimxml.ExtensionHeader)
	s.ResponseWriter.WriteHeader(code)
}

func (s *stripExt) Write(b []byte) (int, error) {
	s.Header().Del(cimxml.ExtensionHeader)
	return s.ResponseWriter.Write(b)
}

func (s *stripExt) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func connectTo(t *testing.T, url string) *wbem.Services {
	t.Helper()
	svc, err := wbem.Connect(context.Background(), url, workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Backend().(*cimxml.Client).CloseIdleConnections() })
	return svc
}

// collect returns a function that reads all of an enumeration.
func collect(t *testing.T) func(e *wbem.Enumerator, err error) []cim.Object {
	return func(e *wbem.Enumerator, err error) []cim.Object {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		objs, err := e.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
}

// Against a server without pull operations the client falls back to the
// plain methods, and remembers it; against one without gowbem's
// extensions PutInstance and PutClass map onto Create and Modify, and
// errors come back by their CIM status codes.
func TestClientForeignServer(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, &workload.Provider{N: 2500}, cimxml.Options{})
	f := &foreign{h: srv}
	hs := httptest.NewServer(f)
	defer hs.Close()
	svc := connectTo(t, hs.URL+"/cimom")
	for range 2 {
		if objs := collect(t)(svc.CreateInstanceEnum(ctx, workload.ClassName, semisync)); len(objs) != 2500 {
			t.Fatalf("%d instances", len(objs))
		}
	}
	if f.count("OpenEnumerateInstances") != 1 || f.count("EnumerateInstances") != 2 {
		t.Fatalf("calls: %v", f.counts)
	}
	objs := collect(t)(svc.ExecQuery(ctx, "WQL", "SELECT Id FROM GW_Item WHERE Id < 5", semisync))
	if len(objs) != 5 || f.count("ExecQuery") != 1 || f.count("OpenQueryInstances") != 0 {
		t.Fatalf("query: %d objects, calls %v", len(objs), f.counts)
	}
	if v, _ := objs[0].Get("__PROPERTY_COUNT"); v.Int() != 1 {
		t.Fatalf("the projection has %v properties", v)
	}
	// PutInstance without flags: modify, else create.
	cr, err := svc.GetObject(ctx, "Test_Foo", 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := cr.ResultObject(0)
	inst := cl.(*cim.Class).NewInstance()
	inst.Set("Id", cim.String("new"))
	inst.Set("Count", cim.Uint32(1))
	if cr, err = svc.PutInstance(ctx, inst, 0); err != nil {
		t.Fatal(err)
	}
	if p, _ := cr.ResultString(0); p != `Test_Foo.Id="new"` || f.count("ModifyInstance") != 1 || f.count("CreateInstance") != 1 {
		t.Fatalf("PutInstance: %q, calls %v", p, f.counts)
	}
	inst.Set("Count", cim.Uint32(2))
	if _, err := svc.PutInstance(ctx, inst, 0); err != nil || f.count("CreateInstance") != 1 {
		t.Fatalf("PutInstance of an existing instance: %v, calls %v", err, f.counts)
	}
	_, err = svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY)
	if !errors.Is(err, cim.ErrAlreadyExists) {
		t.Fatalf("CREATE_ONLY on an existing instance: %v", err)
	}
	// Without the CIM_Error extension a status comes from its CIM code.
	_, err = svc.GetObject(ctx, `GW_Base.Nope="x"`, 0)
	if s := cim.StatusOf(err); s != cim.WBEM_E_INVALID_PARAMETER {
		t.Fatalf("a bad key over a foreign server: %v", err)
	}
	if _, err := svc.PutClass(ctx, &cim.Class{Name: "GW_Foreign", Properties: []cim.Property{{Name: "K", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}, 0); err != nil {
		t.Fatal(err)
	}
	if f.count("ModifyClass") != 1 || f.count("CreateClass") != 1 {
		t.Fatalf("PutClass: %v", f.counts)
	}
	// A foreign server with pull operations is pulled from.
	f2 := &foreign{h: srv, pull: true}
	hs2 := httptest.NewServer(f2)
	defer hs2.Close()
	svc2 := connectTo(t, hs2.URL+"/cimom?maxobjectcount=1000")
	if objs := collect(t)(svc2.CreateInstanceEnum(ctx, workload.ClassName, semisync)); len(objs) != 2500 {
		t.Fatalf("%d instances", len(objs))
	}
	if f2.count("OpenEnumerateInstances") != 1 || f2.count("PullInstancesWithPath") != 2 || f2.count("EnumerateInstances") != 0 {
		t.Fatalf("pulled calls: %v", f2.counts)
	}
}

// Closing the enumerator sends CloseEnumeration: the provider stops.
func TestClientCloseEnumeration(t *testing.T) {
	p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
	e := newEnv(t, p, nil)
	svc := e.connect(t, "maxobjectcount=50")
	en, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", semisync)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]cim.Object, 100)
	if n, err := en.Next(wbem.Infinite, buf); n != 100 || err != nil {
		t.Fatalf("Next = %d, %v", n, err)
	}
	en.Close()
	select {
	case err := <-p.Done:
		if err == nil {
			t.Fatal("the provider completed")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the provider was not stopped after Close")
	}
	for i := 0; e.srv.OpenEnumerations() != 0; i++ {
		if i > 2000 {
			t.Fatal("the enumeration stayed open after Close")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counting counts the pulls a server receives.
type counting struct {
	h     http.Handler
	pulls atomic.Int32
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("CIMMethod"), "Pull") {
		c.pulls.Add(1)
	}
	c.h.ServeHTTP(w, r)
}

// The client reads ahead no further than its queue and one response: a
// consumer that stops reading stops the pulls.
func TestClientReadAheadBounded(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 1 << 30}, cimxml.Options{})
	cs := &counting{h: srv}
	hs := httptest.NewServer(cs)
	defer hs.Close()
	svc := connectTo(t, hs.URL+"/cimom?maxobjectcount=100")
	en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	if n, err := en.Next(wbem.Infinite, make([]cim.Object, 10)); n != 10 || err != nil {
		t.Fatalf("Next = %d, %v", n, err)
	}
	// The queue holds wbem.DefaultQueueSize objects: about 10 pulls fill
	// it, one more is delivered into it, one is in flight.
	limit := int32(wbem.DefaultQueueSize/100 + 4)
	prev := int32(-1)
	for i := 0; i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
		n := cs.pulls.Load()
		if n > limit {
			t.Fatalf("%d pulls for a consumer that read 10 objects", n)
		}
		if n == prev && i > 50 {
			break
		}
		prev = n
	}
}

// A failure after the response of a plain EnumerateInstances has begun to
// stream reaches the caller after the objects before it (the trailer's
// status).
func TestClientStreamFailure(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 5000, FailAfter: 4000, Fail: fmt.Errorf("disk on fire")}, nil)
	svc := e.connect(t, "pull=false")
	en, err := svc.CreateInstanceEnum(context.Background(), workload.ClassName, semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	objs, err := en.Collect(context.Background())
	if len(objs) < 1000 || cim.StatusOf(err) != cim.WBEM_E_FAILED || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
}

// Wrong credentials are WBEM_E_ACCESS_DENIED; a server that is not there
// WBEM_E_TRANSPORT_FAILURE.
func TestClientErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	svc := e.connectAs(t, testUser, "wrong", "")
	_, err := svc.GetObject(context.Background(), "Test_Foo", 0)
	if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
		t.Fatalf("wrong password: %v", err)
	}
	hs := httptest.NewServer(http.NotFoundHandler())
	hs.Close()
	svc = connectTo(t, hs.URL+"/cimom")
	_, err = svc.GetObject(context.Background(), "Test_Foo", 0)
	if cim.StatusOf(err) != cim.WBEM_E_TRANSPORT_FAILURE {
		t.Fatalf("no server: %v", err)
	}
	svc = e.connect(t, "")
	// The subscription's failure comes from the call (or, had it been
	// deferred, from the first Next).
	en, err := svc.ExecNotificationQuery(context.Background(), "WQL", "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'GW_Item'", semisync)
	if err == nil {
		_, err = en.Next(wbem.Infinite, make([]cim.Object, 1))
		en.Close()
	}
	if cim.StatusOf(err) != cim.WBEM_E_NOT_SUPPORTED || !strings.Contains(err.Error(), "WS-Management") {
		t.Fatalf("ExecNotificationQuery: %v", err)
	}
	if _, err := wbem.Connect(context.Background(), "ftp://x/cimom", "", wbem.Credentials{}); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}
