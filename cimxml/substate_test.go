package cimxml_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/interop"
	"github.com/gowbem/gowbem/wbem"
)

// modifiedSub is ModifyInstance's parameter: subscription f1→d1 with the
// extra PROPERTY elements props.
func modifiedSub(props string) string {
	f, d := subRef("f1", "d1")
	return ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+subName("f1", "d1")+
		`<INSTANCE CLASSNAME="CIM_IndicationSubscription"><PROPERTY.REFERENCE NAME="Filter" REFERENCECLASS="CIM_IndicationFilter">`+f+
		`</PROPERTY.REFERENCE><PROPERTY.REFERENCE NAME="Handler" REFERENCECLASS="CIM_ListenerDestination">`+d+`</PROPERTY.REFERENCE>`+props+`</INSTANCE></VALUE.NAMEDINSTANCE>`)
}

func stateProp(v string) string {
	return `<PROPERTY NAME="SubscriptionState" TYPE="uint16"><VALUE>` + v + `</VALUE></PROPERTY>`
}

// deliveredIDs lists the Ids of the Test_Foo instances whose creation the
// listener got, in order.
func deliveredIDs(rec *recorder) string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var ids []string
	for _, ev := range rec.got {
		ids = append(ids, ev.Value("TargetInstance").Instance().Value("Id").Str())
	}
	return strings.Join(ids, " ")
}

// subscribeF1 creates the caller's filter f1 (creationQuery), the listener
// destination d1 at url, and the subscription of f1 to d1.
func subscribeF1(t *testing.T, srv http.Handler, url string) {
	t.Helper()
	for _, body := range []string{filterInst("f1", creationQuery), destInst("d1", url), subInst("f1", "d1")} {
		wantOK(t, icall(srv, "CreateInstance", body))
	}
}

// DSP1054's SubscriptionState: the subscription's owner disables it
// (ModifyInstance) and enables it again (SetProperty); nothing happening
// while it is disabled is delivered, ever, and what follows the enable
// is. Another user, administrators included, changes nothing; a state
// other than Enabled and Disabled, or a change of another property beside
// it, is refused naming the property, and the state stays. A
// subscription created Disabled delivers only once enabled.
func TestSubscriptionStateDisable(t *testing.T) {
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: time.Millisecond}})
	subscribeF1(t, srv, url)
	sub := ip("InstanceName", subName("f1", "d1"))
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev1")))
	waitUntil(t, "ev1 delivered", func() bool { return rec.count() == 1 })

	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("4"))))
	body := wantOK(t, icall(srv, "GetInstance", sub), `<PROPERTY NAME="SubscriptionState" TYPE="uint16"><VALUE>4</VALUE>`, `<PROPERTY NAME="TimeOfLastStateChange" TYPE="datetime"><VALUE>`)
	wantOK(t, icall(srv, "GetProperty", sub, ip("PropertyName", val("SubscriptionState"))), "<VALUE>4</VALUE>")
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev2"))) // while disabled

	for _, tc := range []struct {
		name, method string
		params       []string
		code         int
		says         string
	}{
		{"another user's enable", "ModifyInstance", []string{modifiedSub(stateProp("2"))}, 6, ""},
		{"another user's SetProperty", "SetProperty", []string{sub, ip("PropertyName", val("SubscriptionState")), ip("NewValue", val("2"))}, 6, ""},
	} {
		w := post(srv, "other", "secret", tc.method, "root%2Fcimv2", imethod(tc.method, tc.params...))
		wantError(t, w, tc.code)
	}
	for _, tc := range []struct {
		name, method string
		params       []string
		code         int
		says         string
	}{
		{"Enabled Degraded", "ModifyInstance", []string{modifiedSub(stateProp("3"))}, 7, "SubscriptionState 3 is not supported"},
		{"Other by SetProperty", "SetProperty", []string{sub, ip("PropertyName", val("SubscriptionState")), ip("NewValue", val("1"))}, 7, "SubscriptionState 1 is not supported"},
		{"enable and a new policy", "ModifyInstance", []string{modifiedSub(stateProp("2") + `<PROPERTY NAME="OnFatalErrorPolicy" TYPE="uint16"><VALUE>4</VALUE></PROPERTY>`)}, 7, "CIM_IndicationSubscription.OnFatalErrorPolicy cannot be modified"},
		{"not a number", "SetProperty", []string{sub, ip("PropertyName", val("SubscriptionState")), ip("NewValue", val("on"))}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := icall(srv, tc.method, tc.params...)
			if tc.code == 0 {
				if !strings.Contains(w.Body.String(), "<ERROR") {
					t.Fatalf("accepted:\n%s", w.Body.String())
				}
				return
			}
			if d := wantError(t, w, tc.code); !strings.Contains(d, tc.says) {
				t.Fatalf("description %q lacks %q", d, tc.says)
			}
		})
	}
	// Still disabled, as it was.
	if now := wantOK(t, icall(srv, "GetInstance", sub), stateProp("4")); now != body {
		t.Fatalf("the refused changes changed the subscription:\n%s\nwas\n%s", now, body)
	}

	wantOK(t, icall(srv, "SetProperty", sub, ip("PropertyName", val("SubscriptionState")), ip("NewValue", val("2"))))
	wantOK(t, icall(srv, "GetInstance", sub), stateProp("2"))
	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("2")))) // enabled already: nothing to do
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev3")))
	waitUntil(t, "ev3 delivered", func() bool { return rec.count() == 2 })
	// ev2 came while the subscription was disabled: dropped, not held for
	// the enable (it would have come before ev3).
	if got := deliveredIDs(rec); got != "ev1 ev3" {
		t.Fatalf("delivered %q, want ev1 ev3", got)
	}
	waitUntil(t, "ev3 counted", func() bool { return srv.IndicationStats().Delivered == 2 })

	// Created Disabled: nothing until enabled.
	wantOK(t, icall(srv, "DeleteInstance", sub))
	wantOK(t, icall(srv, "CreateInstance", withProp(subInst("f1", "d1"), "SubscriptionState", "uint16", "4")))
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev4")))
	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("2"))))
	wantOK(t, icall(srv, "CreateInstance", newFoo("ev5")))
	waitUntil(t, "ev5 delivered", func() bool { return rec.count() == 3 })
	if got := deliveredIDs(rec); got != "ev1 ev3 ev5" {
		t.Fatalf("delivered %q, want ev1 ev3 ev5", got)
	}
	waitUntil(t, "ev5 counted", func() bool { return srv.IndicationStats().Delivered == 3 })
	if st := srv.IndicationStats(); st.Subscriptions != 1 || st.Dropped != 0 || st.Disabled != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A disabled subscription stays disabled across a restart: restored
// without its event query running, it delivers once enabled again, to
// the Destination its listener destination was given before the restart.
func TestSubscriptionStatePersists(t *testing.T) {
	rec0, url0 := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	path := filepath.Join(t.TempDir(), "repo.db")
	users := map[string]*identity.Caller{testUser: {Name: testUser, Admin: true}}
	srv, _, stop := persistentServer(t, path, users)
	subscribeF1(t, srv, url0)
	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("4"))))
	wantOK(t, icall(srv, "ModifyInstance", modifiedDest(url, "")))
	sub := ip("InstanceName", subName("f1", "d1"))
	start := startRE.FindString(wantOK(t, icall(srv, "GetInstance", sub)))
	if start == "" {
		t.Fatal("the subscription shows no SubscriptionStartTime")
	}
	stop()

	srv, _, stop = persistentServer(t, path, users)
	defer stop()
	// It began before the restart, and says so.
	wantOK(t, icall(srv, "GetInstance", sub), stateProp("4"), start)
	wantOK(t, icall(srv, "CreateInstance", newFoo("disabled")))
	wantOK(t, icall(srv, "SetProperty", sub, ip("PropertyName", val("SubscriptionState")), ip("NewValue", val("2"))))
	wantOK(t, icall(srv, "CreateInstance", newFoo("enabled")))
	waitUntil(t, "delivered once enabled", func() bool { return rec.count() == 1 })
	if got := deliveredIDs(rec); got != "enabled" || rec0.count() != 0 {
		t.Fatalf("delivered %q, and %d to the first listener", got, rec0.count())
	}
}

// Over gowbem's client, PutInstance of the subscription as read with its
// SubscriptionState changed disables and enables it.
func TestSubscriptionStateClient(t *testing.T) {
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	subscribeF1(t, e.srv, url)
	ctx := context.Background()
	svc := e.connect(t, "")
	en, err := svc.CreateInstanceEnum(ctx, "CIM_IndicationSubscription", semisyncFlags)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := en.Collect(ctx)
	if err != nil || len(objs) != 1 {
		t.Fatalf("%d subscriptions, %v", len(objs), err)
	}
	obj, err := getObject(svc, objs[0].ObjectPath().String())
	if err != nil {
		t.Fatal(err)
	}
	put := func(state uint16) {
		t.Helper()
		inst := obj.(*cim.Instance).Clone()
		if err := inst.Set("SubscriptionState", cim.Uint16(state)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_UPDATE_ONLY); err != nil {
			t.Fatalf("PutInstance with SubscriptionState %d: %v", state, err)
		}
	}
	put(4)
	if got, err := getObject(svc, objs[0].ObjectPath().String()); err != nil || got.(*cim.Instance).Value("SubscriptionState").Uint() != 4 {
		t.Fatalf("after the disable: %v, %v", got, err)
	}
	wantOK(t, icall(e.srv, "CreateInstance", newFoo("off")))
	put(2)
	wantOK(t, icall(e.srv, "CreateInstance", newFoo("on")))
	waitUntil(t, "delivered", func() bool { return rec.count() == 1 })
	if got := deliveredIDs(rec); got != "on" {
		t.Fatalf("delivered %q", got)
	}
}

// The real wbemcli disables a subscription with mi and enables it with
// sp, reads the state with gp, and moves a listener destination with mi.
func TestSubscriptionStateWBEMCLI(t *testing.T) {
	interop.NeedTool(t, "wbemcli")
	e := newEnv(t, nil, &cimxml.Options{Indications: &cimxml.IndicationOptions{ClassNamespaces: []string{"root/cimv2"}}})
	rec, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	subscribeF1(t, e.srv, url)
	base := e.userURL() + "/root/cimv2:"
	// wbemcli's reference key: the path unquoted, as its ein prints it.
	keys := func(class, name string) string {
		return `root/cimv2:` + class + `.CreationClassName="` + class + `",Name="` + name + `",SystemCreationClassName="CIM_ComputerSystem",SystemName="testhost"`
	}
	s := base + `CIM_IndicationSubscription.Filter=` + keys("CIM_IndicationFilter", "f1") + `,Handler=` + keys("CIM_ListenerDestinationCIMXML", "d1")
	run := func(args ...string) string {
		t.Helper()
		out, errs, code := interop.WBEMCLI(t, args...)
		if code != 0 {
			t.Fatalf("wbemcli %v: exit %d\n%s%s", args[0], code, out, errs)
		}
		return out
	}
	run("mi", s, "SubscriptionState=4")
	if out := run("gp", s, "SubscriptionState"); !strings.Contains(out, "4") {
		t.Fatalf("gp after mi:\n%s", out)
	}
	wantOK(t, icall(e.srv, "CreateInstance", newFoo("off")))
	run("sp", s, "SubscriptionState=2")
	// gi shows the state, and what the server holds beside it.
	out := run("gi", s)
	for _, want := range []string{"SubscriptionState=2", "OnFatalErrorPolicy=2", "RepeatNotificationPolicy=2", "SubscriptionStartTime=", "TimeOfLastStateChange="} {
		if !strings.Contains(out, want) {
			t.Fatalf("gi after sp lacks %s:\n%s", want, out)
		}
	}
	wantOK(t, icall(e.srv, "CreateInstance", newFoo("on")))
	waitUntil(t, "delivered", func() bool { return rec.count() == 1 })
	if got := deliveredIDs(rec); got != "on" {
		t.Fatalf("delivered %q", got)
	}
	// mi moves the listener destination; the subscription follows.
	rec2, url2 := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	run("mi", base+strings.TrimPrefix(keys("CIM_ListenerDestinationCIMXML", "d1"), "root/cimv2:"), "Destination="+url2)
	wantOK(t, icall(e.srv, "CreateInstance", newFoo("moved")))
	waitUntil(t, "delivered to the new listener", func() bool { return rec2.count() == 1 })
	if got := deliveredIDs(rec2); got != "moved" {
		t.Fatalf("delivered %q", got)
	}
}

// A disable drops what the subscription had not delivered yet: the
// export under way (abandoned) and the backlog, counted in Dropped; none of
// it comes after the enable.
func TestSubscriptionStateDropsBacklog(t *testing.T) {
	rec := &recorder{}
	var held atomic.Int32 // exports waiting in the listener
	var gated atomic.Bool
	gated.Store(true)
	l := cimxml.NewListener(func(ctx context.Context, ind *cim.Instance) error {
		if gated.Load() {
			held.Add(1)
			<-ctx.Done() // until the export is abandoned
			return ctx.Err()
		}
		return rec.deliver(ctx, ind)
	}, cimxml.ListenerOptions{AllowAnonymous: true})
	hs := httptest.NewServer(l)
	defer hs.Close()
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{RetryAttempts: -1, Backlog: 10}})
	subscribeF1(t, srv, hs.URL)
	wantOK(t, icall(srv, "CreateInstance", newFoo("k1")))
	waitUntil(t, "k1 in the listener", func() bool { return held.Load() == 1 })
	wantOK(t, icall(srv, "CreateInstance", newFoo("k2")))
	wantOK(t, icall(srv, "CreateInstance", newFoo("k3")))
	waitUntil(t, "k2 and k3 in the backlog", func() bool { return srv.IndicationStats().Backlog == 2 })

	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("4"))))
	if st := srv.IndicationStats(); st.Dropped != 3 || st.Backlog != 0 || st.Disabled != 1 || st.Delivered != 0 {
		t.Fatalf("after the disable: %+v, want 3 dropped (one abandoned, two in the backlog)", st)
	}
	gated.Store(false)
	wantOK(t, icall(srv, "ModifyInstance", modifiedSub(stateProp("2"))))
	wantOK(t, icall(srv, "CreateInstance", newFoo("k4")))
	waitUntil(t, "k4 delivered", func() bool { return rec.count() == 1 })
	if got := deliveredIDs(rec); got != "k4" {
		t.Fatalf("delivered %q, want k4 only", got)
	}
	waitUntil(t, "k4 counted", func() bool { return srv.IndicationStats().Delivered == 1 })
	if st := srv.IndicationStats(); st.Disabled != 0 || st.Dropped != 3 {
		t.Fatalf("after the enable: %+v", st)
	}
}

// modifiedDest is ModifyInstance's parameter: destination d1 with
// Destination url and the extra PROPERTY elements props.
func modifiedDest(url, props string) string {
	return ip("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+fourKeys("CIM_ListenerDestinationCIMXML", "d1")+
		`<INSTANCE CLASSNAME="CIM_ListenerDestinationCIMXML"><PROPERTY NAME="Name" TYPE="string"><VALUE>d1</VALUE></PROPERTY><PROPERTY NAME="Destination" TYPE="string"><VALUE>`+url+
		`</VALUE></PROPERTY>`+props+`</INSTANCE></VALUE.NAMEDINSTANCE>`)
}

// The owner of a listener destination gives it a new Destination: the
// subscriptions that use it deliver there from then on. The new URL is
// checked as a creation's (a user who is no administrator names only a
// listener on their own host); another user finds no such destination; a
// change of another property beside it is refused naming that property,
// and nothing of it is applied.
func TestListenerDestinationModify(t *testing.T) {
	rec1, url1 := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	rec2, url2 := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{RetryInterval: time.Millisecond}})
	subscribeF1(t, srv, url1)
	d1 := ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))
	wantOK(t, icall(srv, "CreateInstance", newFoo("to1")))
	waitUntil(t, "to1 delivered", func() bool { return rec1.count() == 1 })

	for _, tc := range []struct {
		name, user, method string
		params             []string
		code               int
		says               string
	}{
		{"another user's", "other", "ModifyInstance", []string{modifiedDest(url2, "")}, 6, ""},
		{"another user's SetProperty", "other", "SetProperty", []string{d1, ip("PropertyName", val("Destination")), ip("NewValue", val(url2))}, 6, ""},
		{"not a URL", testUser, "SetProperty", []string{d1, ip("PropertyName", val("Destination")), ip("NewValue", val("ftp://127.0.0.1/"))}, 4, "ftp://"},
		{"NULL", testUser, "SetProperty", []string{d1, ip("PropertyName", val("Destination"))}, 4, "needs a Destination"},
		{"and a new protocol", testUser, "ModifyInstance", []string{modifiedDest(url2, `<PROPERTY NAME="Protocol" TYPE="uint16"><VALUE>4</VALUE></PROPERTY>`)}, 7, "CIM_ListenerDestinationCIMXML.Protocol cannot be modified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass := testPass
			if tc.user == "other" {
				pass = "secret"
			}
			w := post(srv, tc.user, pass, tc.method, "root%2Fcimv2", imethod(tc.method, tc.params...))
			if d := wantError(t, w, tc.code); !strings.Contains(d, tc.says) {
				t.Fatalf("description %q lacks %q", d, tc.says)
			}
		})
	}
	wantOK(t, icall(srv, "GetInstance", d1), url1)

	wantOK(t, icall(srv, "ModifyInstance", modifiedDest(url2, "")))
	wantOK(t, icall(srv, "GetInstance", d1), url2)
	wantOK(t, icall(srv, "CreateInstance", newFoo("to2")))
	waitUntil(t, "to2 delivered", func() bool { return rec2.count() == 1 })
	wantOK(t, icall(srv, "SetProperty", d1, ip("PropertyName", val("Destination")), ip("NewValue", val(url1))))
	wantOK(t, icall(srv, "CreateInstance", newFoo("to1 again")))
	waitUntil(t, "delivered to the first again", func() bool { return rec1.count() == 2 })
	if a, b := deliveredIDs(rec1), deliveredIDs(rec2); a != "to1 to1 again" || b != "to2" {
		t.Fatalf("first listener got %q, second %q", a, b)
	}
}

// A user who is no administrator moves their destination only to a
// listener on the host their request comes from, as at its creation.
func TestListenerDestinationModifyNonAdmin(t *testing.T) {
	_, url := newListener(t, cimxml.ListenerOptions{AllowAnonymous: true})
	srv := newServer(t, nil, cimxml.Options{Indications: &cimxml.IndicationOptions{}})
	guest := func(method string, params ...string) string {
		return postFrom(srv, "127.0.0.1:5000", "guest", "guest", method, strings.Join(params, "")).Body.String()
	}
	if body := guest("CreateInstance", destInst("d1", url)); strings.Contains(body, "<ERROR") {
		t.Fatal(body)
	}
	d1 := ip("InstanceName", fourKeys("CIM_ListenerDestinationCIMXML", "d1"))
	if body := guest("SetProperty", d1, ip("PropertyName", val("Destination")), ip("NewValue", val("http://192.0.2.7:8080/"))); !strings.Contains(body, `<ERROR CODE="2"`) || !strings.Contains(body, "192.0.2.7") {
		t.Fatalf("a guest's destination moved elsewhere:\n%s", body)
	}
	moved := strings.Replace(url, "127.0.0.1", "127.0.0.2", 1)
	if body := guest("SetProperty", d1, ip("PropertyName", val("Destination")), ip("NewValue", val(moved))); strings.Contains(body, "<ERROR") {
		t.Fatalf("a guest's destination moved on their host:\n%s", body)
	}
	if body := guest("GetInstance", d1); !strings.Contains(body, moved) {
		t.Fatalf("after the move:\n%s", body)
	}
}
