package cimxml_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/wbem"
)

// The client's ExecNotificationQuery over CIM-XML: an event enumerator fed
// by the client's own indication listener (on the address asked for),
// through a filter, a destination and a subscription it creates on the
// server; Next times out with nothing while nothing happens, Close deletes
// the three instances and stops the listener; a query the server refuses
// fails the call and leaves nothing behind; a user who may not name a
// listener is refused at the call.
func TestClientExecNotificationQuery(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: 10 * time.Millisecond}})
	// A free port for the listener, asked for by URL parameter.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	svc := e.connect(t, "listener="+addr)
	ctx := t.Context()
	en, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Foo'", semisync)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.srv.IndicationStats(); st.Subscriptions != 1 {
		t.Fatalf("server stats %+v", st)
	}
	buf := make([]cim.Object, 1)
	if n, err := en.Next(50*time.Millisecond, buf); n != 0 || err != wbem.ErrTimedOut {
		t.Fatalf("idle Next = %d, %v; want 0, WBEM_S_TIMEDOUT", n, err)
	}
	// The listener is where it was asked to be; other paths are not it.
	if resp, err := http.Post("http://"+addr+"/", "application/xml", strings.NewReader("<CIM/>")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the listener's root: %v %v", resp, err)
	}
	cr, err := svc.GetObject(ctx, "Test_Foo", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	inst := obj.(*cim.Class).NewInstance()
	inst.Set("Id", cim.String("ev1"))
	if _, err := svc.PutInstance(ctx, inst, 0); err != nil {
		t.Fatal(err)
	}
	n, err := en.Next(10*time.Second, buf)
	if n != 1 || err != nil {
		t.Fatalf("Next = %d, %v", n, err)
	}
	ev := buf[0].(*cim.Instance)
	if ev.ClassName() != "__InstanceCreationEvent" || ev.Value("TargetInstance").Instance().Value("Id").Str() != "ev1" {
		t.Fatalf("event %v", ev)
	}
	// The three instances are there, the caller's.
	for _, class := range []string{"CIM_IndicationSubscription", "CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML"} {
		if got := countInstances(t, e.srv, testUser, testPass, class); got != 1 {
			t.Fatalf("%d instances of %s while subscribed", got, class)
		}
	}
	en.Close()
	waitUntil(t, "deleted on the server", func() bool { return e.srv.IndicationStats().Subscriptions == 0 })
	for _, class := range []string{"CIM_IndicationSubscription", "CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML"} {
		waitUntil(t, class+" deleted", func() bool { return countInstances(t, e.srv, testUser, testPass, class) == 0 })
	}
	waitUntil(t, "the listener stopped", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})

	// Refused queries fail the call and leave nothing behind.
	for q, want := range map[string]cim.Status{
		"SELECT * FROM Test_Foo": cim.WBEM_E_NOT_EVENT_CLASS,
		"SELECT FROM WHERE":      cim.WBEM_E_UNPARSABLE_QUERY,
	} {
		en, err := svc.ExecNotificationQuery(ctx, "WQL", q, semisync)
		if cim.StatusOf(err) != want || en != nil {
			t.Errorf("%s: %v, want %v", q, err, want)
		}
	}
	if _, err := svc.ExecNotificationQuery(ctx, "CQL", "SELECT * FROM CIM_InstCreation", semisync); cim.StatusOf(err) == 0 {
		t.Error("a CQL event query was taken")
	}
	for _, class := range []string{"CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML"} {
		if got := countInstances(t, e.srv, testUser, testPass, class); got != 0 {
			t.Fatalf("%d instances of %s left by refused queries", got, class)
		}
	}
}

// A user who is no administrator watches events over CIM-XML too: the
// client's listener is on the address its connection to the server leaves
// from, which the server lets them name; a listener on another address of
// the client's host (not the one the server sees the request come from)
// is refused with CIM_ERR_ACCESS_DENIED naming it, and leaves nothing.
func TestClientExecNotificationQueryNonAdmin(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: 10 * time.Millisecond}})
	ctx := t.Context()
	guest := e.connectAs(t, "guest", "guest", "")
	en, err := guest.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Foo'", semisync)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.connect(t, "")
	obj, err := getObject(admin, "Test_Foo")
	if err != nil {
		t.Fatal(err)
	}
	inst := obj.(*cim.Class).NewInstance()
	inst.Set("Id", cim.String("seen-by-guest"))
	if _, err := admin.PutInstance(ctx, inst, 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]cim.Object, 1)
	if n, err := en.Next(10*time.Second, buf); n != 1 || err != nil {
		t.Fatalf("the guest's Next = %d, %v", n, err)
	}
	if id := buf[0].(*cim.Instance).Value("TargetInstance").Instance().Value("Id").Str(); id != "seen-by-guest" {
		t.Fatalf("the guest got the event of %q", id)
	}
	// The administrator does not see the guest's objects.
	if got := countInstances(t, e.srv, testUser, testPass, "CIM_IndicationSubscription"); got != 0 {
		t.Fatalf("the administrator sees %d of the guest's subscriptions", got)
	}
	en.Close()
	// Close deletes the subscription, then its destination, then its
	// filter: wait for the last, so that the count of filters below is
	// the refused subscription's alone.
	waitUntil(t, "the guest's subscription and filter deleted", func() bool {
		return e.srv.IndicationStats().Subscriptions == 0 && countInstances(t, e.srv, "guest", "guest", "CIM_IndicationFilter") == 0
	})

	// A listener on another address of this host than 127.0.0.1, where
	// the client's connection comes from.
	var other string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			other = n.IP.String()
			break
		}
	}
	if other == "" {
		t.Skip("this machine has no IPv4 address but the loopback: the refusal of another address is tested in TestNonAdminListenerDestination")
	}
	elsewhere := e.connectAs(t, "guest", "guest", "listener="+other+":0")
	_, err = elsewhere.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Foo'", semisync)
	if cim.StatusOf(err) != cim.WBEM_E_ACCESS_DENIED || !strings.Contains(err.Error(), "http://"+other+":") {
		t.Fatalf("a listener on %s: %v", other, err)
	}
	if got := countInstances(t, e.srv, "guest", "guest", "CIM_IndicationFilter"); got != 0 {
		t.Fatalf("the guest's refused subscription left %d filters", got)
	}
}

// countInstances counts the names EnumerateInstanceNames gives user.
func countInstances(t *testing.T, srv http.Handler, user, pass, class string) int {
	t.Helper()
	body := post(srv, user, pass, "EnumerateInstanceNames", "root%2Fcimv2", imethod("EnumerateInstanceNames", ip("ClassName", className(class)))).Body.String()
	if strings.Contains(body, "<ERROR") {
		t.Fatalf("%s: %s", class, body)
	}
	return strings.Count(body, "<INSTANCENAME CLASSNAME=\""+class)
}
