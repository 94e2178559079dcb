package cimxml_test

import (
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
)

// The association operations reach the subscription objects: a
// CIM_IndicationSubscription joins its filter (role Filter) and its
// listener destination (role Handler), so the references of a filter are
// its subscriptions and its associators their destinations, and the other
// way round; AssocClass, ResultClass, Role and ResultRole narrow them; the
// pull forms give the same; another user's filter is not found.
func TestSubscriptionObjectsAssociations(t *testing.T) {
	srv, url := subscribed(t) // f1, f2, d1, f1→d1
	wantOK(t, icall(srv, "CreateInstance", destInst("d2", url)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f1", "d2")))
	f1 := ip("ObjectName", fourKeys("CIM_IndicationFilter", "f1"))
	f2 := ip("ObjectName", fourKeys("CIM_IndicationFilter", "f2"))
	d1 := ip("ObjectName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))
	name := func(param, v string) string { return ip(param, className(v)) }
	const (
		sub  = `<INSTANCE CLASSNAME="CIM_IndicationSubscription">`
		dest = `<INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML">`
		filt = `<INSTANCE CLASSNAME="CIM_IndicationFilter">`
	)
	for _, tc := range []struct {
		name, method string
		params       []string
		count        string // element counted
		n            int
		want         string
	}{
		{"references of a filter", "References", []string{f1}, sub, 2, `<KEYBINDING NAME="Handler"><VALUE.REFERENCE>`},
		{"reference names of a filter", "ReferenceNames", []string{f1}, `<INSTANCENAME CLASSNAME="CIM_IndicationSubscription">`, 2, "<HOST>testhost</HOST>"},
		{"references as the Filter", "References", []string{f1, ip("Role", val("Filter"))}, sub, 2, ""},
		{"references as the Handler", "References", []string{f1, ip("Role", val("Handler"))}, sub, 0, ""},
		{"references of the class", "References", []string{f1, name("ResultClass", "CIM_IndicationSubscription")}, sub, 2, ""},
		{"references of another class", "References", []string{f1, name("ResultClass", "CIM_ManagedElement")}, sub, 0, ""},
		{"references of a destination", "References", []string{d1}, sub, 1, ""},
		{"references of an unused filter", "References", []string{f2}, sub, 0, ""},
		{"references of a subscription", "References", []string{ip("ObjectName", subName("f1", "d1"))}, "<INSTANCE ", 0, ""},
		{"associators of a filter", "Associators", []string{f1}, dest, 2, url},
		{"associator names of a filter", "AssociatorNames", []string{f1}, `<INSTANCENAME CLASSNAME="CIM_ListenerDestinationCIMXML">`, 2, `<KEYVALUE VALUETYPE="string">d2</KEYVALUE>`},
		{"associators of the superclass", "Associators", []string{f1, name("ResultClass", "CIM_ListenerDestination")}, dest, 2, ""},
		{"associators of the root", "Associators", []string{f1, name("ResultClass", "CIM_ManagedElement")}, dest, 2, ""},
		{"associators of another class", "Associators", []string{f1, name("ResultClass", "CIM_IndicationFilter")}, dest, 0, ""},
		{"associators by the association", "Associators", []string{f1, name("AssocClass", "CIM_IndicationSubscription"), ip("Role", val("Filter")), ip("ResultRole", val("Handler"))}, dest, 2, ""},
		{"associators by another association", "Associators", []string{f1, name("AssocClass", "CIM_ManagedElement")}, dest, 0, ""},
		{"associators in the wrong role", "Associators", []string{f1, ip("ResultRole", val("Filter"))}, dest, 0, ""},
		{"associators of a destination", "Associators", []string{d1}, filt, 1, "<VALUE>f1</VALUE>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := wantOK(t, icall(srv, tc.method, tc.params...), tc.want)
			if n := strings.Count(body, tc.count); n != tc.n {
				t.Fatalf("%d %s, want %d:\n%s", n, tc.count, tc.n, body)
			}
		})
	}

	// The pull forms: one at a time.
	in := strings.Replace(f1, `"ObjectName"`, `"InstanceName"`, 1)
	body := wantOK(t, icall(srv, "OpenAssociatorInstances", in, ip("MaxObjectCount", val("1"))), `<VALUE.INSTANCEWITHPATH>`)
	ctx := ctxRE.FindStringSubmatch(body)
	if strings.Count(body, dest) != 1 || ctx == nil {
		t.Fatalf("Open of 1 associator:\n%s", body)
	}
	body = wantOK(t, pullN(srv, "PullInstancesWithPath", ctx[1], 10), `<VALUE>TRUE</VALUE>`)
	if strings.Count(body, dest) != 1 {
		t.Fatalf("pull of the second associator:\n%s", body)
	}
	body = wantOK(t, icall(srv, "OpenReferenceInstancePaths", in, ip("MaxObjectCount", val("10"))), `<VALUE>TRUE</VALUE>`)
	if n := strings.Count(body, `<INSTANCENAME CLASSNAME="CIM_IndicationSubscription">`); n != 2 {
		t.Fatalf("%d reference paths:\n%s", n, body)
	}

	// Another user's: not found, whichever way.
	for _, method := range []string{"References", "AssociatorNames"} {
		w := post(srv, "other", "secret", method, "root%2Fcimv2", imethod(method, f1))
		wantError(t, w, 6)
	}
	w := post(srv, "other", "secret", "OpenAssociatorInstances", "root%2Fcimv2", imethod("OpenAssociatorInstances", in, ip("MaxObjectCount", val("10"))))
	wantError(t, w, 6)
}

// The real wbemcli's ai, ain, ri and rin of a filter, and its ein of the
// destinations' superclass.
func TestSubscriptionObjectsAssociationsWBEMCLI(t *testing.T) {
	interop.NeedTool(t, "wbemcli")
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{ClassNamespaces: []string{"root/cimv2"}}})
	_, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	subscribeF1(t, e.srv, url)
	base := e.userURL() + "/root/cimv2:"
	f := base + `CIM_IndicationFilter.CreationClassName="CIM_IndicationFilter",Name="f1",SystemCreationClassName="CIM_ComputerSystem",SystemName="testhost"`
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"ai", f}, []string{"CIM_ListenerDestinationCIMXML", url}},
		{[]string{"ain", "-ac", "CIM_IndicationSubscription", "-arc", "CIM_ListenerDestination", f}, []string{`CIM_ListenerDestinationCIMXML.CreationClassName="CIM_ListenerDestinationCIMXML",Name="d1"`}},
		{[]string{"ri", f}, []string{"CIM_IndicationSubscription", "SubscriptionState=2"}},
		{[]string{"rin", "-arc", "CIM_IndicationSubscription", "-ar", "Filter", f}, []string{"CIM_IndicationSubscription.Filter=", "Handler="}},
		{[]string{"ein", base + "CIM_ListenerDestination"}, []string{`CIM_ListenerDestinationCIMXML.CreationClassName="CIM_ListenerDestinationCIMXML",Name="d1"`}},
	} {
		out, errs, code := interop.WBEMCLI(t, tc.args...)
		if code != 0 {
			t.Fatalf("wbemcli %v: exit %d\n%s%s", tc.args[0], code, out, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Fatalf("wbemcli %v: %q not in\n%s", tc.args, w, out)
			}
		}
	}
}

// Enumerations and queries of the subscription classes' superclasses
// (CIM_ManagedElement, CIM_ListenerDestination) include the caller's
// filters and destinations after the object manager's instances, in the
// plain and the pull forms, a FilterQuery or WHERE clause applied and a
// SELECT list projecting; another user's are not there.
func TestSubscriptionObjectsInSuperclasses(t *testing.T) {
	srv, url := subscribed(t) // f1, f2, d1, f1→d1
	const (
		sub  = `<INSTANCE CLASSNAME="CIM_IndicationSubscription">`
		dest = `<INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML">`
		filt = `<INSTANCE CLASSNAME="CIM_IndicationFilter">`
	)
	count := func(body string) [3]int {
		return [3]int{strings.Count(body, filt), strings.Count(body, dest), strings.Count(body, sub)}
	}
	name := func(v string) string { return ip("ClassName", className(v)) }
	for _, tc := range []struct {
		name, method string
		params       []string
		want         [3]int // filters, destinations, subscriptions
		has          string
	}{
		{"managed elements", "EnumerateInstances", []string{name("CIM_ManagedElement")}, [3]int{2, 1, 0}, url},
		{"listener destinations", "EnumerateInstances", []string{name("CIM_ListenerDestination")}, [3]int{0, 1, 0}, `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="CIM_ListenerDestinationCIMXML">`},
		{"old name of destinations", "EnumerateInstances", []string{name("CIM_IndicationHandler")}, [3]int{0, 0, 0}, ""},
		{"Open of managed elements", "OpenEnumerateInstances", []string{name("CIM_ManagedElement"), ip("MaxObjectCount", val("10"))}, [3]int{2, 1, 0}, "<VALUE>TRUE</VALUE>"},
		{"filtered Open", "OpenEnumerateInstances", []string{name("CIM_ListenerDestination"), ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Name = 'd1'")), ip("MaxObjectCount", val("10"))}, [3]int{0, 1, 0}, url},
		{"query", "ExecQuery", []string{ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT * FROM CIM_ManagedElement"))}, [3]int{2, 1, 0}, url},
		{"query projecting", "ExecQuery", []string{ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT Name FROM CIM_ListenerDestination WHERE Name = 'd1'"))}, [3]int{0, 1, 0},
			`<INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML"><PROPERTY NAME="Name" TYPE="string"><VALUE>d1</VALUE></PROPERTY></INSTANCE>`},
		{"OpenQueryInstances", "OpenQueryInstances", []string{ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM CIM_ListenerDestination WHERE Name &lt;&gt; 'd1'")), ip("MaxObjectCount", val("10"))}, [3]int{0, 0, 0}, "<VALUE>TRUE</VALUE>"},
		{"OpenQueryInstances of managed elements", "OpenQueryInstances", []string{ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM CIM_ManagedElement")), ip("MaxObjectCount", val("10"))}, [3]int{2, 1, 0}, "<VALUE>TRUE</VALUE>"},
		{"filtered Open, none", "OpenEnumerateInstances", []string{name("CIM_ListenerDestination"), ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Name = 'd2'")), ip("MaxObjectCount", val("10"))}, [3]int{0, 0, 0}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := wantOK(t, icall(srv, tc.method, tc.params...), tc.has)
			if got := count(body); got != tc.want {
				t.Fatalf("filters, destinations, subscriptions: %v, want %v\n%s", got, tc.want, body)
			}
		})
	}
	body := wantOK(t, icall(srv, "EnumerateInstanceNames", name("CIM_ManagedElement")))
	if n := strings.Count(body, `<INSTANCENAME CLASSNAME="CIM_IndicationFilter">`); n != 2 || !strings.Contains(body, `<INSTANCENAME CLASSNAME="CIM_ListenerDestinationCIMXML">`) {
		t.Fatalf("names of managed elements:\n%s", body)
	}
	// One at a time through a pull.
	body = wantOK(t, icall(srv, "OpenEnumerateInstancePaths", name("CIM_ManagedElement"), ip("MaxObjectCount", val("1"))))
	ctx := ctxRE.FindStringSubmatch(body)
	if ctx == nil {
		t.Fatalf("Open of 1:\n%s", body)
	}
	// (the repository's CIM_ComputerSystem instances come too)
	ours := func(body string) int {
		return strings.Count(body, `<INSTANCENAME CLASSNAME="CIM_IndicationFilter">`) + strings.Count(body, `<INSTANCENAME CLASSNAME="CIM_ListenerDestinationCIMXML">`)
	}
	n := ours(body)
	body = wantOK(t, pullN(srv, "PullInstancePaths", ctx[1], 10), `<VALUE>TRUE</VALUE>`)
	if n += ours(body); n != 3 {
		t.Fatalf("%d of the subscription objects' paths in all, want 3:\n%s", n, body)
	}
	for _, params := range [][]string{{name("CIM_ManagedElement")}, {name("CIM_ManagedElement"), ip("MaxObjectCount", val("10"))}} {
		method := "EnumerateInstances"
		if len(params) > 1 {
			method = "OpenEnumerateInstances"
		}
		body := post(srv, "other", "secret", method, "root%2Fcimv2", imethod(method, params...)).Body.String()
		if count(body) != [3]int{} || !strings.Contains(body, `<INSTANCE CLASSNAME="CIM_ComputerSystem">`) || strings.Contains(body, "<ERROR") {
			t.Fatalf("another user's %s:\n%s", method, body)
		}
	}
}
