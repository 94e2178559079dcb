package cimxml_test

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/wbem"
)

var filterNameRE = regexp.MustCompile(`<PROPERTY NAME="Name" TYPE="string"><VALUE>(f\d)</VALUE>`)

// filterNames reads the filter names a response holds, sorted.
func filterNames(body string) string {
	var out []string
	for _, m := range filterNameRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// subscribed returns a server with the caller's filters f1 and f2, a
// listener destination d1 and the subscription of f1 to d1.
func subscribed(t *testing.T) (*cimxml.Server, string) {
	t.Helper()
	_, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", creationQuery)))
	wantOK(t, icall(srv, "CreateInstance", filterInst("f2", "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Test_Foo'")))
	wantOK(t, icall(srv, "CreateInstance", destInst("d1", url)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f1", "d1")))
	return srv, url
}

// The pull operations and ExecQuery reach the indication subscription
// objects as EnumerateInstances does: the caller's own, in batches of
// MaxObjectCount, filtered and projected by a query — not the repository's
// (empty) instances of their classes.
func TestSubscriptionObjectsPulled(t *testing.T) {
	srv, url := subscribed(t)
	filters := ip("ClassName", className("CIM_IndicationFilter"))
	body := wantOK(t, icall(srv, "OpenEnumerateInstances", filters, ip("MaxObjectCount", val("1"))), "<VALUE.INSTANCEWITHPATH><INSTANCEPATH>")
	first := filterNames(body)
	ctx := ctxRE.FindStringSubmatch(body)
	if first == "" || strings.Contains(first, " ") || ctx == nil {
		t.Fatalf("Open of 1 filter: %q\n%s", first, body)
	}
	body = wantOK(t, pullN(srv, "PullInstancesWithPath", ctx[1], 10), `<VALUE>TRUE</VALUE>`, `<KEYBINDING NAME="SystemName"><KEYVALUE VALUETYPE="string">testhost</KEYVALUE>`)
	all := []string{first, filterNames(body)}
	if sort.Strings(all); strings.Join(all, " ") != "f1 f2" {
		t.Fatalf("Open and pull gave %v, want f1 and f2", all)
	}

	for _, tc := range []struct {
		name, method string
		params       []string
		want         []string
		count        string // element counted
		n            int
	}{
		{"paths of the subscription", "OpenEnumerateInstancePaths", []string{ip("ClassName", className("CIM_IndicationSubscription")), ip("MaxObjectCount", val("10"))},
			[]string{`<INSTANCEPATH><NAMESPACEPATH><HOST>testhost</HOST>`, `<KEYBINDING NAME="Filter"><VALUE.REFERENCE>`, `<VALUE>TRUE</VALUE>`}, `<INSTANCENAME CLASSNAME="CIM_IndicationSubscription">`, 1},
		{"filtered Open", "OpenEnumerateInstances", []string{filters, ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("Name = 'f2'")), ip("MaxObjectCount", val("10"))},
			[]string{"__InstanceDeletionEvent"}, "<VALUE.INSTANCEWITHPATH>", 1},
		{"OpenQueryInstances projects", "OpenQueryInstances", []string{ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT Name FROM CIM_IndicationFilter WHERE Name = 'f1'")), ip("MaxObjectCount", val("10"))},
			[]string{`<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>f1</VALUE></PROPERTY></INSTANCE>`}, "<INSTANCE ", 1},
		{"ExecQuery", "ExecQuery", []string{ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT * FROM CIM_ListenerDestinationCIMXML"))},
			[]string{url, `<VALUE.OBJECTWITHPATH><INSTANCEPATH>`}, "<VALUE.OBJECTWITHPATH>", 1},
		{"OpenQueryInstances of every filter", "OpenQueryInstances", []string{ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM CIM_IndicationFilter")), ip("MaxObjectCount", val("10"))},
			nil, "<INSTANCE ", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := wantOK(t, icall(srv, tc.method, tc.params...), tc.want...)
			if n := strings.Count(body, tc.count); n != tc.n {
				t.Fatalf("%d %s, want %d:\n%s", n, tc.count, tc.n, body)
			}
		})
	}
	// A query on a property the class has not is the query's error.
	wantError(t, icall(srv, "OpenQueryInstances", ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM CIM_IndicationFilter WHERE Nope = 1")), ip("MaxObjectCount", val("10"))), 15)

	// Another user sees none of them, whichever way it asks.
	other := func(method string, params ...string) string {
		return post(srv, "other", "secret", method, "root%2Fcimv2", imethod(method, params...)).Body.String()
	}
	for _, body := range []string{
		other("OpenEnumerateInstances", filters, ip("MaxObjectCount", val("10"))),
		other("OpenEnumerateInstancePaths", ip("ClassName", className("CIM_IndicationSubscription")), ip("MaxObjectCount", val("10"))),
		other("OpenQueryInstances", ip("FilterQueryLanguage", val("WQL")), ip("FilterQuery", val("SELECT * FROM CIM_IndicationFilter")), ip("MaxObjectCount", val("10"))),
		other("ExecQuery", ip("QueryLanguage", val("WQL")), ip("Query", val("SELECT * FROM CIM_ListenerDestinationCIMXML"))),
	} {
		if strings.Contains(body, "<INSTANCE") || strings.Contains(body, "<ERROR") || !strings.Contains(body, "<IRETURNVALUE") {
			t.Fatalf("another user's enumeration:\n%s", body)
		}
	}
}

// modified is ModifyInstance's parameter: filter f1 with Query q.
func modified(q string) string {
	return ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_IndicationFilter", "f1")+
		`<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>f1</VALUE></PROPERTY><PROPERTY NAME="Query" TYPE="string"><VALUE>`+q+
		`</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`)
}

// ModifyInstance, GetProperty and SetProperty find the subscription
// objects as GetInstance does; a change to one is refused naming the
// property (a subscription is fixed once made), never written to the
// repository, and the object keeps its value.
func TestSubscriptionObjectsModify(t *testing.T) {
	srv, url := subscribed(t)
	f1 := ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))
	d1 := ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))
	for _, tc := range []struct {
		name, method string
		params       []string
		code         int    // 0: success
		want         string // in the response (the description of an error)
	}{
		{"same values", "ModifyInstance", []string{modified(creationQuery)}, 0, ""},
		{"new query", "ModifyInstance", []string{modified("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Test_Foo'")}, 7, "CIM_IndicationFilter.Query cannot be modified"},
		{"new query outside PropertyList", "ModifyInstance", []string{modified("SELECT * FROM __InstanceModificationEvent"), ip("PropertyList", `<VALUE.ARRAY><VALUE>Name</VALUE></VALUE.ARRAY>`)}, 0, ""},
		{"new query in PropertyList", "ModifyInstance", []string{modified("SELECT * FROM __InstanceModificationEvent"), ip("PropertyList", `<VALUE.ARRAY><VALUE>query</VALUE></VALUE.ARRAY>`)}, 7, "Query"},
		{"GetProperty", "GetProperty", []string{f1, ip("PropertyName", val("Query"))}, 0, creationQuery},
		{"GetProperty of a key", "GetProperty", []string{f1, ip("PropertyName", val("SystemName"))}, 0, "<VALUE>testhost</VALUE>"},
		{"GetProperty of the destination", "GetProperty", []string{d1, ip("PropertyName", val("Destination"))}, 0, url},
		{"GetProperty of no property", "GetProperty", []string{f1, ip("PropertyName", val("Nope"))}, 12, "no property Nope"},
		{"SetProperty", "SetProperty", []string{d1, ip("PropertyName", val("PersistenceType")), ip("NewValue", val("3"))}, 7, "CIM_ListenerDestinationCIMXML.PersistenceType cannot be modified"},
		{"SetProperty to NULL", "SetProperty", []string{f1, ip("PropertyName", val("Query"))}, 7, "Query"},
		{"SetProperty, same value", "SetProperty", []string{d1, ip("PropertyName", val("Destination")), ip("NewValue", val(url))}, 0, ""},
		{"GetProperty of another's", "GetProperty", []string{ip("InstanceName", fourKeys("CIM_IndicationFilter", "f9")), ip("PropertyName", val("Query"))}, 6, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := icall(srv, tc.method, tc.params...)
			if tc.code == 0 {
				wantOK(t, w, tc.want)
				return
			}
			if d := wantError(t, w, tc.code); !strings.Contains(d, tc.want) {
				t.Fatalf("description %q lacks %q", d, tc.want)
			}
		})
	}
	// Another user finds none of them.
	body := post(srv, "other", "secret", "ModifyInstance", "root%2Fcimv2", imethod("ModifyInstance", modified("SELECT * FROM __InstanceModificationEvent"))).Body.String()
	if !strings.Contains(body, `<ERROR CODE="6"`) {
		t.Fatalf("another user's ModifyInstance:\n%s", body)
	}
	// Nothing changed, nothing reached the repository.
	wantOK(t, icall(srv, "GetInstance", f1), creationQuery)
	wantOK(t, icall(srv, "GetInstance", d1), url)
}

// Over gowbem's client: its enumerations (pull operations) and
// PutInstance (ModifyInstance) reach the subscription objects.
func TestSubscriptionObjectsClient(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	_, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	for _, body := range []string{filterInst("f1", creationQuery), destInst("d1", url)} {
		wantOK(t, icall(e.srv, "CreateInstance", body))
	}
	ctx := context.Background()
	for _, q := range []string{"maxobjectcount=1", "pull=false"} {
		svc := e.connect(t, q)
		en, err := svc.CreateInstanceEnum(ctx, "CIM_IndicationFilter", semisyncFlags)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := en.Collect(ctx)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d filters, %v", q, len(objs), err)
		}
		inst := objs[0].(*cim.Instance)
		if inst.Value("Query").Str() != creationQuery || objs[0].ObjectPath().String() == "" {
			t.Fatalf("%s: filter %v at %v", q, inst, objs[0].ObjectPath())
		}
		qe, err := svc.ExecQuery(ctx, "WQL", "SELECT Destination FROM CIM_ListenerDestinationCIMXML", semisyncFlags)
		if err != nil {
			t.Fatal(err)
		}
		if objs, err := qe.Collect(ctx); err != nil || len(objs) != 1 || objs[0].(*cim.Instance).Value("Destination").Str() != url {
			t.Fatalf("%s: query gave %v, %v", q, objs, err)
		}
	}
	svc := e.connect(t, "")
	obj, err := getObject(svc, `root/cimv2:CIM_IndicationFilter.CreationClassName="CIM_IndicationFilter",Name="f1",SystemCreationClassName="CIM_ComputerSystem",SystemName="testhost"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutInstance(ctx, obj.(*cim.Instance), wbem.WBEM_FLAG_UPDATE_ONLY); err != nil {
		t.Fatalf("PutInstance of the filter unchanged: %v", err)
	}
	inst := obj.(*cim.Instance).Clone()
	if err := inst.Set("Query", cim.String("SELECT * FROM __InstanceDeletionEvent")); err != nil {
		t.Fatal(err)
	}
	for _, flags := range []wbem.Flag{wbem.WBEM_FLAG_UPDATE_ONLY, wbem.WBEM_FLAG_CREATE_OR_UPDATE} {
		_, err = svc.PutInstance(ctx, inst, flags)
		if e := cim.AsError(err); err == nil || e.Status != cim.WBEM_E_NOT_SUPPORTED || !strings.Contains(e.Description, "Query") {
			t.Fatalf("PutInstance (flags %#x) of a changed filter: %v", flags, err)
		}
	}
	if _, err := svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY); cim.AsError(err).Status != cim.WBEM_E_ALREADY_EXISTS {
		t.Fatalf("PutInstance (create only) of an existing filter: %v", err)
	}
}

const semisyncFlags = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// The real wbemcli (sblim-wbemcli) creates a filter, finds it with ei, ein,
// gi and gp, and is refused a change with mi and sp naming the property;
// di deletes it. wbemcli sends no pull operations.
func TestSubscriptionObjectsWBEMCLI(t *testing.T) {
	interop.NeedTool(t, "wbemcli")
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{ClassNamespaces: []string{"root/cimv2"}}})
	base := e.userURL() + "/root/cimv2:"
	f := base + `CIM_IndicationFilter.CreationClassName="CIM_IndicationFilter",Name="wf1",SystemCreationClassName="CIM_ComputerSystem",SystemName="testhost"`
	run := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		out, errs, code := interop.WBEMCLI(t, args...)
		if code != wantCode {
			t.Fatalf("wbemcli %v: exit %d, want %d\n%s%s", args[0], code, wantCode, out, errs)
		}
		return out, errs
	}
	run(0, "ci", f, `Name="wf1",Query="`+creationQuery+`",QueryLanguage="WQL"`)
	if out, _ := run(0, "ei", base+"CIM_IndicationFilter"); !strings.Contains(out, `Name="wf1"`) || !strings.Contains(out, "__InstanceCreationEvent") {
		t.Fatalf("ei:\n%s", out)
	}
	if out, _ := run(0, "ein", base+"CIM_IndicationFilter"); !strings.Contains(out, `Name="wf1"`) {
		t.Fatalf("ein:\n%s", out)
	}
	if out, _ := run(0, "gp", f, "Query"); !strings.Contains(out, "__InstanceCreationEvent") {
		t.Fatalf("gp:\n%s", out)
	}
	if _, errs := run(16, "mi", f, `Query="SELECT * FROM __InstanceDeletionEvent"`); !strings.Contains(errs, "Cim: (7)") || !strings.Contains(errs, "Query cannot be modified") {
		t.Fatalf("mi:\n%s", errs)
	}
	if _, errs := run(16, "sp", f, `Query="SELECT * FROM __InstanceDeletionEvent"`); !strings.Contains(errs, "Cim: (7)") || !strings.Contains(errs, "Query cannot be modified") {
		t.Fatalf("sp:\n%s", errs)
	}
	if _, errs := run(16, "mi", f, `QueryLanguage="DMTF:CQL"`); !strings.Contains(errs, "Cim: (7)") || !strings.Contains(errs, "QueryLanguage cannot be modified") {
		t.Fatalf("mi of QueryLanguage:\n%s", errs)
	}
	// gi shows what the server holds beside what ci gave: the keys, the
	// source namespaces.
	out, _ := run(0, "gi", f)
	_, props, _ := strings.Cut(out, " ") // the path, then the properties
	for _, want := range []string{"__InstanceCreationEvent", `,SystemName="testhost"`, `,CreationClassName="CIM_IndicationFilter"`, `,SourceNamespaces="root\\cimv2"`} {
		if !strings.Contains(props, want) {
			t.Fatalf("gi after the refused changes lacks %s:\n%s", want, out)
		}
	}
	run(0, "di", f)
	if out, _ := run(0, "ein", base+"CIM_IndicationFilter"); strings.Contains(out, "wf1") {
		t.Fatalf("ein after di:\n%s", out)
	}
}
