package wsman_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

const itemURI = wsman.URIPrefixWMI + "root/cimv2/GW_Item"

// envelope builds a request as a client would send it.
func envelope(action, uri, headers, body string) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header>`)
	if action != "" {
		b.WriteString(`<wsa:Action s:mustUnderstand="true">` + action + `</wsa:Action>`)
	}
	b.WriteString(`<wsa:To>/wsman</wsa:To><wsa:MessageID>uuid:0000-1</wsa:MessageID>`)
	if uri != "" {
		b.WriteString(`<wsman:ResourceURI s:mustUnderstand="true">` + uri + `</wsman:ResourceURI>`)
	}
	b.WriteString(headers + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.String()
}

const (
	actEnumerate = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	actPull      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	actRelease   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
	actGet       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	actPut       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
)

// call sends one request straight to a handler (no network: it works in a
// synctest bubble).
func call(h http.Handler, user, pass, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var ctxRE = regexp.MustCompile(`<wsen:EnumerationContext>([^<]*)</wsen:EnumerationContext>`)

func enumCtxOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	m := ctxRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no enumeration context in HTTP %d:\n%s", w.Code, w.Body.String())
	}
	return m[1]
}

func enumerate(uri, extra string) string {
	return envelope(actEnumerate, uri, "", "<wsen:Enumerate>"+extra+"</wsen:Enumerate>")
}

func pull(uri, id, extra, headers string) string {
	return envelope(actPull, uri, headers, "<wsen:Pull><wsen:EnumerationContext>"+id+"</wsen:EnumerationContext>"+extra+"</wsen:Pull>")
}

func release(uri, id string) string {
	return envelope(actRelease, uri, "", "<wsen:Release><wsen:EnumerationContext>"+id+"</wsen:EnumerationContext></wsen:Release>")
}

func wantFault(t *testing.T, w *httptest.ResponseRecorder, status int, subcode string) {
	t.Helper()
	body := w.Body.String()
	if w.Code != status || !strings.Contains(body, "<s:Subcode><s:Value>"+subcode+"</s:Value>") {
		t.Fatalf("HTTP %d, want %d with subcode %s:\n%s", w.Code, status, subcode, body)
	}
}

var idRE = regexp.MustCompile(`<p:Id>(\d+)</p:Id>`)

func ids(body string) []int {
	var out []int
	for _, m := range idRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func newServer(t testing.TB, p *workload.Provider, opts wsman.Options) *wsman.Server {
	t.Helper()
	if opts.Authenticator == nil && !opts.AllowAnonymous {
		opts.Authenticator = testAuthenticator()
	}
	srv := wsman.NewServer(workload.NewObjectManager(p), opts)
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Release reaches the provider: its ctx is cancelled and it stops.
func TestReleaseStopsProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
		srv := newServer(t, p, wsman.Options{})
		w := call(srv, testUser, testPass, enumerate(itemURI, "<wsman:OptimizeEnumeration/><wsman:MaxElements>10</wsman:MaxElements>"))
		if got := ids(w.Body.String()); len(got) != 10 || got[9] != 9 {
			t.Fatalf("first batch %v", got)
		}
		id := enumCtxOf(t, w)
		if w := call(srv, testUser, testPass, release(itemURI, id)); w.Code != 200 || !strings.Contains(w.Body.String(), "ReleaseResponse") {
			t.Fatalf("Release: HTTP %d %s", w.Code, w.Body.String())
		}
		if err := <-p.Done; err == nil {
			t.Fatal("the provider ran to the end after Release")
		}
		if n := srv.OpenEnumerations(); n != 0 {
			t.Fatalf("%d contexts open after Release", n)
		}
		wantFault(t, call(srv, testUser, testPass, pull(itemURI, id, "", "")), 500, "wsen:InvalidEnumerationContext")
		synctest.Wait()
	})
}

// The same through the client: closing the enumerator sends Release.
func TestClientCloseReleases(t *testing.T) {
	p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
	e := newEnv(t, p, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "maxelements=50")
	en, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
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
			t.Fatal("provider completed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the provider was not stopped after Close")
	}
	for i := 0; e.srv.OpenEnumerations() != 0; i++ {
		if i > 1000 {
			t.Fatal("the context stayed open after Close")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MaxTime: nothing in time gives wsman:TimedOut and the context stays
// valid; a partial batch comes when some came.
func TestPullMaxTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 3, Delay: time.Second}
		srv := newServer(t, p, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		start := time.Now()
		w := call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxTime>PT0.5S</wsen:MaxTime>", ""))
		wantFault(t, w, 500, "wsman:TimedOut")
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("Pull waited %v, want MaxTime 0.5s", d)
		}
		if !strings.Contains(w.Body.String(), `Name="WBEM_S_TIMEDOUT"`) {
			t.Fatalf("the fault does not carry WBEM_S_TIMEDOUT:\n%s", w.Body.String())
		}
		w = call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxTime>PT1.7S</wsen:MaxTime><wsen:MaxElements>5</wsen:MaxElements>", ""))
		if got := ids(w.Body.String()); len(got) != 2 || got[0] != 0 || got[1] != 1 || strings.Contains(w.Body.String(), "EndOfSequence") {
			t.Fatalf("partial batch %v, want [0 1] and no end:\n%s", got, w.Body.String())
		}
		w = call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>5</wsen:MaxElements>", "<wsman:OperationTimeout>PT5S</wsman:OperationTimeout>"))
		if got := ids(w.Body.String()); len(got) != 1 || got[0] != 2 || !strings.Contains(w.Body.String(), "<wsen:EndOfSequence/>") {
			t.Fatalf("last batch %v:\n%s", got, w.Body.String())
		}
		if srv.OpenEnumerations() != 0 {
			t.Fatal("the finished enumeration left its context open")
		}
	})
}

// An idle context expires: it is closed and its provider cancelled.
func TestIdleExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 1)}
		srv := newServer(t, p, wsman.Options{IdleTimeout: time.Minute})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		time.Sleep(50 * time.Second)
		if w := call(srv, testUser, testPass, pull(itemURI, id, "", "")); len(ids(w.Body.String())) != 1 {
			t.Fatalf("Pull before expiry: %s", w.Body.String())
		}
		time.Sleep(59 * time.Second) // a Pull renewed the lease
		if srv.OpenEnumerations() != 1 {
			t.Fatal("context expired although a Pull renewed it")
		}
		time.Sleep(2 * time.Second)
		if err := <-p.Done; err == nil {
			t.Fatal("provider completed instead of being cancelled")
		}
		if srv.OpenEnumerations() != 0 {
			t.Fatal("the idle context is still open")
		}
		wantFault(t, call(srv, testUser, testPass, pull(itemURI, id, "", "")), 500, "wsen:InvalidEnumerationContext")
		synctest.Wait()
	})
}

// MaxEnvelopeSize cuts a batch; what did not fit comes with the next Pull.
func TestEnvelopeCutsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 100}, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		var all []int
		pulls := 0
		for {
			w := call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>100</wsen:MaxElements>", "<wsman:MaxEnvelopeSize>8192</wsman:MaxEnvelopeSize>"))
			if w.Code != 200 {
				t.Fatalf("Pull: %s", w.Body.String())
			}
			if w.Body.Len() > 8192 {
				t.Fatalf("response of %d bytes exceeds MaxEnvelopeSize 8192", w.Body.Len())
			}
			got := ids(w.Body.String())
			if len(got) == 100 {
				t.Fatal("the batch was not cut")
			}
			all = append(all, got...)
			pulls++
			if strings.Contains(w.Body.String(), "EndOfSequence") {
				break
			}
			id = enumCtxOf(t, w)
		}
		for i, v := range all {
			if v != i {
				t.Fatalf("items out of order or lost at %d: %v", i, all)
			}
		}
		if len(all) != 100 || pulls < 3 {
			t.Fatalf("%d items in %d pulls", len(all), pulls)
		}
		// MaxCharacters limits the items the same way.
		id = enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		w := call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>100</wsen:MaxElements><wsen:MaxCharacters>2000</wsen:MaxCharacters>", ""))
		if n := len(ids(w.Body.String())); n == 0 || n > 5 {
			t.Fatalf("MaxCharacters 2000 let %d items through", n)
		}
	})
}

// One object larger than the envelope gets wsman:EncodingLimit; the context
// stays valid and a larger envelope gets it.
func TestEncodingLimit(t *testing.T) {
	srv := newServer(t, &workload.Provider{}, wsman.Options{AllowAnonymous: true})
	svc := wbem.NewServices(workload.NewObjectManager(&workload.Provider{}), workload.Namespace)
	_ = svc
	big := strings.Repeat("x", 20000)
	put := envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", wsman.URIPrefixWMI+"root/cimv2/GW_Base", "",
		`<p:GW_Base xmlns:p="`+wsman.URIPrefixWMI+`root/cimv2/GW_Base"><p:Name>big</p:Name><p:Label>`+big+`</p:Label></p:GW_Base>`)
	if w := call(srv, "", "", put); w.Code != 200 || !strings.Contains(w.Body.String(), "ResourceCreated") {
		t.Fatalf("Create: %s", w.Body.String())
	}
	uri := wsman.URIPrefixWMI + "root/cimv2/GW_Base"
	w := call(srv, "", "", envelope(actEnumerate, uri, "<wsman:MaxEnvelopeSize>8192</wsman:MaxEnvelopeSize>",
		"<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>5</wsman:MaxElements></wsen:Enumerate>"))
	wantFault(t, w, 400, "wsman:EncodingLimit")
	if !strings.Contains(w.Body.String(), "faultDetail/MaxEnvelopeSize") {
		t.Fatalf("no MaxEnvelopeSize detail:\n%s", w.Body.String())
	}
	id := enumCtxOf(t, call(srv, "", "", enumerate(uri, "")))
	wantFault(t, call(srv, "", "", pull(uri, id, "", "<wsman:MaxEnvelopeSize>8192</wsman:MaxEnvelopeSize>")), 400, "wsman:EncodingLimit")
	w = call(srv, "", "", pull(uri, id, "", ""))
	if !strings.Contains(w.Body.String(), big) {
		t.Fatalf("the object that did not fit was lost: %.300s", w.Body.String())
	}
}

// The number of open contexts per user is limited; others are not affected.
func TestContextQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 10}, wsman.Options{MaxContextsPerUser: 2})
		a := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		w := call(srv, testUser, testPass, enumerate(itemURI, ""))
		wantFault(t, w, 400, "wsman:QuotaLimit")
		enumCtxOf(t, call(srv, "other", "secret", enumerate(itemURI, "")))
		call(srv, testUser, testPass, release(itemURI, a))
		b := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		wantFault(t, call(srv, testUser, testPass, enumerate(itemURI, "")), 400, "wsman:QuotaLimit")
		call(srv, testUser, testPass, release(itemURI, b))
		// An enumeration that ends within Enumerate holds no context.
		for range 3 {
			w := call(srv, testUser, testPass, enumerate(itemURI, "<wsman:OptimizeEnumeration/><wsman:MaxElements>100</wsman:MaxElements>"))
			if w.Code != 200 || strings.Contains(w.Body.String(), "EnumerationContext") {
				t.Fatalf("optimized full enumeration: %s", w.Body.String())
			}
		}
	})
}

// A context belongs to the user who opened it.
func TestContextOwner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 10}, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		wantFault(t, call(srv, "other", "secret", pull(itemURI, id, "", "")), 500, "wsen:InvalidEnumerationContext")
		wantFault(t, call(srv, "other", "secret", release(itemURI, id)), 500, "wsen:InvalidEnumerationContext")
		if got := ids(call(srv, testUser, testPass, pull(itemURI, id, "", "")).Body.String()); len(got) != 1 || got[0] != 0 {
			t.Fatalf("the owner's Pull after another user's attempt: %v", got)
		}
		if !regexp.MustCompile(`^uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
			t.Fatalf("context id %q is not a random UUID", id)
		}
	})
}

// Server.Close releases every context and cancels their providers.
func TestServerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30, Done: make(chan error, 2)}
		srv := newServer(t, p, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		enumCtxOf(t, call(srv, "other", "secret", enumerate(itemURI, "")))
		synctest.Wait() // both providers run, blocked on full queues
		srv.Close()
		for range 2 {
			if err := <-p.Done; err == nil {
				t.Fatal("a provider completed after Close")
			}
		}
		wantFault(t, call(srv, testUser, testPass, pull(itemURI, id, "", "")), 500, "wsen:InvalidEnumerationContext")
		wantFault(t, call(srv, testUser, testPass, enumerate(itemURI, "")), 500, "wsa:EndpointUnavailable")
		synctest.Wait()
	})
}

// Authentication: 401 with a challenge and no body, whatever is wrong;
// Identify alone may be anonymous.
func TestAuthentication(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 1}, wsman.Options{})
	get := envelope(actGet, itemURI, `<wsman:SelectorSet><wsman:Selector Name="Id">0</wsman:Selector></wsman:SelectorSet>`, "")
	identify := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
	for _, tc := range []struct {
		name, user, pass, body string
		status                 int
	}{
		{"no credentials", "", "", get, 401},
		{"wrong password", testUser, "nope", get, 401},
		{"unknown user", "nobody", testPass, get, 401},
		{"another user's password", "other", testPass, get, 401},
		{"right", testUser, testPass, get, 200},
		{"anonymous Identify", "", "", identify, 200},
		{"Identify with a wrong password", testUser, "nope", identify, 401},
		{"anonymous garbage", "", "", "<<<", 401},
	} {
		w := call(srv, tc.user, tc.pass, tc.body)
		if w.Code != tc.status {
			t.Errorf("%s: HTTP %d, want %d", tc.name, w.Code, tc.status)
		}
		if w.Code == 401 {
			if ch := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Basic realm=") {
				t.Errorf("%s: challenge %q", tc.name, ch)
			}
			if w.Body.Len() != 0 {
				t.Errorf("%s: a 401 with a body: %q", tc.name, w.Body.String())
			}
		}
	}
	anon := call(srv, "", "", identify).Body.String()
	if !strings.Contains(anon, "IdentifyResponse") || strings.Contains(anon, "ProductVersion") || strings.Contains(anon, "ServerName") {
		t.Fatalf("anonymous Identify: %s", anon)
	}
	if authed := call(srv, testUser, testPass, identify).Body.String(); !strings.Contains(authed, "<wsmid:ProductVersion>") {
		t.Fatalf("authenticated Identify lacks ProductVersion: %s", authed)
	}
	// Through the client, a wrong password is WBEM_E_ACCESS_DENIED.
	e := newEnv(t, &workload.Provider{N: 1}, wsman.Options{})
	_, err := e.connect(t, testUser, "wrong", "").GetObject(context.Background(), "GW_Item.Id=0", 0)
	if wbem.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED {
		t.Fatalf("wrong password through the client: %v", err)
	}
}

// Bad input gets the right fault with a message naming what is wrong.
func TestMalformedInput(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, wsman.Options{MaxRequestBytes: 64 << 10})
	sel := func(s string) string { return "<wsman:SelectorSet>" + s + "</wsman:SelectorSet>" }
	deep := strings.Repeat("<a>", wsman.MaxDepth+5) + strings.Repeat("</a>", wsman.MaxDepth+5)
	for _, tc := range []struct {
		name    string
		body    string
		status  int
		subcode string // "" for no fault check
		reason  string
	}{
		{"not XML", "this is not XML", 400, "wsman:SchemaValidationError", "malformed XML"},
		{"truncated", envelope(actGet, itemURI, "", "")[:120], 400, "wsman:SchemaValidationError", "malformed XML"},
		{"wrong root", "<foo/>", 400, "wsman:SchemaValidationError", "<foo>"},
		{"SOAP 1.1", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`, 400, "", "SOAP 1.2"},
		{"no body", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>`, 400, "wsman:SchemaValidationError", "no SOAP Body"},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`, 400, "wsman:SchemaValidationError", "DOCTYPE"},
		{"deep", envelope(actGet, itemURI, "", deep), 400, "wsman:SchemaValidationError", "deeper than"},
		{"unknown action", envelope("urn:nope", itemURI, "", ""), 400, "wsa:ActionNotSupported", "urn:nope"},
		{"no action", envelope("", itemURI, "", ""), 400, "wsa:MessageInformationHeaderRequired", "Action"},
		{"no MessageID", strings.Replace(envelope(actGet, itemURI, "", ""), "<wsa:MessageID>uuid:0000-1</wsa:MessageID>", "", 1), 400, "wsa:MessageInformationHeaderRequired", "MessageID"},
		{"mustUnderstand", envelope(actGet, itemURI, `<x:Odd xmlns:x="urn:x" s:mustUnderstand="true"/>`, ""), 400, "", "Odd"},
		{"no resource", envelope(actGet, "", "", ""), 400, "wsa:DestinationUnreachable", "no ResourceURI"},
		{"unknown class", envelope(actGet, wsman.URIPrefixWMI+"root/cimv2/NoSuch", sel(`<wsman:Selector Name="K">1</wsman:Selector>`), ""), 400, "wsa:DestinationUnreachable", "NoSuch"},
		{"bad class name", envelope(actGet, wsman.URIPrefixWMI+"root/cimv2/No-Such", "", ""), 400, "wsa:DestinationUnreachable", "not a class name"},
		{"unknown namespace", envelope(actGet, wsman.URIPrefixWMI+"root/nope/GW_Item", sel(`<wsman:Selector Name="Id">1</wsman:Selector>`), ""), 400, "wsa:DestinationUnreachable", "root\\nope"},
		{"bad selector", envelope(actGet, itemURI, sel(`<wsman:Selector Name="Nope">1</wsman:Selector>`), ""), 400, "wsman:InvalidSelectors", "Nope"},
		{"selector value", envelope(actGet, itemURI, sel(`<wsman:Selector Name="Id">abc</wsman:Selector>`), ""), 400, "wsman:InvalidSelectors", "abc"},
		{"duplicate selector", envelope(actGet, itemURI, sel(`<wsman:Selector Name="Id">1</wsman:Selector><wsman:Selector Name="id">2</wsman:Selector>`), ""), 400, "wsman:InvalidSelectors", "twice"},
		{"nameless selector", envelope(actGet, itemURI, sel(`<wsman:Selector>1</wsman:Selector>`), ""), 400, "wsman:InvalidSelectors", "no Name"},
		{"missing instance", envelope(actGet, itemURI, sel(`<wsman:Selector Name="Id">99</wsman:Selector>`), ""), 400, "wsa:DestinationUnreachable", "no GW_Item"},
		{"bad timeout", envelope(actGet, itemURI, "<wsman:OperationTimeout>soon</wsman:OperationTimeout>", ""), 400, "wsman:InvalidParameter", "soon"},
		{"bad envelope size", envelope(actGet, itemURI, "<wsman:MaxEnvelopeSize>-1</wsman:MaxEnvelopeSize>", ""), 400, "wsman:InvalidParameter", "MaxEnvelopeSize"},
		{"enumerate body", envelope(actEnumerate, itemURI, "", "<wsen:Pull/>"), 400, "wsman:SchemaValidationError", "wsen:Enumerate"},
		{"bad MaxElements", enumerate(itemURI, "<wsman:MaxElements>lots</wsman:MaxElements>"), 400, "wsman:SchemaValidationError", "lots"},
		{"bad mode", enumerate(itemURI, "<wsman:EnumerationMode>EnumerateAll</wsman:EnumerationMode>"), 400, "wsman:UnsupportedFeature", "EnumerateAll"},
		{"CQL beyond WQL", enumerate(itemURI, `<wsman:Filter Dialect="`+wsman.DialectCQL+`">select * from GW_Item where Name || 'x' = 'y'</wsman:Filter>`), 400, "wsen:CannotProcessFilter", "CQL"},
		{"no dialect", enumerate(itemURI, `<wsman:Filter>x</wsman:Filter>`), 400, "wsen:FilterDialectRequestedUnavailable", "XPath"},
		{"all classes unfiltered", enumerate(wsman.URIAllClasses, ""), 400, "wsman:UnsupportedFeature", "needs a filter"},
		{"bad WQL", enumerate(itemURI, `<wsman:Filter Dialect="`+wsman.DialectWQL+`">SELEKT</wsman:Filter><wsman:OptimizeEnumeration/>`), 400, "wsen:CannotProcessFilter", ""},
		{"unknown context", pull(itemURI, "uuid:nope", "", ""), 500, "wsen:InvalidEnumerationContext", "uuid:nope"},
		{"no context", pull(itemURI, "", "", ""), 400, "wsman:SchemaValidationError", "EnumerationContext"},
		{"bad MaxTime", pull(itemURI, "x", "<wsen:MaxTime>never</wsen:MaxTime>", ""), 400, "wsman:InvalidParameter", "never"},
		{"MustComply option", envelope(actGet, itemURI, `<wsman:OptionSet><wsman:Option Name="Odd" MustComply="true">1</wsman:Option></wsman:OptionSet>`, ""), 400, "wsman:InvalidOptions", "Odd"},
		{"Renew body", envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Renew", itemURI, "", ""), 400, "wsman:SchemaValidationError", "wsen:Renew"},
		{"put garbage", envelope(actPut, itemURI, "", `<p:GW_Item xmlns:p="`+itemURI+`"><p:Id>1</p:Id><p:Count>abc</p:Count></p:GW_Item>`), 400, "wxf:InvalidRepresentation", "abc"},
		{"put unknown property", envelope(actPut, itemURI, "", `<p:GW_Item xmlns:p="`+itemURI+`"><p:Id>1</p:Id><p:Nope>1</p:Nope></p:GW_Item>`), 400, "wxf:InvalidRepresentation", "Nope"},
		{"put nothing", envelope(actPut, itemURI, "", ""), 400, "wxf:InvalidRepresentation", "no instance"},
		{"invoke unknown method", envelope(itemURI+"/Nope", itemURI, "", ""), 400, "wsa:ActionNotSupported", "Nope"},
		{"invoke bad parameter", envelope(itemURI+"/Echo", itemURI, "", `<p:Echo_INPUT xmlns:p="`+itemURI+`"><p:Bogus>1</p:Bogus></p:Echo_INPUT>`), 400, "wsman:InvalidParameter", "Bogus"},
		{"invoke wrong body", envelope(itemURI+"/Echo", itemURI, "", `<p:Other_INPUT xmlns:p="`+itemURI+`"><p:Text>1</p:Text></p:Other_INPUT>`), 400, "wsman:SchemaValidationError", "Echo_INPUT"},
		{"oversize", envelope(actGet, itemURI, "", "<x>"+strings.Repeat("y", 70<<10)+"</x>"), 413, "wsman:EncodingLimit", "65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := call(srv, testUser, testPass, tc.body)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("HTTP %d, want %d:\n%s", w.Code, tc.status, body)
			}
			if tc.subcode != "" && !strings.Contains(body, "<s:Subcode><s:Value>"+tc.subcode+"</s:Value>") {
				t.Fatalf("want subcode %s:\n%s", tc.subcode, body)
			}
			if !strings.Contains(body, "<s:Fault>") || !strings.Contains(body, "<gw:WBEMStatus") {
				t.Fatalf("not a fault with a WBEM status:\n%s", body)
			}
			reason := regexp.MustCompile(`<s:Text xml:lang="en-US">([^<]*)</s:Text>`).FindStringSubmatch(body)
			if reason == nil || !strings.Contains(reason[1], strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(tc.reason)) {
				t.Fatalf("reason %q does not say %q", reason, tc.reason)
			}
		})
	}
	if w := httptest.NewRecorder(); true {
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/wsman", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET: HTTP %d", w.Code)
		}
	}
}

// A client that goes away while its Pull waits reaches the provider: the
// enumeration is released at once, not when it would have expired.
func TestDroppedClientStopsProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 100, Delay: time.Hour, Done: make(chan error, 1)}
		srv := newServer(t, p, wsman.Options{})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		ctx, cancel := context.WithCancel(context.Background())
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/wsman",
			strings.NewReader(pull(itemURI, id, "<wsen:MaxTime>PT600S</wsen:MaxTime>", "")))
		r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		r.SetBasicAuth(testUser, testPass)
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeHTTP(httptest.NewRecorder(), r)
		}()
		time.Sleep(time.Second)
		start := time.Now()
		cancel() // the connection dropped
		<-done
		if err := <-p.Done; err == nil {
			t.Fatal("provider completed")
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the provider stopped %v after the client went away", d)
		}
		if n := srv.OpenEnumerations(); n != 0 {
			t.Fatalf("%d contexts open after the client went away", n)
		}
		synctest.Wait()
	})
}
