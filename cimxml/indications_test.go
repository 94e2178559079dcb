package cimxml_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/wbem"
)

// A filter's SourceNamespaces (DSP1054) are all watched: the events of
// each reach the listener; too many namespaces, or an empty name, are
// refused at CreateInstance, and a namespace whose query fails fails the
// subscription, naming the namespace.
func TestIndicationSourceNamespaces(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: time.Millisecond}})
	ctx := t.Context()
	item := &cim.Class{Name: "GW_Item", Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}
	cimv2 := e.om.Services(`root\cimv2`)
	nc := classOf(t, cimv2, "__NAMESPACE")
	for _, name := range []string{"second", "third"} {
		n := nc.NewInstance()
		n.Set("Name", cim.String(name))
		if _, err := cimv2.PutInstance(ctx, n, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{`root\cimv2`, `root\cimv2\second`} {
		if _, err := e.om.Services(ns).PutClass(ctx, item.Clone(), 0); err != nil {
			t.Fatal(err)
		}
	}
	q := "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Item'"
	sources := func(names ...string) string {
		v := ""
		for _, n := range names {
			v += "<VALUE>" + n + "</VALUE>"
		}
		return `<PROPERTY.ARRAY NAME="SourceNamespaces" TYPE="string"><VALUE.ARRAY>` + v + `</VALUE.ARRAY></PROPERTY.ARRAY>`
	}
	filter := func(name string, names ...string) string {
		return ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>`+name+
			`</VALUE></PROPERTY><PROPERTY NAME="Query" TYPE="string"><VALUE>`+q+
			`</VALUE></PROPERTY><PROPERTY NAME="QueryLanguage" TYPE="string"><VALUE>WQL</VALUE></PROPERTY>`+sources(names...)+`</INSTANCE>`)
	}
	wantOK(t, icall(e.srv, "CreateInstance", filter("both", "root/cimv2", "root/cimv2/second", "root/cimv2/")))
	wantOK(t, icall(e.srv, "CreateInstance", destInst("d", url)))
	wantOK(t, icall(e.srv, "CreateInstance", subInst("both", "d")))
	wantOK(t, icall(e.srv, "GetInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "both"))), "<VALUE>root/cimv2/second</VALUE>")
	for _, ns := range []string{`root\cimv2`, `root\cimv2\second`} {
		inst := classOf(t, e.om.Services(ns), "GW_Item").NewInstance()
		inst.Set("Id", cim.String(ns))
		if _, err := e.om.Services(ns).PutInstance(ctx, inst, 0); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "both delivered", func() bool { return rec.count() == 2 })
	rec.mu.Lock()
	got := map[string]bool{}
	for _, ev := range rec.got {
		got[ev.Value("TargetInstance").Instance().Value("Id").Str()] = true
	}
	rec.mu.Unlock()
	if !got[`root\cimv2`] || !got[`root\cimv2\second`] {
		t.Fatalf("delivered %v", got)
	}

	// GW_Item is not in "third": the subscription fails there, and says so.
	wantOK(t, icall(e.srv, "CreateInstance", filter("partial", "root/cimv2", "root/cimv2/third")))
	if desc := wantError(t, icall(e.srv, "CreateInstance", subInst("partial", "d")), 5); !strings.Contains(desc, `root\cimv2\third`) {
		t.Fatalf("description %q does not name the namespace", desc)
	}
	var many []string
	for i := range cimxml.MaxSourceNamespaces + 1 {
		many = append(many, fmt.Sprintf("root/n%d", i))
	}
	if desc := wantError(t, icall(e.srv, "CreateInstance", filter("many", many...)), 27); !strings.Contains(desc, "at most") {
		t.Fatalf("too many: %q", desc)
	}
	wantError(t, icall(e.srv, "CreateInstance", filter("empty", "root/cimv2", " ")), 4)
	if st := e.srv.IndicationStats(); st.Subscriptions != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// The subscription classes are in the schema, so that GetClass answers
// (wbemcli's and pywbem's): where the server installs them at start, and
// where a subscription object is first created; a class the namespace
// had already (the host's CIM_ManagedElement) stays.
func TestIndicationClasses(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{ClassNamespaces: []string{`root\cimv2`}}})
	svc := e.connect(t, "")
	for _, tc := range []struct{ class, has string }{
		{"CIM_IndicationFilter", "SourceNamespaces"},
		{"CIM_ListenerDestinationCIMXML", "Destination"},
		{"CIM_IndicationHandlerCIMXML", "Destination"},
		{"CIM_IndicationSubscription", "Handler"},
	} {
		c := classOf(t, svc, tc.class)
		if c.PropertyIndex(tc.has) < 0 {
			t.Fatalf("%s has no %s", tc.class, tc.has)
		}
	}
	sub := classOf(t, svc, "CIM_IndicationSubscription")
	if !sub.Qualifiers.Has("Association") || !sub.Properties[sub.PropertyIndex("Filter")].IsKey() {
		t.Fatalf("CIM_IndicationSubscription: %v", sub)
	}
	if f := classOf(t, svc, "CIM_IndicationFilter"); len(f.Derivation) == 0 || f.Derivation[0] != "CIM_ManagedElement" {
		t.Fatalf("CIM_IndicationFilter derives from %v", f.Derivation)
	}
	// A namespace without them gets them with its first filter.
	nc := classOf(t, svc, "__NAMESPACE")
	n := nc.NewInstance()
	n.Set("Name", cim.String("fresh"))
	if _, err := e.om.Services(`root\cimv2`).PutInstance(t.Context(), n, 0); err != nil {
		t.Fatal(err)
	}
	fresh := e.om.Services(`root\cimv2\fresh`)
	if _, err := fresh.GetObject(t.Context(), "CIM_IndicationFilter", 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND && cim.StatusOf(err) != cim.WBEM_E_INVALID_CLASS {
		t.Fatalf("before: %v", err)
	}
	body := post(e.srv, testUser, testPass, "CreateInstance", "root%2Fcimv2%2Ffresh", strings.Replace(imethod("CreateInstance", filterInst("f", creationQuery)),
		nsRootCimv2, `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/><NAMESPACE NAME="fresh"/></LOCALNAMESPACEPATH>`, 1)).Body.String()
	if strings.Contains(body, "<ERROR") {
		t.Fatal(body)
	}
	classOf(t, fresh, "CIM_ListenerDestinationCIMXML")
	// A class there already stays as it was.
	me := &cim.Class{Name: "CIM_ManagedElement", Qualifiers: cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}, Properties: []cim.Property{{Name: "Caption", Type: cim.TypeString}}}
	other := e.om.Services(`root\cimv2\fresh\mine`)
	n = nc.NewInstance()
	n.Set("Name", cim.String("mine"))
	if _, err := fresh.PutInstance(t.Context(), n, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutClass(t.Context(), me, 0); err != nil {
		t.Fatal(err)
	}
	srv2 := cimxml.NewServer(e.om, cimxml.Options{AllowAnonymous: true, Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Indications: &cimxml.IndicationOptions{ClassNamespaces: []string{`root\cimv2\fresh\mine`}}})
	defer srv2.Close()
	if c := classOf(t, other, "CIM_ManagedElement"); c.PropertyIndex("ElementName") >= 0 {
		t.Fatal("the namespace's own CIM_ManagedElement was replaced")
	}
	classOf(t, other, "CIM_IndicationFilter")
}

func classOf(t *testing.T, svc *wbem.Services, name string) *cim.Class {
	t.Helper()
	obj, err := getObject(svc, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return obj.(*cim.Class)
}
