package cimxml_test

import (
	"regexp"
	"strings"
	"testing"
)

// prop is a PROPERTY element as the server encodes it.
func prop(name, typ, v string) string {
	return `<PROPERTY NAME="` + name + `" TYPE="` + typ + `"><VALUE>` + v + `</VALUE></PROPERTY>`
}

var (
	instanceRE = regexp.MustCompile(`<INSTANCE CLASSNAME="[^"]*">.*</INSTANCE>`)
	startRE    = regexp.MustCompile(`<PROPERTY NAME="SubscriptionStartTime" TYPE="datetime"><VALUE>(\d{14}\.\d{6}[+-]\d{3})</VALUE>`)
	changedRE  = regexp.MustCompile(`<PROPERTY NAME="TimeOfLastStateChange" TYPE="datetime"><VALUE>\d{14}\.\d{6}[+-]\d{3}</VALUE>`)
)

// GetInstance, the enumerations, the queries and GetProperty show a
// subscription object as it is now: what its creator gave, and what the
// server holds that the creator left out — a filter's and a
// destination's keys (always its path's), a filter's QueryLanguage and SourceNamespaces, a
// destination's Protocol, a subscription's policies, start time, state
// and the time of its last change. A client that sends back what it
// read changes nothing but what it changed.
func TestSubscriptionObjectsShowServerState(t *testing.T) {
	srv, _ := subscribed(t)
	// f3 names no QueryLanguage and no source namespace.
	wantOK(t, icall(srv, "CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter">`+prop("Name", "string", "f3")+
		prop("Query", "string", creationQuery)+`</INSTANCE>`)))
	f1 := ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))
	f3 := ip("InstanceName", fourKeys("CIM_IndicationFilter", "f3"))
	d1 := ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))
	s1 := ip("InstanceName", subName("f1", "d1"))
	keys := func(class string) []string {
		return []string{prop("CreationClassName", "string", class), prop("SystemCreationClassName", "string", "CIM_ComputerSystem"),
			prop("SystemName", "string", "testhost")}
	}
	sources := `<PROPERTY.ARRAY NAME="SourceNamespaces" TYPE="string"><VALUE.ARRAY><VALUE>root\cimv2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`
	wantOK(t, icall(srv, "GetInstance", f1), append(keys("CIM_IndicationFilter"), sources,
		prop("SourceNamespace", "string", "root/cimv2"), prop("QueryLanguage", "string", "WQL"))...)
	wantOK(t, icall(srv, "GetInstance", f3), append(keys("CIM_IndicationFilter"), sources, prop("QueryLanguage", "string", "WQL"))...)
	wantOK(t, icall(srv, "GetInstance", d1), append(keys("CIM_ListenerDestinationCIMXML"), prop("Protocol", "uint16", "2"))...)
	policies := []string{prop("OnFatalErrorPolicy", "uint16", "2"), prop("RepeatNotificationPolicy", "uint16", "2")}
	body := wantOK(t, icall(srv, "GetInstance", s1), append(policies, prop("SubscriptionState", "uint16", "2"))...)
	start := startRE.FindStringSubmatch(body)
	if start == nil || !changedRE.MatchString(body) {
		t.Fatalf("the subscription lacks SubscriptionStartTime or TimeOfLastStateChange:\n%s", body)
	}
	read := instanceRE.FindString(body)

	// Disabled: the state and its time change, the start stays (the
	// server's: a NULL or another time sent for it is ignored).
	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("4")+`<PROPERTY NAME="SubscriptionStartTime" TYPE="datetime"></PROPERTY>`)))
	wantOK(t, icall(srv, "SetProperty", s1, ip("PropertyName", val("SubscriptionStartTime")), ip("NewValue", val("20200101000000.000000+000"))))
	body = wantOK(t, icall(srv, "GetInstance", s1), append(policies, prop("SubscriptionState", "uint16", "4"), start[0])...)
	if !changedRE.MatchString(body) {
		t.Fatalf("no TimeOfLastStateChange after the change:\n%s", body)
	}
	wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", `<CLASSNAME NAME="CIM_IndicationSubscription"/>`)),
		append(policies, prop("SubscriptionState", "uint16", "4"), start[0])...)

	// The enumerations, queries and GetProperty see the same.
	wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", `<CLASSNAME NAME="CIM_IndicationFilter"/>`)), append(keys("CIM_IndicationFilter"), sources)...)
	if got := filterNames(wantOK(t, icall(srv, "ExecQuery", ip("QueryLanguage", val("WQL")),
		ip("Query", val("SELECT Name FROM CIM_IndicationFilter WHERE SystemName = 'testhost' AND QueryLanguage = 'WQL'"))))); got != "f1 f2 f3" {
		t.Fatalf("ExecQuery on server-held properties found %q, want f1 f2 f3", got)
	}
	wantOK(t, icall(srv, "GetProperty", f3, ip("PropertyName", val("SourceNamespaces"))), `<VALUE.ARRAY><VALUE>root\cimv2</VALUE></VALUE.ARRAY>`)
	wantOK(t, icall(srv, "GetProperty", s1, ip("PropertyName", val("OnFatalErrorPolicy"))), val("2"))
	wantOK(t, icall(srv, "GetProperty", d1, ip("PropertyName", val("Protocol"))), val("2"))

	// What was read, sent back with the state it had: enabled again.
	back := ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+subName("f1", "d1")+read+`</VALUE.NAMEDINSTANCE>`)
	wantOK(t, icall(srv, "ModifyInstance", back))
	wantOK(t, icall(srv, "GetInstance", s1), prop("SubscriptionState", "uint16", "2"), start[0])
	// A filter read and sent back whole changes nothing either.
	read = instanceRE.FindString(wantOK(t, icall(srv, "GetInstance", f1)))
	wantOK(t, icall(srv, "ModifyInstance", ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_IndicationFilter", "f1")+read+`</VALUE.NAMEDINSTANCE>`)))

	// A key its creator gave otherwise (pywbem sends the client's own
	// host name as SystemName) shows the path's value; the one given, sent
	// back, is no change, a third one is.
	wantOK(t, icall(srv, "CreateInstance", ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter">`+prop("Name", "string", "f4")+
		prop("SystemName", "string", "clienthost")+prop("Query", "string", creationQuery)+`</INSTANCE>`)))
	f4 := ip("InstanceName", fourKeys("CIM_IndicationFilter", "f4"))
	if body := wantOK(t, icall(srv, "GetInstance", f4), keys("CIM_IndicationFilter")...); strings.Contains(body, "clienthost") {
		t.Fatalf("the filter shows the SystemName its creator gave, not its path's:\n%s", body)
	}
	withKey := func(host string) string {
		return ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_IndicationFilter", "f4")+`<INSTANCE CLASSNAME="CIM_IndicationFilter">`+
			prop("Name", "string", "f4")+prop("SystemName", "string", host)+`</INSTANCE></VALUE.NAMEDINSTANCE>`)
	}
	wantOK(t, icall(srv, "ModifyInstance", withKey("clienthost")))
	wantOK(t, icall(srv, "ModifyInstance", withKey("testhost")))
	if d := wantError(t, icall(srv, "ModifyInstance", withKey("elsewhere")), 7); !strings.Contains(d, "SystemName") {
		t.Fatalf("a third SystemName: %q", d)
	}

	// Another user sees none of it.
	other := post(srv, "other", "secret", "GetInstance", "root%2Fcimv2", imethod("GetInstance", s1)).Body.String()
	if !strings.Contains(other, `<ERROR CODE="6"`) {
		t.Fatalf("another user's GetInstance:\n%s", other)
	}
}

// modifiedFilter is ModifyInstance's parameter: filter f1 with the
// PROPERTY elements props.
func modifiedFilter(props string) string {
	return ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_IndicationFilter", "f1")+
		`<INSTANCE CLASSNAME="CIM_IndicationFilter">`+prop("Name", "string", "f1")+props+`</INSTANCE></VALUE.NAMEDINSTANCE>`)
}

// A filter's query, its language and its source namespaces are fixed
// once created, as SFCB and OpenPegasus have them (ModifyInstance of a
// filter is CIM_ERR_NOT_SUPPORTED there): a change is refused naming the
// property, and the subscriptions go on with the query they have. The
// same namespaces spelt otherwise are no change.
func TestSubscriptionObjectsFilterFixed(t *testing.T) {
	srv, _ := subscribed(t)
	arr := func(vs ...string) string {
		return `<PROPERTY.ARRAY NAME="SourceNamespaces" TYPE="string"><VALUE.ARRAY>` + strings.Join(vs, "") + `</VALUE.ARRAY></PROPERTY.ARRAY>`
	}
	for _, tc := range []struct {
		name, props string
		code        int // 0: success
		want        string
	}{
		{"query", prop("Query", "string", "SELECT * FROM __InstanceDeletionEvent"), 7, "CIM_IndicationFilter.Query cannot be modified"},
		{"query language", prop("QueryLanguage", "string", "DMTF:CQL"), 7, "CIM_IndicationFilter.QueryLanguage cannot be modified"},
		{"source namespace", prop("SourceNamespace", "string", "root/interop"), 7, "CIM_IndicationFilter.SourceNamespace cannot be modified"},
		{"source namespaces", arr(val("root/interop")), 7, "CIM_IndicationFilter.SourceNamespaces cannot be modified"},
		{"one source namespace more", arr(val("root/cimv2"), val("root/interop")), 7, "SourceNamespaces cannot be modified"},
		{"source namespaces spelt otherwise", arr(val("ROOT/cimv2/")) + prop("SourceNamespace", "string", `root\cimv2`), 0, ""},
		{"query language and namespaces as shown", prop("QueryLanguage", "string", "WQL") + arr(val(`root\cimv2`)), 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := icall(srv, "ModifyInstance", modifiedFilter(tc.props))
			if tc.code == 0 {
				wantOK(t, w)
				return
			}
			if d := wantError(t, w, tc.code); !strings.Contains(d, tc.want) {
				t.Fatalf("description %q lacks %q", d, tc.want)
			}
		})
	}
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))),
		prop("Query", "string", creationQuery), prop("QueryLanguage", "string", "WQL"), prop("SourceNamespace", "string", "root/cimv2"),
		`<PROPERTY.ARRAY NAME="SourceNamespaces" TYPE="string"><VALUE.ARRAY><VALUE>root\cimv2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`)
	// Another user's change is not found, whatever it would change.
	other := post(srv, "other", "secret", "ModifyInstance", "root%2Fcimv2", imethod("ModifyInstance", modifiedFilter(prop("QueryLanguage", "string", "WQL")))).Body.String()
	if !strings.Contains(other, `<ERROR CODE="6"`) {
		t.Fatalf("another user's ModifyInstance:\n%s", other)
	}
}
