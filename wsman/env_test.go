package wsman_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// testEnv is a wsman server on 127.0.0.1 in front of an object manager with
// the workload, the static test classes and the classes of the interop
// matrix (Test_Foo, Test_Dep, CIM_ComputerSystem).
type testEnv struct {
	om  *cimom.ObjectManager
	p   *workload.Provider
	srv *wsman.Server
	hs  *httptest.Server
	url string // …/wsman

	maxResponse atomic.Int64 // the largest response body sent
	remotes     sync.Map     // client addresses seen: one per connection
}

const (
	testUser = "user"
	testPass = "pass"
)

// testAuthenticator knows testUser and "other" (password "secret"), both
// administrators; it never throttles, as tests send wrong passwords on
// purpose.
func testAuthenticator() auth.Authenticator {
	return auth.NewBasic(auth.Static{
		testUser: {Password: testPass, Admin: true},
		"other":  {Password: "secret", Admin: true},
	}, auth.BasicOptions{FreeFailures: 1 << 20})
}

func newEnv(t testing.TB, p *workload.Provider, opts wsman.Options) *testEnv {
	t.Helper()
	return newEnvTLS(t, p, opts, false)
}

func newEnvTLS(t testing.TB, p *workload.Provider, opts wsman.Options, useTLS bool) *testEnv {
	t.Helper()
	if p == nil {
		p = &workload.Provider{}
	}
	om := workload.NewObjectManager(p, cimom.WithMethodProvider("TestMethods", fooMethods{}))
	setupInterop(t, om.Services(workload.Namespace))
	if opts.Authenticator == nil && !opts.AllowAnonymous {
		opts.Authenticator = testAuthenticator()
	}
	if opts.ServerName == "" {
		opts.ServerName = "testhost"
	}
	srv := wsman.NewServer(om, opts)
	e := &testEnv{om: om, p: p, srv: srv}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.remotes.Store(r.RemoteAddr, true)
		rec := &sizeRecorder{ResponseWriter: w}
		srv.ServeHTTP(rec, r)
		for {
			cur := e.maxResponse.Load()
			if rec.n <= cur || e.maxResponse.CompareAndSwap(cur, rec.n) {
				break
			}
		}
	})
	var hs *httptest.Server
	if useTLS {
		cert, _, err := wsmantest.SelfSigned()
		if err != nil {
			t.Fatal(err)
		}
		hs = wsmantest.NewServer(h, &cert)
	} else {
		hs = wsmantest.NewServer(h, nil)
	}
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	e.hs, e.url = hs, hs.URL+"/wsman"
	return e
}

// sizeRecorder counts the bytes of a response body.
type sizeRecorder struct {
	http.ResponseWriter
	n int64
}

func (r *sizeRecorder) Write(b []byte) (int, error) {
	r.n += int64(len(b))
	return r.ResponseWriter.Write(b)
}

// connect returns services over wsman as user.
func (e *testEnv) connect(t testing.TB, user, pass string, query string) *wbem.Services {
	t.Helper()
	u := e.url
	if query != "" {
		u += "?" + query
	}
	svc, err := wbem.Connect(context.Background(), u, workload.Namespace, wbem.Credentials{User: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Backend().(*wsman.Client).CloseIdleConnections() })
	return svc
}

func mustPutClass(t testing.TB, svc *wbem.Services, c *cim.Class) {
	t.Helper()
	if _, err := svc.PutClass(context.Background(), c, 0); err != nil {
		t.Fatalf("PutClass %s: %v", c.Name, err)
	}
}

func mustPut(t testing.TB, svc *wbem.Services, class string, vals map[string]cim.Value) {
	t.Helper()
	cr, err := svc.GetObject(context.Background(), class, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	inst := obj.(*cim.Class).NewInstance()
	for k, v := range vals {
		if err := inst.Set(k, v); err != nil {
			t.Fatalf("%s.%s: %v", class, k, err)
		}
	}
	if _, err := svc.PutInstance(context.Background(), inst, 0); err != nil {
		t.Fatalf("PutInstance %s: %v", class, err)
	}
}

var (
	keyQ = cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	inQ  = cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}
	outQ = cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}}
)

// setupInterop adds the classes and instances of protocols.md §3.6.
func setupInterop(t testing.TB, svc *wbem.Services) {
	t.Helper()
	mustPutClass(t, svc, &cim.Class{Name: "Test_Foo",
		Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String("TestMethods")}},
		Properties: []cim.Property{
			{Name: "Id", Type: cim.TypeString, Qualifiers: keyQ},
			{Name: "Count", Type: cim.TypeUint32},
			{Name: "Flag", Type: cim.TypeBoolean},
			{Name: "List", Type: cim.TypeUint16.ArrayOf()},
			{Name: "When", Type: cim.TypeDatetime},
			{Name: "Ratio", Type: cim.TypeReal64},
			{Name: "Note", Type: cim.TypeString},
		},
		Methods: []cim.Method{
			{Name: "DoIt", ReturnType: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Implemented", Value: cim.Bool(true)}},
				Params: []cim.Parameter{{Name: "X", Type: cim.TypeUint32, Qualifiers: inQ}, {Name: "Y", Type: cim.TypeString, Qualifiers: inQ},
					{Name: "Out", Type: cim.TypeString, Qualifiers: outQ}}},
			{Name: "StaticM", ReturnType: cim.TypeUint32, Qualifiers: cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}, {Name: "Implemented", Value: cim.Bool(true)}}},
		},
	})
	mustPutClass(t, svc, &cim.Class{Name: "Test_Dep", Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}},
		Properties: []cim.Property{
			{Name: "Antecedent", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
			{Name: "Dependent", Type: cim.TypeReference, RefClass: "Test_Foo", Qualifiers: keyQ},
		}})
	mustPutClass(t, svc, &cim.Class{Name: "CIM_ComputerSystem", Properties: []cim.Property{
		{Name: "CreationClassName", Type: cim.TypeString, Qualifiers: keyQ},
		{Name: "Name", Type: cim.TypeString, Qualifiers: keyQ},
		{Name: "Description", Type: cim.TypeString},
	}})
	when := cim.TimeValue(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	mustPut(t, svc, "Test_Foo", map[string]cim.Value{"Id": cim.String("a"), "Count": cim.Uint32(11), "Flag": cim.Bool(true),
		"List": cim.Array(cim.TypeUint16, cim.Uint16(1), cim.Uint16(2)), "When": when, "Ratio": cim.Real64(0.5), "Note": cim.String("x < y & z")})
	mustPut(t, svc, "Test_Foo", map[string]cim.Value{"Id": cim.String("b"), "Count": cim.Uint32(12), "Flag": cim.Bool(false),
		"When": cim.IntervalValue(90 * time.Minute)})
	mustPut(t, svc, "Test_Dep", map[string]cim.Value{"Antecedent": cim.RefString(`Test_Foo.Id="a"`), "Dependent": cim.RefString(`Test_Foo.Id="b"`)})
	for i := 1; i <= 3; i++ {
		mustPut(t, svc, "CIM_ComputerSystem", map[string]cim.Value{"CreationClassName": cim.String("CIM_ComputerSystem"),
			"Name": cim.String(fmt.Sprintf("cs%d", i)), "Description": cim.String("system")})
	}
}

// fooMethods implements Test_Foo's methods.
type fooMethods struct{}

func (fooMethods) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	out := call.Out.NewInstance()
	if cim.EqualFold(call.Method.Name, "DoIt") {
		out.Set("Out", cim.String(fmt.Sprintf("did X=%d Y=%s on %s", call.In.Value("X").Uint(), call.In.Value("Y").Str(), call.Path.RelPath())))
	}
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}
