package wsman_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// Issue 16's WS-Management items, each as a client that no one here wrote
// met it: requests as wsl, pywinrm and WinRM's own clients send them.

const (
	actCreate    = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	actRenew     = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Renew"
	actGetStatus = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/GetStatus"
	baseURI      = wsman.URIPrefixWMI + "root/cimv2/GW_Base"
	childURI     = wsman.URIPrefixWMI + "root/cimv2/GW_Child"
)

func selectors(kv ...string) string {
	var b strings.Builder
	b.WriteString("<wsman:SelectorSet>")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(`<wsman:Selector Name="` + kv[i] + `">` + kv[i+1] + `</wsman:Selector>`)
	}
	b.WriteString("</wsman:SelectorSet>")
	return b.String()
}

func reasonOf(body string) string {
	m := regexp.MustCompile(`<s:Text xml:lang="en-US">([^<]*)</s:Text>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// wantFaultSaying checks a fault's HTTP status, subcode and that its reason
// says every one of says.
func wantFaultSaying(t *testing.T, w *httptest.ResponseRecorder, status int, subcode string, says ...string) {
	t.Helper()
	wantFault(t, w, status, subcode)
	r := reasonOf(w.Body.String())
	for _, s := range says {
		if !strings.Contains(r, s) {
			t.Errorf("the reason %q does not say %q", r, s)
		}
	}
}

// The resource URI decides the class of a Create or Put: a body of a
// subclass is taken (as WinRM takes it), one of an unrelated class is a
// fault, and the body's keys must be those the selectors name.
func TestPutCreateFollowTheResourceURI(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, wsman.Options{})
	base := func(name string) string {
		return `<p:GW_Base xmlns:p="` + baseURI + `"><p:Name>` + name + `</p:Name></p:GW_Base>`
	}
	child := `<p:GW_Child xmlns:p="` + childURI + `"><p:Name>kid</p:Name><p:Extra>x</p:Extra></p:GW_Child>`
	item := `<p:GW_Item xmlns:p="` + itemURI + `"><p:Id>7</p:Id><p:Name>not a base</p:Name></p:GW_Item>`

	// A Create addressed to GW_Base with a GW_Item body creates nothing.
	wantFaultSaying(t, call(srv, testUser, testPass, envelope(actCreate, baseURI, "", item)), 400, "wxf:InvalidRepresentation", "GW_Item", "GW_Base")
	w := call(srv, testUser, testPass, envelope(actGet, itemURI, selectors("Id", "7"), ""))
	wantFault(t, w, 400, "wsa:DestinationUnreachable")

	// A subclass's body is taken.
	if w := call(srv, testUser, testPass, envelope(actCreate, baseURI, "", child)); w.Code != 200 || !strings.Contains(w.Body.String(), "ResourceCreated") {
		t.Fatalf("Create of a subclass's instance at its superclass's URI: HTTP %d\n%s", w.Code, w.Body.String())
	}
	if w := call(srv, testUser, testPass, envelope(actCreate, baseURI, "", base("a"))); w.Code != 200 {
		t.Fatalf("Create: HTTP %d\n%s", w.Code, w.Body.String())
	}

	// A Put addressed to GW_Base.Name=a with a body of another class, or of
	// another instance, modifies nothing.
	wantFaultSaying(t, call(srv, testUser, testPass, envelope(actPut, baseURI, selectors("Name", "a"), item)), 400, "wxf:InvalidRepresentation", "not the resource URI's class GW_Base")
	wantFaultSaying(t, call(srv, testUser, testPass, envelope(actPut, baseURI, selectors("Name", "a"), base("b"))), 400, "wxf:InvalidRepresentation", `"b"`, `"a"`)
	if w := call(srv, testUser, testPass, envelope(actGet, baseURI, selectors("Name", "b"), "")); w.Code != 400 {
		t.Fatalf("a Put addressed to Name=a created Name=b: HTTP %d", w.Code)
	}
	// The same key in the body (another case, spaces around the selector)
	// is the same instance.
	if w := call(srv, testUser, testPass, envelope(actPut, baseURI, selectors("Name", " A "), base("a"))); w.Code != 200 {
		t.Fatalf("Put with the selector's key: HTTP %d\n%s", w.Code, w.Body.String())
	}
}

// A provider that cannot modify instances makes Put the request's fault,
// not the service's: s:Sender wsa:ActionNotSupported, HTTP 400.
func TestProviderNotCapableIsSendersFault(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 3}, wsman.Options{})
	svc := e.om.Services(workload.Namespace)
	mustPutClass(t, svc, &cim.Class{Name: "Test_ReadOnly", Qualifiers: cim.Qualifiers{
		{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String("TestMethods")}},
		Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Qualifiers: keyQ}}})
	uri := wsman.URIPrefixWMI + "root/cimv2/Test_ReadOnly"
	w := call(e.srv, testUser, testPass, envelope(actPut, uri, selectors("Id", "x"), `<p:Test_ReadOnly xmlns:p="`+uri+`"><p:Id>x</p:Id></p:Test_ReadOnly>`))
	sub, code, st := faultCodes(t, w.Body.String())
	if w.Code != 400 || !strings.Contains(w.Body.String(), "<s:Value>s:Sender</s:Value>") || sub != "wsa:ActionNotSupported" || code != "2150858771" {
		t.Fatalf("HTTP %d %s Code %s (%s), want 400 s:Sender wsa:ActionNotSupported 2150858771\n%s", w.Code, sub, code, st, w.Body.String())
	}
}

// Enumerate checks its class and its filter before it answers, as WinRM
// does: a wrong one faults at the Enumerate (not at the first Pull) and no
// context counts against the user's quota.
func TestEnumerateChecksFirst(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, wsman.Options{MaxContextsPerUser: 1})
	wql := func(q string) string {
		return `<wsman:Filter Dialect="` + wsman.DialectWQL + `">` + q + `</wsman:Filter>`
	}
	cql := func(q string) string {
		return `<wsman:Filter Dialect="` + wsman.DialectCQL + `">` + q + `</wsman:Filter>`
	}
	for _, tc := range []struct {
		name, req, subcode string
		says               []string
	}{
		{"no such class", enumerate(wsman.URIPrefixWMI+"root/cimv2/Nope_Class", ""), "wsa:DestinationUnreachable", []string{"Nope_Class"}},
		{"unparsable WQL", enumerate(itemURI, wql("SELEKT * FROM GW_Item")), "wsen:CannotProcessFilter", nil},
		{"WQL of no class", enumerate(wsman.URIAllClasses, wql("SELECT * FROM Nope_Class")), "wsa:DestinationUnreachable", []string{"Nope_Class"}},
		{"WQL of another class", enumerate(itemURI, wql("SELECT * FROM GW_Base")), "wsen:CannotProcessFilter", []string{"GW_Base", "resource URI names GW_Item"}},
		{"CQL outside WQL", enumerate(itemURI, cql("SELECT * FROM GW_Item WHERE Name || 'x' = 'ax'")), "wsen:CannotProcessFilter", []string{"CQL"}},
		{"Expires", enumerate(itemURI, "<wsen:Expires>PT1M</wsen:Expires>"), "wsman:UnsupportedFeature", []string{"Expires"}},
	} {
		w := call(srv, testUser, testPass, tc.req)
		wantFaultSaying(t, w, 400, tc.subcode, tc.says...)
		if n := srv.OpenEnumerations(); n != 0 {
			t.Fatalf("%s: %d contexts open after the fault", tc.name, n)
		}
	}
	// With a quota of one, the faults above took none of it.
	id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, cql("SELECT * FROM GW_Item WHERE Id &lt; 2"))))
	w := call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>10</wsen:MaxElements>", ""))
	if got := ids(w.Body.String()); len(got) != 2 {
		t.Fatalf("a CQL filter selected %v, want ids 0 and 1\n%s", got, w.Body.String())
	}
	// An expiry asked for in Enumerate has WinRM's code for it.
	_, code, _ := faultCodes(t, call(srv, testUser, testPass, enumerate(itemURI, "<wsen:Expires>PT1M</wsen:Expires>")).Body.String())
	if code != "2150858775" {
		t.Fatalf("Expires: WSManFault Code %s, want 2150858775", code)
	}
}

// Envelope limits: under WinRM's minimum MaxEnvelopeSize is an
// EncodingLimit that says the minimum; Pull's MaxTime past the cap is
// reported as the time waited.
func TestEnvelopeAndTimeLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 3, Delay: time.Hour}, wsman.Options{})
		w := call(srv, testUser, testPass, envelope(actGet, itemURI, selectors("Id", "1")+"<wsman:MaxEnvelopeSize>4000</wsman:MaxEnvelopeSize>", ""))
		wantFaultSaying(t, w, 400, "wsman:EncodingLimit", "4000", "minimum of 8192")
		if _, code, _ := faultCodes(t, w.Body.String()); code != "2150858878" {
			t.Errorf("WSManFault Code %s, want ERROR_WSMAN_MIN_ENVELOPE_SIZE 2150858878", code)
		}
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		w = call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxTime>P1D</wsen:MaxTime>", ""))
		wantFaultSaying(t, w, 500, "wsman:TimedOut", "within 5m0s")
		if strings.Contains(reasonOf(w.Body.String()), "24h") {
			t.Errorf("the reason names the time asked for, not the time waited: %s", reasonOf(w.Body.String()))
		}
	})
}

// One rule for selector values: surrounding spaces do not count in a Get
// as in a SelectorFilter. Two SelectorSet headers are a fault, not "the
// last wins".
func TestSelectorRules(t *testing.T) {
	srv := newServer(t, &workload.Provider{N: 3}, wsman.Options{})
	w := call(srv, testUser, testPass, envelope(actGet, itemURI, selectors("Id", " 1 "), ""))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<p:Id>1</p:Id>") {
		t.Fatalf("Get with the selector ' 1 ': HTTP %d\n%s", w.Code, w.Body.String())
	}
	w = call(srv, testUser, testPass, enumerate(itemURI, `<wsman:OptimizeEnumeration/><wsman:Filter Dialect="`+wsman.DialectSelector+`">`+selectors("Id", " 1 ")+`</wsman:Filter>`))
	if got := ids(w.Body.String()); len(got) != 1 || got[0] != 1 {
		t.Fatalf("SelectorFilter ' 1 ' selected %v", got)
	}
	w = call(srv, testUser, testPass, envelope(actGet, itemURI, selectors("Id", "1")+selectors("Id", "2"), ""))
	wantFaultSaying(t, w, 400, "wsa:InvalidMessageInformationHeader", "second wsman:SelectorSet")
}

// PolymorphismMode ExcludeSubClassProperties sends instances of subclasses
// with the URI class's properties only.
func TestEnumerationOptions(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 3}, wsman.Options{})
	svc := e.om.Services(workload.Namespace)
	mustPut(t, svc, "GW_Child", map[string]cim.Value{"Name": cim.String("kid"), "Extra": cim.String("only-in-child")})
	mode := func(m string) string {
		return `<wsman:OptimizeEnumeration/><wsmb:PolymorphismMode xmlns:wsmb="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd">` + m + `</wsmb:PolymorphismMode>`
	}
	w := call(e.srv, testUser, testPass, enumerate(baseURI, mode("IncludeSubClassProperties")))
	if !strings.Contains(w.Body.String(), "only-in-child") {
		t.Fatalf("IncludeSubClassProperties lost the subclass's property:\n%s", w.Body.String())
	}
	w = call(e.srv, testUser, testPass, enumerate(baseURI, mode("ExcludeSubClassProperties")))
	if b := w.Body.String(); w.Code != 200 || strings.Contains(b, "only-in-child") || strings.Contains(b, "Extra") || !strings.Contains(b, ">kid<") {
		t.Fatalf("ExcludeSubClassProperties: HTTP %d\n%s", w.Code, b)
	}
}

var expiresRE = regexp.MustCompile(`<wsen:Expires>([^<]*)</wsen:Expires>`)

// GetStatus tells when an enumeration context expires and Renew restarts
// its idle clock; an unknown context cannot be renewed.
func TestRenewAndGetStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(t, &workload.Provider{N: 3}, wsman.Options{IdleTimeout: time.Minute})
		id := enumCtxOf(t, call(srv, testUser, testPass, enumerate(itemURI, "")))
		start := time.Now()
		body := func(op string) string {
			return "<wsen:" + op + "><wsen:EnumerationContext>" + id + "</wsen:EnumerationContext></wsen:" + op + ">"
		}
		expires := func(w *httptest.ResponseRecorder) time.Time {
			t.Helper()
			m := expiresRE.FindStringSubmatch(w.Body.String())
			if w.Code != 200 || m == nil {
				t.Fatalf("HTTP %d, no Expires:\n%s", w.Code, w.Body.String())
			}
			at, err := time.Parse(time.RFC3339, m[1])
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		if at := expires(call(srv, testUser, testPass, envelope(actGetStatus, itemURI, "", body("GetStatus")))); !at.Equal(start.Add(time.Minute).UTC().Truncate(time.Millisecond)) {
			t.Fatalf("GetStatus: expires %v, want %v", at, start.Add(time.Minute))
		}
		time.Sleep(50 * time.Second)
		if at := expires(call(srv, testUser, testPass, envelope(actRenew, itemURI, "", body("Renew")))); !at.Equal(start.Add(110 * time.Second).UTC().Truncate(time.Millisecond)) {
			t.Fatalf("Renew: expires %v, want %v", at, start.Add(110*time.Second))
		}
		time.Sleep(30 * time.Second) // past the first expiry
		synctest.Wait()
		if srv.OpenEnumerations() != 1 {
			t.Fatal("a renewed context expired on its old clock")
		}
		time.Sleep(31 * time.Second)
		synctest.Wait()
		if srv.OpenEnumerations() != 0 {
			t.Fatal("a renewed context outlived its new clock")
		}
		wantFault(t, call(srv, testUser, testPass, envelope(actRenew, itemURI, "", body("Renew"))), 500, "wsen:UnableToRenew")
		wantFault(t, call(srv, testUser, testPass, envelope(actGetStatus, itemURI, "", body("GetStatus"))), 500, "wsen:InvalidEnumerationContext")
	})
}
