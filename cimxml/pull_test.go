package cimxml_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

var (
	ctxRE = regexp.MustCompile(`<PARAMVALUE NAME="EnumerationContext" PARAMTYPE="string"><VALUE>([^<]+)</VALUE>`)
	eosRE = regexp.MustCompile(`<PARAMVALUE NAME="EndOfSequence" PARAMTYPE="boolean"><VALUE>(TRUE|FALSE)</VALUE>`)
	idRE  = regexp.MustCompile(`<PROPERTY NAME="Id" TYPE="uint32"><VALUE>(\d+)</VALUE>`)
)

// pulled reads a pull response: the Ids of the workload instances, the
// context and whether the sequence ended.
func pulled(t *testing.T, w *httptest.ResponseRecorder) (ids []string, ctx string, eos bool) {
	t.Helper()
	body := wantOK(t, w)
	for _, m := range idRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	if m := ctxRE.FindStringSubmatch(body); m != nil {
		ctx = m[1]
	}
	m := eosRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no EndOfSequence:\n%s", body)
	}
	eos = m[1] == "TRUE"
	if eos == (ctx != "") {
		t.Fatalf("EndOfSequence %v with context %q", eos, ctx)
	}
	return ids, ctx, eos
}

func openEnum(t *testing.T, srv http.Handler, max int, extra ...string) (ids []string, ctx string) {
	t.Helper()
	ids, ctx, eos := pulled(t, icall(srv, "OpenEnumerateInstances", append([]string{ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val(fmt.Sprint(max)))}, extra...)...))
	if eos {
		t.Fatalf("the enumeration ended at Open")
	}
	return ids, ctx
}

func pullN(srv http.Handler, method, ctx string, max int) *httptest.ResponseRecorder {
	return icall(srv, method, ip("EnumerationContext", val(ctx)), ip("MaxObjectCount", val(fmt.Sprint(max))))
}

// Open and pulls: MaxObjectCount objects each, the end told with the last
// batch, then the context is gone.
func TestPullSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 10}, cimxml.Options{})
		ids, ctx := openEnum(t, srv, 3)
		if strings.Join(ids, ",") != "0,1,2" || !strings.HasPrefix(ctx, "uuid:") {
			t.Fatalf("Open: %v %q", ids, ctx)
		}
		ids, ctx2, eos := pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 4))
		if strings.Join(ids, ",") != "3,4,5,6" || eos || ctx2 != ctx {
			t.Fatalf("Pull: %v %q %v", ids, ctx2, eos)
		}
		ids, _, _ = pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 0))
		if len(ids) != 0 {
			t.Fatalf("Pull of 0 returned %v", ids)
		}
		if n := srv.OpenEnumerations(); n != 1 {
			t.Fatalf("%d open enumerations", n)
		}
		ids, _, eos = pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 10))
		if strings.Join(ids, ",") != "7,8,9" || !eos {
			t.Fatalf("last Pull: %v %v", ids, eos)
		}
		if n := srv.OpenEnumerations(); n != 0 {
			t.Fatalf("%d open enumerations after the end", n)
		}
		wantError(t, pullN(srv, "PullInstancesWithPath", ctx, 1), 21)
		// An enumeration that ends within Open leaves no context.
		if _, ctx, eos := pulled(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val("100")))); !eos || ctx != "" {
			t.Fatal("a complete Open left a context")
		}
		// The Paths operations return INSTANCEPATH only.
		body := wantOK(t, icall(srv, "OpenEnumerateInstancePaths", ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val("2"))))
		if strings.Count(body, "<INSTANCEPATH>") != 2 || strings.Contains(body, "<INSTANCE ") {
			t.Fatalf("OpenEnumerateInstancePaths: %s", body)
		}
		ctx = ctxRE.FindStringSubmatch(body)[1]
		wantError(t, pullN(srv, "PullInstancesWithPath", ctx, 1), 21) // the wrong pull for this context
		body = wantOK(t, pullN(srv, "PullInstancePaths", ctx, 1))
		if strings.Count(body, "<INSTANCEPATH>") != 1 {
			t.Fatalf("PullInstancePaths: %s", body)
		}
		wantOK(t, icall(srv, "EnumerationCount", ip("EnumerationContext", val(ctx))), "<IRETURNVALUE></IRETURNVALUE>")
		wantOK(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(ctx))))
		wantError(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(ctx))), 21)
		wantError(t, icall(srv, "EnumerationCount", ip("EnumerationContext", val(ctx))), 21)
		wantError(t, icall(srv, "PullInstances", ip("EnumerationContext", val(ctx))), 4) // MaxObjectCount is required
	})
}

// CloseEnumeration reaches the provider: it sees its context cancelled.
func TestCloseEnumerationStopsProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
		srv := newServer(t, p, cimxml.Options{})
		_, ctx := openEnum(t, srv, 10)
		wantOK(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(ctx))))
		if err := <-p.Done; err == nil {
			t.Fatal("the provider ran to the end after CloseEnumeration")
		}
		if emitted := p.Emitted.Load(); emitted > 10+2*1024 {
			t.Fatalf("the provider emitted %d instances for 10 read", emitted)
		}
		synctest.Wait()
	})
}

// A context idles for its OperationTimeout (the server's default when
// NULL), then is closed and its provider cancelled; a pull renews it.
func TestOperationTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 2)}
		srv := newServer(t, p, cimxml.Options{OperationTimeout: 10 * time.Minute})
		_, ctx := openEnum(t, srv, 1, ip("OperationTimeout", val("60")))
		_, def := openEnum(t, srv, 1)
		time.Sleep(59 * time.Second)
		pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 1))
		time.Sleep(59 * time.Second)
		if srv.OpenEnumerations() != 2 {
			t.Fatal("the context expired although a pull renewed it")
		}
		time.Sleep(2 * time.Second)
		if err := <-p.Done; err == nil {
			t.Fatal("the provider completed instead of being cancelled")
		}
		wantError(t, pullN(srv, "PullInstancesWithPath", ctx, 1), 21)
		time.Sleep(10 * time.Minute)
		<-p.Done
		wantError(t, pullN(srv, "PullInstancesWithPath", def, 1), 21)
		for _, bad := range []string{"0", "3601"} {
			wantError(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className(workload.ClassName)), ip("OperationTimeout", val(bad))), 22)
		}
		synctest.Wait()
	})
}

// The options gowbem does not support are refused with their own codes.
func TestUnsupportedPullOptions(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 10}, cimxml.Options{})
	c := ip("ClassName", className(workload.ClassName))
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("ContinueOnError", val("TRUE"))), 26)
	// Filters: WQL conditions on OpenEnumerateInstances(Paths) only.
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("FilterQueryLanguage", val("DMTF:FQL")), ip("FilterQuery", val("Id = 1"))), 14)
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("FilterQuery", val("Id = 1"))), 4)
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("FilterQueryLanguage", val("WQL"))), 4)
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Id =="))), 15)
	wantError(t, icall(srv, "OpenEnumerateInstancePaths", c, ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Id = 1 GROUP WITHIN 5"))), 15)
	wantError(t, icall(srv, "OpenEnumerateInstances", c, ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Nope = 1")), ip("MaxObjectCount", val("5"))), 15)
	wantError(t, icall(srv, "OpenReferenceInstances", ip("InstanceName", instName("Test_Foo", "Id", "a")), ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Id = 1"))), 25)
	wantError(t, icall(srv, "OpenAssociatorInstancePaths", ip("InstanceName", instName("Test_Foo", "Id", "a")), ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Id = 1"))), 25)
	wantError(t, icall(srv, "OpenQueryInstances", ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM GW_Item")), ip("ReturnQueryResultClass", val("TRUE"))), 7)
	wantError(t, icall(srv, "OpenQueryInstances", ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM meta_class")), ip("MaxObjectCount", val("5"))), 7)
	wantError(t, icall(srv, "OpenQueryInstances", ip("FilterQueryLanguage", val("DMTF:CQL")), ip("FilterQuery", val("SELECT * FROM GW_Item")), ip("MaxObjectCount", val("5"))), 14)
	wantError(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className("NoSuch")), ip("MaxObjectCount", val("5"))), 5)
}

// The other Open operations.
func TestOpenOperations(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 10}, cimxml.Options{})
	a := ip("InstanceName", instName("Test_Foo", "Id", "a"))
	max := ip("MaxObjectCount", val("10"))
	body := wantOK(t, icall(srv, "OpenQueryInstances", ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT Id, Name FROM GW_Item WHERE Id &lt; 3")), max),
		`<INSTANCE CLASSNAME="GW_Item"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>0</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>item-0</VALUE></PROPERTY></INSTANCE>`,
		`<VALUE>TRUE</VALUE>`)
	if strings.Count(body, "<INSTANCE ") != 3 || strings.Contains(body, "INSTANCEPATH") {
		t.Fatalf("OpenQueryInstances: %s", body)
	}
	wantOK(t, icall(srv, "OpenAssociatorInstances", a, max), `<VALUE.INSTANCEWITHPATH><INSTANCEPATH>`, `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>b</VALUE>`)
	wantOK(t, icall(srv, "OpenAssociatorInstancePaths", a, ip("ResultRole", val("Dependent")), max), `<KEYVALUE VALUETYPE="string">b</KEYVALUE>`)
	wantOK(t, icall(srv, "OpenReferenceInstances", a, ip("Role", val("Antecedent")), max), `<INSTANCE CLASSNAME="Test_Dep">`)
	body = wantOK(t, icall(srv, "OpenReferenceInstancePaths", a, ip("Role", val("Dependent")), max))
	if strings.Contains(body, "INSTANCEPATH") {
		t.Fatalf("a is no Dependent: %s", body)
	}
}

// A failure after some objects comes with the next pull, after them; one
// before any ends the enumeration.
func TestPullFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 10, FailAfter: 5, Fail: fmt.Errorf("disk on fire")}, cimxml.Options{})
		ids, ctx := openEnum(t, srv, 3)
		if len(ids) != 3 {
			t.Fatal(ids)
		}
		ids, _, eos := pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 5))
		if strings.Join(ids, ",") != "3,4" || eos {
			t.Fatalf("pull before the failure: %v %v", ids, eos)
		}
		if !strings.Contains(wantError(t, pullN(srv, "PullInstancesWithPath", ctx, 5), 1), "disk on fire") {
			t.Fatal("the failure lost its description")
		}
		if srv.OpenEnumerations() != 0 {
			t.Fatal("the failed enumeration kept its context")
		}
	})
}

// A pull answers with what came within PullWait (possibly nothing); the
// context stays.
func TestPullWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 3, Delay: time.Second}, cimxml.Options{PullWait: 2500 * time.Millisecond})
		start := time.Now()
		ids, ctx := openEnum(t, srv, 5)
		if d := time.Since(start); len(ids) != 2 || d != 2500*time.Millisecond {
			t.Fatalf("Open returned %v after %v", ids, d)
		}
		ids, _, eos := pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 5))
		if d := time.Since(start); len(ids) != 1 || !eos || d != 3*time.Second {
			t.Fatalf("Pull: %v %v after %v", ids, eos, d)
		}
		srv = newServer(t, &workload.Provider{N: 3, Delay: time.Hour}, cimxml.Options{PullWait: 500 * time.Millisecond})
		ids, ctx = openEnum(t, srv, 5)
		ids2, ctx2, eos := pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 5))
		if len(ids)+len(ids2) != 0 || eos || ctx2 != ctx {
			t.Fatalf("a pull with nothing to give: %v %v %v", ids, ids2, eos)
		}
	})
}

// A context answers its owner only; one pull at a time; CloseEnumeration
// abandons a waiting pull; a client that goes away during a pull loses its
// enumeration.
func TestPullConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 3, Delay: time.Hour, Done: make(chan error, 2)}
		srv := newServer(t, p, cimxml.Options{PullWait: time.Minute})
		_, ctx := openEnum(t, srv, 0)
		other := post(srv, "other", "secret", "PullInstancesWithPath", "root/cimv2", imethod("PullInstancesWithPath", ip("EnumerationContext", val(ctx)), ip("MaxObjectCount", val("1"))))
		wantError(t, other, 21)
		wantError(t, post(srv, "other", "secret", "CloseEnumeration", "root/cimv2", imethod("CloseEnumeration", ip("EnumerationContext", val(ctx)))), 21)
		var wg sync.WaitGroup
		var first *httptest.ResponseRecorder
		wg.Go(func() { first = pullN(srv, "PullInstancesWithPath", ctx, 1) })
		synctest.Wait() // the pull waits for the provider
		wantError(t, pullN(srv, "PullInstancesWithPath", ctx, 1), 1)
		wantOK(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(ctx))))
		wg.Wait()
		wantError(t, first, 23)
		if err := <-p.Done; err == nil {
			t.Fatal("the provider was not cancelled")
		}

		_, ctx = openEnum(t, srv, 0)
		rctx, cancel := context.WithCancel(t.Context())
		r := httptest.NewRequestWithContext(rctx, http.MethodPost, "/cimom", strings.NewReader(imethod("PullInstancesWithPath", ip("EnumerationContext", val(ctx)), ip("MaxObjectCount", val("1")))))
		r.SetBasicAuth(testUser, testPass)
		r.Header.Set("CIMOperation", "MethodCall")
		r.Header.Set("CIMMethod", "PullInstancesWithPath")
		r.Header.Set("CIMObject", "root/cimv2")
		wg.Go(func() { srv.ServeHTTP(httptest.NewRecorder(), r) })
		synctest.Wait()
		cancel()
		wg.Wait()
		if err := <-p.Done; err == nil || srv.OpenEnumerations() != 0 {
			t.Fatalf("a client that went away left its enumeration open (%v)", err)
		}
	})
}

// One user holds MaxContextsPerUser open enumerations, counted over every
// server sharing the table (WS-Management's too).
func TestPullQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		table := enumctx.New(2)
		srv := newServer(t, &workload.Provider{N: 10}, cimxml.Options{Enumerations: table})
		ws := wsman.NewServer(workload.NewObjectManager(&workload.Provider{N: 10}), wsman.Options{AllowAnonymous: true, Enumerations: table})
		defer ws.Close()
		_, a := openEnum(t, srv, 1)
		openEnum(t, srv, 1)
		if !strings.Contains(wantError(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className(workload.ClassName))), 27), "2 open enumerations") {
			t.Fatal("the quota error does not say the limit")
		}
		if _, ctx, _ := pulled(t, post(srv, "other", "secret", "OpenEnumerateInstances", "root/cimv2", imethod("OpenEnumerateInstances", ip("ClassName", className(workload.ClassName))))); ctx == "" {
			t.Fatal("another user was limited")
		}
		wantOK(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(a))))
		openEnum(t, srv, 1)
		if srv.OpenEnumerations() != 3 || ws.OpenEnumerations() != 0 {
			t.Fatalf("open: cimxml %d, wsman %d", srv.OpenEnumerations(), ws.OpenEnumerations())
		}
		// The anonymous user of the wsman server shares the table too.
		anon := newServer(t, &workload.Provider{N: 10}, cimxml.Options{AllowAnonymous: true, Enumerations: table})
		r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(wsEnumerate))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		w := httptest.NewRecorder()
		ws.ServeHTTP(w, r)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "EnumerationContext") {
			t.Fatalf("wsman Enumerate: %d %s", w.Code, w.Body.String())
		}
		w = post(anon, "", "", "OpenEnumerateInstances", "root/cimv2", imethod("OpenEnumerateInstances", ip("ClassName", className(workload.ClassName))))
		pulled(t, w)
		w = post(anon, "", "", "OpenEnumerateInstances", "root/cimv2", imethod("OpenEnumerateInstances", ip("ClassName", className(workload.ClassName))))
		wantError(t, w, 27)
	})
}

const wsEnumerate = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header><wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</wsa:Action><wsa:To>http://x/wsman</wsa:To><wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/GW_Item</wsman:ResourceURI><wsa:MessageID>uuid:1</wsa:MessageID><wsa:ReplyTo><wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address></wsa:ReplyTo></s:Header><s:Body><wsen:Enumerate/></s:Body></s:Envelope>`

// A WQL condition filters OpenEnumerateInstances and
// OpenEnumerateInstancePaths: the object manager runs it as the WHERE
// clause of a query on the class.
func TestFilteredOpen(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 10}, cimxml.Options{})
	c := ip("ClassName", className(workload.ClassName))
	wql := ip("FilterQueryLanguage", val("WQL"))
	ids, _, eos := pulled(t, icall(srv, "OpenEnumerateInstances", c, wql, ip("FilterQuery", val("Id &lt; 3")), ip("MaxObjectCount", val("10"))))
	if strings.Join(ids, " ") != "0 1 2" || !eos {
		t.Errorf("filtered OpenEnumerateInstances gave %v, end %v; want 0 1 2 and the end", ids, eos)
	}
	body := wantOK(t, icall(srv, "OpenEnumerateInstancePaths", c, ip("FilterQueryLanguage", val("wql")), ip("FilterQuery", val("Id &gt;= 8 AND Name LIKE 'item-%'")), ip("MaxObjectCount", val("10"))))
	if n := strings.Count(body, "<INSTANCEPATH>"); n != 2 || !strings.Contains(body, `<KEYVALUE VALUETYPE="numeric">9</KEYVALUE>`) {
		t.Errorf("filtered OpenEnumerateInstancePaths gave %d paths:\n%s", n, body)
	}
	// A filter that matches nothing ends at once; one pulled in batches
	// goes on as an unfiltered enumeration does.
	if ids, _, eos := pulled(t, icall(srv, "OpenEnumerateInstances", c, wql, ip("FilterQuery", val("Id &gt; 100")), ip("MaxObjectCount", val("5")))); len(ids) != 0 || !eos {
		t.Errorf("a filter that matches nothing gave %v, end %v", ids, eos)
	}
	ids, ctx := openEnum(t, srv, 2, wql, ip("FilterQuery", val("Id &lt;&gt; 4")))
	more, _, eos := pulled(t, pullN(srv, "PullInstancesWithPath", ctx, 10))
	if got := strings.Join(append(ids, more...), " "); got != "0 1 2 3 5 6 7 8 9" || !eos {
		t.Errorf("filtered pulls gave %s, end %v", got, eos)
	}
}

// A pull context queues what its client's next pull takes, not a fixed
// 1,024 objects: about one object after an Open of none, about
// MaxObjectCount after a pull, and no more than the enumeration table's
// budget shares out when that is small — the sizing WS-Management's
// contexts have (internal/enumctx), from the same table when the servers
// share it.
func TestPullQueueSized(t *testing.T) {
	for _, tc := range []struct {
		name            string
		budget          int64 // 0: the default
		max             int
		atLeast, atMost int64 // queued ahead after the pull
	}{
		{name: "small pulls", max: 10, atLeast: 10, atMost: 12},
		{name: "large pulls", max: 500, atLeast: 400, atMost: 502},
		// Two contexts share MinBuffer*2: each may hold its MinBuffer
		// (8 KB: some objects), not the 500 a pull asks.
		{name: "small budget", budget: 2 * enumctx.MinBuffer, max: 500, atLeast: 1, atMost: 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tab := enumctx.New(cimxml.DefaultMaxContextsPerUser)
				if tc.budget > 0 {
					tab.SetMaxBuffered(tc.budget)
				}
				ps := []*workload.Provider{{N: 1 << 30}, {N: 1 << 30}}
				var srvs []*cimxml.Server
				var ctxs []string
				for _, p := range ps {
					srv := newServer(t, p, cimxml.Options{Enumerations: tab})
					_, ctx, _ := pulled(t, icall(srv, "OpenEnumerateInstances", ip("ClassName", className(workload.ClassName)), ip("MaxObjectCount", val("0"))))
					synctest.Wait()
					if got := p.Emitted.Load(); got > 2 {
						t.Fatalf("an Open of none queued %d objects, want 2 at most", got)
					}
					srvs, ctxs = append(srvs, srv), append(ctxs, ctx)
				}
				for i, srv := range srvs {
					if ids, _, _ := pulled(t, pullN(srv, "PullInstancesWithPath", ctxs[i], tc.max)); len(ids) != tc.max {
						t.Fatalf("a pull of %d brought %d", tc.max, len(ids))
					}
				}
				synctest.Wait()
				for i, p := range ps {
					if q := p.Emitted.Load() - int64(tc.max); q < tc.atLeast || q > tc.atMost {
						t.Errorf("context %d queued %d objects after a pull of %d, want %d to %d", i, q, tc.max, tc.atLeast, tc.atMost)
					}
				}
				if b, n := tab.Buffered(); n != 2 || b <= 0 || tc.budget > 0 && b > tc.budget {
					t.Errorf("the table's buffers hold %d bytes in %d buffers", b, n)
				}
				for i, srv := range srvs {
					wantOK(t, icall(srv, "CloseEnumeration", ip("EnumerationContext", val(ctxs[i]))))
				}
				synctest.Wait()
				if b, n := tab.Buffered(); b != 0 || n != 0 {
					t.Errorf("after CloseEnumeration the table's buffers hold %d bytes in %d buffers", b, n)
				}
			})
		})
	}
}

// ContinueOnError TRUE is CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED on
// every Open, with a description that says why; FALSE (the default) is
// accepted.
func TestContinueOnError(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, cimxml.Options{})
	a := ip("InstanceName", instName("Test_Foo", "Id", "a"))
	max := ip("MaxObjectCount", val("10"))
	for method, params := range map[string][]string{
		"OpenEnumerateInstances":      {ip("ClassName", className(workload.ClassName)), max},
		"OpenEnumerateInstancePaths":  {ip("ClassName", className(workload.ClassName)), max},
		"OpenReferenceInstances":      {a, max},
		"OpenReferenceInstancePaths":  {a, max},
		"OpenAssociatorInstances":     {a, max},
		"OpenAssociatorInstancePaths": {a, max},
		"OpenQueryInstances":          {ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM GW_Item")), max},
	} {
		d := wantError(t, icall(srv, method, append(params, ip("ContinueOnError", val("TRUE")))...), 26)
		if !strings.Contains(d, "ContinueOnError is not supported") || !strings.Contains(d, "first failure") {
			t.Errorf("%s: %q", method, d)
		}
		wantOK(t, icall(srv, method, append(params, ip("ContinueOnError", val("FALSE")))...), `<VALUE>TRUE</VALUE></PARAMVALUE>`)
	}
}
