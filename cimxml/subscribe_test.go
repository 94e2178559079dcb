package cimxml_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
)

// The DSP1054 objects as a CIM-XML client (pywbem's subscription
// manager, for one) creates them.
func filterInst(name, query string) string {
	return ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>`+name+
		`</VALUE></PROPERTY><PROPERTY NAME="Query" TYPE="string"><VALUE>`+query+
		`</VALUE></PROPERTY><PROPERTY NAME="QueryLanguage" TYPE="string"><VALUE>WQL</VALUE></PROPERTY><PROPERTY NAME="SourceNamespace" TYPE="string"><VALUE>root/cimv2</VALUE></PROPERTY></INSTANCE>`)
}

func destInst(name, url string) string {
	return ip("NewInstance", `<INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML"><PROPERTY NAME="Name" TYPE="string"><VALUE>`+name+
		`</VALUE></PROPERTY><PROPERTY NAME="Destination" TYPE="string"><VALUE>`+url+`</VALUE></PROPERTY></INSTANCE>`)
}

func fourKeys(class, name string) string {
	kb := func(k, v string) string {
		return `<KEYBINDING NAME="` + k + `"><KEYVALUE VALUETYPE="string">` + v + `</KEYVALUE></KEYBINDING>`
	}
	return `<INSTANCENAME CLASSNAME="` + class + `">` + kb("CreationClassName", class) + kb("Name", name) +
		kb("SystemCreationClassName", "CIM_ComputerSystem") + kb("SystemName", "testhost") + `</INSTANCENAME>`
}

func subRef(filter, dest string) (string, string) {
	return `<VALUE.REFERENCE>` + fourKeys("CIM_IndicationFilter", filter) + `</VALUE.REFERENCE>`,
		`<VALUE.REFERENCE>` + fourKeys("CIM_ListenerDestinationCIMXML", dest) + `</VALUE.REFERENCE>`
}

func subInst(filter, dest string) string {
	f, d := subRef(filter, dest)
	return ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationSubscription"><PROPERTY.REFERENCE NAME="Filter" REFERENCECLASS="CIM_IndicationFilter">`+f+
		`</PROPERTY.REFERENCE><PROPERTY.REFERENCE NAME="Handler" REFERENCECLASS="CIM_ListenerDestination">`+d+`</PROPERTY.REFERENCE></INSTANCE>`)
}

func subName(filter, dest string) string {
	f, d := subRef(filter, dest)
	return `<INSTANCENAME CLASSNAME="CIM_IndicationSubscription"><KEYBINDING NAME="Filter">` + f + `</KEYBINDING><KEYBINDING NAME="Handler">` + d + `</KEYBINDING></INSTANCENAME>`
}

func newFoo(id string) string {
	return ip("NewInstance", `<INSTANCE CLASSNAME="Test_Foo"><PROPERTY NAME="Id" TYPE="string"><VALUE>`+id+`</VALUE></PROPERTY></INSTANCE>`)
}

// waitUntil polls cond for a few seconds: deliveries cross real sockets.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

const creationQuery = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Test_Foo'"

// A filter, a listener destination and a subscription created over
// CIM-XML make the server export the events of the filter's query to the
// listener; they read back, the filter and destination stay while the
// subscription uses them, and deleting the subscription ends the exports.
func TestIndicationSubscription(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: time.Millisecond}})
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", creationQuery)), `<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">f1</KEYVALUE>`)
	wantOK(t, icall(srv, "CreateInstance", destInst("d1", url)))
	// What the server does, asked for explicitly, is accepted.
	enabled := withProp(withProp(withProp(subInst("f1", "d1"), "SubscriptionState", "uint16", "2"), "OnFatalErrorPolicy", "uint16", "2"), "RepeatNotificationPolicy", "uint16", "2")
	wantOK(t, icall(srv, "CreateInstance", enabled), `<INSTANCENAME CLASSNAME="CIM_IndicationSubscription"><KEYBINDING NAME="Filter"><VALUE.REFERENCE>`)
	if st := srv.IndicationStats(); st.Subscriptions != 1 {
		t.Fatalf("stats %+v", st)
	}
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev1")))
	waitUntil(t, "delivered", func() bool { return rec.count() == 1 })
	ev := rec.got[0]
	if ev.ClassName() != "__InstanceCreationEvent" {
		t.Fatalf("got %s", ev.ClassName())
	}
	if ti := ev.Value("TargetInstance").Instance(); ti == nil || ti.Value("Id").Str() != "ev1" {
		t.Fatalf("TargetInstance %#v", ev.Value("TargetInstance"))
	}
	waitUntil(t, "counted", func() bool { return srv.IndicationStats().Delivered == 1 })

	// They read back, to their owner only.
	wantOK(t, icall(srv, "EnumerateInstanceNames", ip("ClassName", className("CIM_IndicationSubscription"))), `<KEYBINDING NAME="Handler"><VALUE.REFERENCE>`)
	wantOK(t, icall(srv, "EnumerateInstances", ip("ClassName", className("CIM_IndicationFilter"))), "SELECT * FROM __InstanceCreationEvent")
	wantOK(t, icall(srv, "GetInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))), url)
	other := func(method string, params ...string) string {
		return post(srv, "other", "secret", method, "root%2Fcimv2", imethod(method, params...)).Body.String()
	}
	if body := other("EnumerateInstanceNames", ip("ClassName", className("CIM_IndicationSubscription"))); strings.Contains(body, "INSTANCENAME") || strings.Contains(body, "<ERROR") {
		t.Fatalf("another user sees:\n%s", body)
	}
	if body := other("DeleteInstance", ip("InstanceName", subName("f1", "d1"))); !strings.Contains(body, `<ERROR CODE="6"`) {
		t.Fatalf("another user deletes:\n%s", body)
	}
	// In use, the filter and the destination stay.
	wantError(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))), 1)
	wantError(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))), 1)
	wantError(t, icall(srv, "CreateInstance", subInst("f1", "d1")), 11)

	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", subName("f1", "d1"))))
	if st := srv.IndicationStats(); st.Subscriptions != 0 || st.Delivered != 1 {
		t.Fatalf("after delete: %+v", st)
	}
	wantError(t, icall(srv, "GetInstance", ip("InstanceName", subName("f1", "d1"))), 6)
	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_IndicationFilter", "f1"))))
	wantOK(t, icall(srv, "DeleteInstance", ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))))
	// A subscription made again delivers only what happens after it.
	wantOK(t, icall(srv, "CreateInstance", newFoo("unseen")))
	wantOK(t, icall(srv, "CreateInstance", filterInst("f1", creationQuery)))
	wantOK(t, icall(srv, "CreateInstance", destInst("d1", url)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f1", "d1")))
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev2")))
	waitUntil(t, "delivered again", func() bool { return rec.count() == 2 })
	if id := rec.got[1].Value("TargetInstance").Instance().Value("Id").Str(); id != "ev2" {
		t.Fatalf("second delivery is about %q", id)
	}
	srv.Close()
	if st := srv.IndicationStats(); st.Subscriptions != 0 {
		t.Fatalf("after Close: %+v", st)
	}
}

// withProp adds a property to the INSTANCE of a NewInstance parameter.
func withProp(param, name, typ, value string) string {
	return strings.Replace(param, "</INSTANCE>", `<PROPERTY NAME="`+name+`" TYPE="`+typ+`"><VALUE>`+value+`</VALUE></PROPERTY></INSTANCE>`, 1)
}

// What cannot be subscribed is refused at CreateInstance with a status
// naming the culprit, and nothing is kept.
func TestIndicationSubscriptionRefusals(t *testing.T) {
	_, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{MaxPerUser: 4}})
	wantOK(t, icall(srv, "CreateInstance", filterInst("bad", "SELEKT nothing")))
	wantOK(t, icall(srv, "CreateInstance", filterInst("data", "SELECT * FROM Test_Foo")))
	wantOK(t, icall(srv, "CreateInstance", destInst("d", url)))
	for _, tc := range []struct {
		name   string
		params string
		code   int
		says   string
	}{
		{"unparsable query", subInst("bad", "d"), 15, "SELEKT"},
		{"not an event query", subInst("data", "d"), 0, ""},
		{"no such filter", subInst("nope", "d"), 4, "nope"},
		{"no such destination", subInst("bad", "nope"), 4, "nope"},
		{"duplicate filter", filterInst("bad", creationQuery), 11, "bad"},
		{"no query", ip("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter"><PROPERTY NAME="Name" TYPE="string"><VALUE>q</VALUE></PROPERTY></INSTANCE>`), 4, "Query"},
		{"CQL", strings.Replace(filterInst("cql", creationQuery), "<VALUE>WQL</VALUE>", "<VALUE>DMTF:CQL</VALUE>", 1), 14, "CQL"},
		{"not a listener URL", destInst("ftp", "ftp://127.0.0.1/"), 4, "ftp://"},
		{"WS-Management destination", strings.Replace(destInst("ws", url), "CIM_ListenerDestinationCIMXML", "CIM_ListenerDestinationWSManagement", 1), 7, "not supported"},
		{"disabled subscription of a bad query", withProp(subInst("bad", "d"), "SubscriptionState", "uint16", "4"), 15, "SELEKT"},
		{"enabled degraded", withProp(subInst("bad", "d"), "SubscriptionState", "uint16", "3"), 7, "SubscriptionState 3 is not supported"},
		{"other state", withProp(subInst("bad", "d"), "SubscriptionState", "uint16", "1"), 7, "SubscriptionState 1 is not supported"},
		{"remove on fatal error", withProp(subInst("bad", "d"), "OnFatalErrorPolicy", "uint16", "4"), 7, "OnFatalErrorPolicy 4 is not supported"},
		{"disable on fatal error", withProp(subInst("bad", "d"), "OnFatalErrorPolicy", "uint16", "3"), 7, "OnFatalErrorPolicy 3 is not supported"},
		{"duration", withProp(subInst("bad", "d"), "SubscriptionDuration", "uint64", "60"), 7, "SubscriptionDuration 60 is not supported"},
		{"suppress repeats", withProp(subInst("bad", "d"), "RepeatNotificationPolicy", "uint16", "3"), 7, "RepeatNotificationPolicy 3 is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := icall(srv, "CreateInstance", tc.params)
			if tc.code == 0 { // the object manager's status for the query, whatever it is
				if !strings.Contains(w.Body.String(), "<ERROR") {
					t.Fatalf("accepted:\n%s", w.Body.String())
				}
				return
			}
			if desc := wantError(t, w, tc.code); !strings.Contains(desc, tc.says) {
				t.Fatalf("description %q does not name %q", desc, tc.says)
			}
		})
	}
	if st := srv.IndicationStats(); st.Subscriptions != 0 {
		t.Fatalf("a refused subscription is kept: %+v", st)
	}
	// The refused ones did not count against the limit of 4.
	wantOK(t, icall(srv, "CreateInstance", filterInst("fourth", creationQuery)))
	if desc := wantError(t, icall(srv, "CreateInstance", filterInst("fifth", creationQuery)), 27); !strings.Contains(desc, "most allowed") {
		t.Fatalf("past the limit: %q", desc)
	}
	// A user who is no administrator may not name a listener.
	w := post(srv, "guest", "guest", "CreateInstance", "root%2Fcimv2", imethod("CreateInstance", destInst("g", url)))
	if desc := wantError(t, w, 2); !strings.Contains(desc, "administrator") {
		t.Fatalf("guest's destination: %q", desc)
	}
}

// A listener that fails is tried again; one that fails every try loses
// the indication, counted; a listener too slow for the events loses the
// oldest past the backlog, counted, and gets the newest.
func TestIndicationRetryAndBacklog(t *testing.T) {
	var fails atomic.Int32
	rec := &recorder{}
	gate := make(chan struct{})
	var gated atomic.Bool
	var held atomic.Int32 // exports waiting at the gate
	l := cimxml.NewListener(func(ctx context.Context, ind *cim.Instance) error {
		if gated.Load() {
			held.Add(1)
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if fails.Add(-1) >= 0 {
			return errors.New("listener trouble")
		}
		return rec.deliver(ctx, ind)
	}, cimxml.ListenerOptions{AllowAnonymous: true})
	hs := httptest.NewServer(l)
	defer hs.Close()
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{RetryAttempts: 2, RetryInterval: time.Millisecond, Backlog: 2}})
	wantOK(t, icall(srv, "CreateInstance", filterInst("f", creationQuery)))
	wantOK(t, icall(srv, "CreateInstance", destInst("d", hs.URL)))
	wantOK(t, icall(srv, "CreateInstance", subInst("f", "d")))

	fails.Store(2) // two failures, then the third try goes through
	wantOK(t, icall(srv, "CreateInstance", newFoo("r1")))
	waitUntil(t, "delivered after retries", func() bool { return srv.IndicationStats().Delivered == 1 })
	fails.Store(3) // every try fails
	wantOK(t, icall(srv, "CreateInstance", newFoo("r2")))
	waitUntil(t, "dropped after retries", func() bool { return srv.IndicationStats().Dropped == 1 })
	if rec.count() != 1 || rec.got[0].Value("TargetInstance").Instance().Value("Id").Str() != "r1" {
		t.Fatalf("delivered %d", rec.count())
	}

	// The listener hangs: one export waits in it, the backlog holds two,
	// the rest are dropped, oldest first.
	fails.Store(0)
	gated.Store(true)
	wantOK(t, icall(srv, "CreateInstance", newFoo("b1")))
	// b1 is in the listener before the others come (the sender could
	// otherwise find them all in the backlog and drop b1 as well).
	waitUntil(t, "b1 in the listener", func() bool { return held.Load() == 1 })
	for _, id := range []string{"b2", "b3", "b4", "b5", "b6"} {
		wantOK(t, icall(srv, "CreateInstance", newFoo(id)))
	}
	waitUntil(t, "backlog overflowing", func() bool { return srv.IndicationStats().Dropped == 1+3 })
	gated.Store(false)
	close(gate)
	waitUntil(t, "the backlog delivered", func() bool { return srv.IndicationStats().Delivered == 1+3 })
	waitUntil(t, "all delivered", func() bool { return rec.count() == 1+4 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var ids []string
	for _, ev := range rec.got[1:] {
		if ev.ClassName() == "__EventQueueOverflowEvent" {
			ids = append(ids, fmt.Sprint("lost ", ev.Value("NumberOfEvents").Uint()))
			continue
		}
		ids = append(ids, ev.Value("TargetInstance").Instance().Value("Id").Str())
	}
	// The listener hears how many the backlog lost before the next one.
	if strings.Join(ids, ",") != "b1,lost 3,b5,b6" {
		t.Fatalf("delivered %v, want the first (in the listener), the notice of three lost, and the two newest", ids)
	}
}
